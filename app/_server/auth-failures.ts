import ipaddr from "ipaddr.js";
import { RateLimiterMemory } from "rate-limiter-flexible";

/**
 * Two limits per client, per dashboard process, so that neither tokens can be guessed at speed nor the audit log be
 * flooded with refusals:
 * - failed authentications (a wrong bearer token or sign-in, a request without identity, a cross-site refusal) per
 *   address: past `maxFailures` in a minute the address is answered 429 until the minute is over, for every request
 *   that could authenticate (no identity, a bearer token, a sign-in) — a valid session or a trusted proxy's identity
 *   still gets through, as it cannot be guessed;
 * - refusals (denied or failed calls, each an audit entry) per identity and address: past `maxRefusals` in a minute,
 *   429 for that identity's mutations there until the minute is over; its reads are answered, their refusals not
 *   audited in that time.
 * IPv6 addresses count by their /64, which one client usually holds whole.
 */
export const maxFailures = 30;
export const maxRefusals = 60;

const g = globalThis as unknown as { __switchyardLimits?: { failures: RateLimiterMemory; refusals: RateLimiterMemory } };
const limits = () =>
  (g.__switchyardLimits ??= {
    failures: new RateLimiterMemory({ points: maxFailures, duration: 60 }),
    refusals: new RateLimiterMemory({ points: maxRefusals, duration: 60 }),
  });

/** The key an address counts under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64. */
export function addressKey(address: string | null): string {
  if (!address || !ipaddr.isValid(address)) return address ?? "unknown";
  const a = ipaddr.process(address);
  if (a.kind() === "ipv4") return a.toString();
  const parts = (a as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(":")}::/64`;
}

async function waitFor(l: RateLimiterMemory, key: string, max: number): Promise<number> {
  const r = await l.get(key);
  return r && r.consumedPoints >= max ? Math.max(1, Math.ceil(r.msBeforeNext / 1000)) : 0;
}

/** Seconds the address must wait before it may try to authenticate again, or 0. */
export const authBlockedFor = (address: string | null) => waitFor(limits().failures, addressKey(address), maxFailures);
/** Seconds an identity at an address must wait after too many refusals, or 0. */
export const refusalsBlockedFor = (user: string, address: string | null) => waitFor(limits().refusals, `${user}\u0000${addressKey(address)}`, maxRefusals);

// over the limit already, consume rejects: that is the limiter's answer, nothing more to do
export const countAuthFailure = (address: string | null) => limits().failures.consume(addressKey(address)).then(() => undefined, () => undefined);
export const countRefusal = (user: string, address: string | null) => limits().refusals.consume(`${user}\u0000${addressKey(address)}`).then(() => undefined, () => undefined);
