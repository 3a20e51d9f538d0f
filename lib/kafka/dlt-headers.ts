import { traceIdFromTraceparent } from "../traceparent";
import { storableDate } from "../pg-safe";

/**
 * What a Kafka dead-letter record says about itself, read from the headers the common producers write:
 *   Spring Kafka's DeadLetterPublishingRecoverer: kafka_dlt-original-topic/-partition/-offset/-timestamp/-consumer-group,
 *     kafka_dlt-exception-fqcn/-message/-stacktrace (partition as 4-byte and offset/timestamp as 8-byte big-endian
 *     numbers; some bridges write them as text, so both are read)
 *   Kafka Connect's errors.deadletterqueue.context.headers.enable: __connect.errors.*
 *   a plain x-original-topic (and -partition / -offset) as many hand-written producers use
 * plus the W3C traceparent's trace id.
 */
export type RawHeaderValue = Buffer | string | undefined | (Buffer | string | undefined)[];
export type RawHeaders = Record<string, RawHeaderValue>;

export interface DltInfo {
  format: "spring" | "connect" | "plain" | "unknown";
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: number | null;
  originalTimestamp: Date | null;
  consumerGroup: string | null;
  errorType: string | null;
  errorMessage: string | null;
  stacktrace: string | null;
  traceId: string | null;
}

function first(v: RawHeaderValue): Buffer | null {
  const x = Array.isArray(v) ? v[v.length - 1] : v;
  if (x === undefined || x === null) return null;
  return typeof x === "string" ? Buffer.from(x) : x;
}

function text(h: RawHeaders, key: string): string | null {
  const b = first(h[key]);
  return b ? b.toString("utf8") : null;
}

const asciiInt = /^-?\d{1,19}$/;

/** A number header that may be big-endian binary (4 or 8 bytes) or decimal text. */
export function numberHeader(b: Buffer | null, width: 4 | 8): number | null {
  if (!b || b.length === 0) return null;
  const s = b.toString("latin1");
  if (asciiInt.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : null;
  }
  if (b.length === width) {
    const n = width === 4 ? b.readInt32BE(0) : Number(b.readBigInt64BE(0));
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

function num(h: RawHeaders, key: string, width: 4 | 8): number | null {
  return numberHeader(first(h[key]), width);
}

export function parseDltHeaders(h: RawHeaders): DltInfo {
  const traceId = traceIdFromTraceparent(first(h.traceparent)?.toString("utf8") ?? null);
  if (h["kafka_dlt-original-topic"] !== undefined || h["kafka_dlt-exception-fqcn"] !== undefined) {
    const ts = num(h, "kafka_dlt-original-timestamp", 8);
    return {
      format: "spring",
      originalTopic: text(h, "kafka_dlt-original-topic"),
      originalPartition: num(h, "kafka_dlt-original-partition", 4),
      originalOffset: num(h, "kafka_dlt-original-offset", 8),
      originalTimestamp: storableDate(ts),
      consumerGroup: text(h, "kafka_dlt-original-consumer-group"),
      errorType: text(h, "kafka_dlt-exception-fqcn") ?? text(h, "kafka_dlt-exception-cause-fqcn"),
      errorMessage: text(h, "kafka_dlt-exception-message"),
      stacktrace: text(h, "kafka_dlt-exception-stacktrace"),
      traceId,
    };
  }
  if (h["__connect.errors.topic"] !== undefined || h["__connect.errors.exception.class.name"] !== undefined) {
    const connector = text(h, "__connect.errors.connector.name");
    return {
      format: "connect",
      originalTopic: text(h, "__connect.errors.topic"),
      originalPartition: num(h, "__connect.errors.partition", 4),
      originalOffset: num(h, "__connect.errors.offset", 8),
      originalTimestamp: null,
      consumerGroup: connector ? `connect-${connector}` : null,
      errorType: text(h, "__connect.errors.exception.class.name"),
      errorMessage: text(h, "__connect.errors.exception.message"),
      stacktrace: text(h, "__connect.errors.exception.stacktrace"),
      traceId,
    };
  }
  if (h["x-original-topic"] !== undefined) {
    return {
      format: "plain",
      originalTopic: text(h, "x-original-topic"),
      originalPartition: num(h, "x-original-partition", 4),
      originalOffset: num(h, "x-original-offset", 8),
      originalTimestamp: null,
      consumerGroup: text(h, "x-original-consumer-group"),
      errorType: text(h, "x-exception-type"),
      errorMessage: text(h, "x-exception-message") ?? text(h, "x-error"),
      stacktrace: null,
      traceId,
    };
  }
  return {
    format: "unknown",
    originalTopic: null,
    originalPartition: null,
    originalOffset: null,
    originalTimestamp: null,
    consumerGroup: null,
    errorType: null,
    errorMessage: text(h, "x-error"),
    stacktrace: null,
    traceId,
  };
}

/** Headers as JSON for storage and display: readable text stays text, anything else is kept as base64. */
export type StoredHeaderValue = string | { base64: string } | null;

export function headersToJson(h: RawHeaders): Record<string, StoredHeaderValue | StoredHeaderValue[]> {
  const one = (x: Buffer | string | undefined): StoredHeaderValue => {
    if (x === undefined || x === null) return null;
    const b = typeof x === "string" ? Buffer.from(x) : x;
    const s = b.toString("utf8");
    // valid UTF-8 (round-trips) without control characters other than tab/newline counts as text
    if (Buffer.from(s, "utf8").equals(b) && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)) return s;
    return { base64: b.toString("base64") };
  };
  const out: Record<string, StoredHeaderValue | StoredHeaderValue[]> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.map(one) : one(v);
  return out;
}
