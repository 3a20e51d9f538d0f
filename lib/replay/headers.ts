/**
 * The headers a replayed message carries: the application's own, without what the broker or the dead-lettering
 * wrote (a consumer reading x-death or kafka_dlt-* of a replay would take it for a new death), without the trace
 * context it died with (the replay sends its own span as traceparent, so the consumer's span is the replay's child),
 * and with the replay's id and count.
 */

/** Dropped: broker-managed and dead-letter headers, and the old trace context. */
const dropped: readonly RegExp[] = [
  /^x-death$/i,
  /^x-first-death-/i,
  /^x-last-death-/i,
  /^x-delivery-count$/i,
  /^x-exception-/i,
  /^kafka_dlt-/i,
  /^__connect\.errors\./i,
  /^traceparent$/i,
  /^tracestate$/i,
  /^baggage$/i,
  /^b3$/i,
  /^x-b3-/i,
  /^uber-trace-id$/i,
  /^x-switchyard-/i,
];

export const replayIdHeader = "x-switchyard-replay-id";
export const replayCountHeader = "x-switchyard-replay-count";

/** Why a header is not carried over, or null when it is the application's own and kept. */
export function droppedBecause(name: string): string | null {
  if (/^x-switchyard-/i.test(name)) return "Switchyard's own: set anew for this replay";
  if (/^(traceparent|tracestate|baggage|b3|x-b3-.*|uber-trace-id)$/i.test(name)) return "trace context: the replay sends its own span";
  return dropped.some((r) => r.test(name)) ? "written by the broker or the dead-lettering, not the application" : null;
}

/** How many times a message was replayed already, from its headers (0 when never, or unreadable). */
export function replayCountOf(headers: Record<string, unknown>): number {
  const v = Object.entries(headers).find(([k]) => k.toLowerCase() === replayCountHeader)?.[1];
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n < 1_000_000 ? n : 0;
}

/** The headers to send: the kept ones, the replay's id and the count one higher than the message had. */
export function replayHeaders(headers: Record<string, unknown>, replayId: string, traceparent: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) if (!droppedBecause(k)) out[k] = v;
  out[replayIdHeader] = replayId;
  out[replayCountHeader] = String(replayCountOf(headers) + 1);
  if (traceparent) out.traceparent = traceparent;
  return out;
}

/** The replay a message was sent by (its x-switchyard-replay-id), or null: a dead letter carrying one failed again. */
export function replayIdOf(headers: Record<string, unknown>): number | null {
  const v = Object.entries(headers).find(([k]) => k.toLowerCase() === replayIdHeader)?.[1];
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? v : null;
  return s !== null && /^[1-9][0-9]{0,15}$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : null;
}
