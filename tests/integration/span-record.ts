import type { SpanRecord } from "../../lib/otlp/spans";
import { noMessaging } from "../../lib/traces/span";

/** A stored-span record for tests: a plain internal span with no attributes, overridden where a test cares. */
export function spanRecord(traceId: string, spanId: string, at: Date, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId,
    spanId,
    parentSpanId: null,
    service: "svc",
    name: "op",
    kind: 1,
    startUnixNano: BigInt(at.getTime()) * 1_000_000n,
    startTime: at,
    durationMs: 1,
    statusCode: 0,
    statusMessage: null,
    attributes: {},
    resourceAttributes: {},
    events: [],
    links: [],
    ...noMessaging,
    ...extra,
  };
}
