import { UnavailableError } from "../../lib/errors";

/**
 * The memory held by export bodies still being received, OTLP/HTTP and OTLP/gRPC together: each body's bytes as they
 * are held (an HTTP body after decompression, a gRPC message as it arrives), at most `max` in all.
 *
 * A body that needs room is never refused for what others hold: the body that has made no progress for the longest
 * (a client that sent a burst and stalled) is evicted instead, answered "unavailable, retry" and its connection or
 * stream closed, which frees its bytes at once. A stalled client therefore costs only its own socket; an exporter
 * sending a whole body keeps making progress and is the last to be chosen. Only a body that alone is over `max` is
 * refused (`take` answers false), which a `max` of at least the body limit rules out.
 */
export class BodyBudget {
  private used = 0;
  private readonly readers = new Set<BodyReader>();
  constructor(readonly max: number) {}

  /** Bytes held now (for tests and metrics). */
  get held(): number {
    return this.used;
  }

  /** A body starts being received; `evict` must give its bytes back at once (by closing the reader). */
  open(evict: (why: string) => void): BodyReader {
    const r = new BodyReader(this, evict);
    this.readers.add(r);
    return r;
  }

  /** @internal */
  take(r: BodyReader, n: number): boolean {
    // a body that alone is over the budget evicts nobody in vain
    if (r.held + n > this.max) return false;
    while (this.used + n > this.max) {
      let victim: BodyReader | null = null;
      for (const o of this.readers) {
        if (o === r || o.held === 0) continue;
        if (!victim || o.lastProgressAt < victim.lastProgressAt || (o.lastProgressAt === victim.lastProgressAt && o.held > victim.held)) victim = o;
      }
      if (!victim) return false;
      victim.evict(`too much is being received at once (${this.max} bytes); this body made no progress for ${Date.now() - victim.lastProgressAt} ms`);
      // an evicting callback closes its reader; should one not, it is closed here, so that the loop ends
      if (this.readers.has(victim)) victim.close();
    }
    this.used += n;
    return true;
  }

  /** @internal */
  release(r: BodyReader): void {
    if (!this.readers.delete(r)) return;
    this.used -= r.held;
    r.held = 0;
  }
}

export class BodyReader {
  held = 0;
  lastProgressAt = Date.now();
  private evicted = false;
  constructor(
    private readonly budget: BodyBudget,
    private readonly onEvict: (why: string) => void,
  ) {}

  /** Holds `n` more bytes of this body; false when they cannot fit even with every other body evicted. */
  take(n: number): boolean {
    if (!this.budget.take(this, n)) return false;
    this.held += n;
    this.lastProgressAt = Date.now();
    return true;
  }

  /** The body is in, refused or gone: its bytes are given back. Idempotent. */
  close(): void {
    this.budget.release(this);
  }

  /** @internal */
  evict(why: string): void {
    if (this.evicted) return;
    this.evicted = true;
    this.onEvict(why);
  }
}

/** A body evicted from the budget to make room (see BodyBudget): the client should retry. */
export class EvictedError extends UnavailableError {
  readonly retryAfterSeconds = 1;
}

/** How often a body's rate is checked: it must have sent `minBytesPerSecond` × this in each such window. */
export const RATE_WINDOW_MS = 2_000;

/**
 * Calls `onSlow` once if, in some window of RATE_WINDOW_MS, fewer than `minBytesPerSecond` × the window's seconds
 * arrived (`received` counts bytes as sent by the client, compressed or not). A window in which this process itself
 * was held up (its timer late by half a window) is not held against the client. Returns the function that stops it.
 */
export function watchRate(minBytesPerSecond: number, received: () => number, onSlow: (why: string) => void): () => void {
  if (!(minBytesPerSecond > 0)) return () => undefined;
  const least = (minBytesPerSecond * RATE_WINDOW_MS) / 1000;
  let last = received();
  let at = Date.now();
  const t = setInterval(() => {
    const now = Date.now();
    const got = received() - last;
    const late = now - at > RATE_WINDOW_MS * 1.5;
    last += got;
    at = now;
    if (!late && got < least) {
      clearInterval(t);
      onSlow(`the body arrived slower than ${minBytesPerSecond} bytes/s (${got} bytes in ${RATE_WINDOW_MS} ms)`);
    }
  }, RATE_WINDOW_MS);
  t.unref();
  return () => clearInterval(t);
}
