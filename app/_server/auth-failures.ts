import { RateLimiterMemory } from "rate-limiter-flexible";

/**
 * Failed authentications (a wrong bearer token, a wrong sign-in, a request without identity) per client address: past
 * `maxFailures` in a minute the address is answered 429 until the minute is over, so tokens cannot be guessed at
 * speed and a flood of refused requests cannot flood the audit log. Per dashboard process.
 */
export const maxFailures = 30;
const g = globalThis as unknown as { __switchyardAuthFailures?: RateLimiterMemory };
const limiter = () => (g.__switchyardAuthFailures ??= new RateLimiterMemory({ points: maxFailures, duration: 60 }));

/** Seconds the address must wait, or 0 when it may try. */
export async function authBlockedFor(address: string): Promise<number> {
  const r = await limiter().get(address);
  return r && r.consumedPoints >= maxFailures ? Math.max(1, Math.ceil(r.msBeforeNext / 1000)) : 0;
}

export async function countAuthFailure(address: string): Promise<void> {
  await limiter()
    .consume(address)
    .catch(() => undefined); // over the limit already: the rejection is the limiter's answer, nothing to do
}
