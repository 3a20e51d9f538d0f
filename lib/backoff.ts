/** Exponential backoff with full jitter: attempt 0 waits up to `baseMs`, doubling each attempt up to `maxMs`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1, fraction of the delay that is randomised; 1 = full jitter. */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 30_000, jitter: 0.5 };

export function backoffDelay(attempt: number, opts: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  const spread = exp * opts.jitter;
  return Math.round(exp - spread + spread * random());
}
