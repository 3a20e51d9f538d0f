import type Long from "long";
import type { opentelemetry } from "./pbjs/trace_service";
import type { OtlpRequest } from "./decode";
import { SANITIZED_ATTRIBUTE } from "./sanitize";
import { spanKindOf } from "../traces/span";
import { spanDestination } from "./destination";
import type { SpanRecord } from "./span-record";

type AnyValue = opentelemetry.proto.common.v1.AnyValue.$Shape;
type KeyValue = opentelemetry.proto.common.v1.KeyValue.$Shape;

export type { SpanRecord } from "./span-record";

const noBytes = new Uint8Array(0);
const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const hex = (b: Uint8Array) => bytes(b).toString("hex");
/** A 64-bit field as protobufjs decodes it (a Long of two 32-bit halves), exactly. */
const u64 = (l: Long | null | undefined): bigint => (l ? (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0) : 0n);
const i64 = (l: Long | null | undefined): bigint => BigInt.asIntN(64, u64(l));

export function anyValueToJs(v: AnyValue | null | undefined): unknown {
  if (v == null) return null;
  // a oneof: protobufjs leaves the members that are not set null
  if (v.stringValue != null) return v.stringValue;
  if (v.intValue != null) {
    // int64 beyond 2^53 stays exact as a string
    const n = i64(v.intValue);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
  }
  if (v.boolValue != null) return v.boolValue;
  if (v.doubleValue != null) return v.doubleValue;
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map(anyValueToJs);
  if (v.kvlistValue != null) return attributesToJs(v.kvlistValue.values ?? []);
  if (v.bytesValue != null) return bytes(v.bytesValue).toString("base64");
  return null;
}

/**
 * Attributes as a plain object, every key an own property. A key is whatever the exporter sent: `out[key] = v` would
 * take `__proto__` for the prototype's setter (the attribute lost, a kvlist under it made the prototype, whose
 * members `pick` would then find), so that key is defined rather than assigned. Other names of Object.prototype's
 * members (`constructor`, `toString`) become own properties on assignment.
 */
export function attributesToJs(kvs: KeyValue[] | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (kvs) {
    for (const kv of kvs) {
      const key = kv.key ?? "";
      const value = anyValueToJs(kv.value);
      if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
  }
  return out;
}

/** First present attribute among current and deprecated semantic-convention names (own properties only). */
function pick(attrs: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) {
    if (!Object.hasOwn(attrs, k)) continue;
    const v = attrs[k];
    if (v !== undefined && v !== null && v !== "") return v;
  }
  return undefined;
}
const str = (v: unknown) => (v === undefined ? null : String(v));
const int = (v: unknown) => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : null;
};
/** A Kafka partition number: the column is an int4 (a value beyond it stays in the attributes only). */
const int32 = (v: unknown) => {
  const n = int(v);
  return n !== null && n >= -2_147_483_648 && n <= 2_147_483_647 ? n : null;
};
/** Postgres' smallint, the columns of span kind and status code. */
const isSmallint = (n: number) => Number.isInteger(n) && n >= -32_768 && n <= 32_767;
/** Start times are stored in a bigint of nanoseconds: beyond it (after the year 2262) a span cannot be stored. */
const MAX_START_NS = 2n ** 63n - 1n;
/**
 * Columns under a btree index (service, messaging destination and message id) hold at most this many UTF-16 code
 * units, at most 1,536 bytes of UTF-8, under the 2,704 bytes of an index entry; longer values are cut there (the span is
 * marked sanitised) and kept whole in the attributes.
 */
export const MAX_INDEXED_CHARS = 512;
const cut = (v: string) => {
  const end = (v.charCodeAt(MAX_INDEXED_CHARS - 1) & 0xfc00) === 0xd800 ? MAX_INDEXED_CHARS - 1 : MAX_INDEXED_CHARS; // not inside a surrogate pair
  return v.slice(0, end);
};

export interface FlattenResult {
  spans: SpanRecord[];
  rejected: number;
  errors: string[];
}

/**
 * Flattens an export request; spans with invalid ids or a start time Postgres cannot hold are rejected (counted),
 * never stored half-right. Values too large for their column are made to fit and the span is marked
 * (`switchyard.sanitized`); text Postgres cannot take is sanitised where the COPY text is built (db/queries/spans.ts).
 */
export function flattenRequest(req: OtlpRequest): FlattenResult {
  const spans: SpanRecord[] = [];
  const errors: string[] = [];
  let rejected = 0;
  const reject = (name: string, why: string) => {
    rejected++;
    if (errors.length < 5) errors.push(`span '${name.slice(0, 60)}': ${why}`);
  };
  for (const rs of req.resourceSpans ?? []) {
    const resourceAttributes = attributesToJs(rs.resource?.attributes);
    let service = typeof resourceAttributes["service.name"] === "string" ? (resourceAttributes["service.name"] as string) : "unknown_service";
    const serviceCut = service.length > MAX_INDEXED_CHARS;
    if (serviceCut) service = cut(service);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const traceId = s.traceId ?? noBytes;
        const spanId = s.spanId ?? noBytes;
        const name = s.name ?? "";
        if (traceId.length !== 16 || spanId.length !== 8 || traceId.every((b) => b === 0) || spanId.every((b) => b === 0)) {
          reject(name, "trace id must be 16 bytes and span id 8 bytes, not all zero");
          continue;
        }
        const start = u64(s.startTimeUnixNano);
        if (start > MAX_START_NS) {
          reject(name, `start time ${start} ns is out of range (at most 2^63-1 ns, the year 2262)`);
          continue;
        }
        const attributes = attributesToJs(s.attributes);
        const end = u64(s.endTimeUnixNano);
        const durationNs = end >= start ? end - start : 0n;
        const op = pick(attributes, "messaging.operation.type", "messaging.operation");
        const parent = s.parentSpanId ?? noBytes;
        // what the columns cannot hold is made to fit, and the span marked (see sanitize.ts for text)
        let sanitized = serviceCut;
        let kind = s.kind ?? 0;
        let statusCode = s.status?.code ?? 0;
        if (!isSmallint(kind)) [kind, sanitized] = [0, true];
        if (!isSmallint(statusCode)) [statusCode, sanitized] = [0, true];
        // a RabbitMQ consumer's destination is the queue it read, not the exchange (see destination.ts)
        let destination = spanDestination({ kind: spanKindOf(s.kind ?? 0), name, attributes });
        let messageId = str(pick(attributes, "messaging.message.id", "messaging.message_id"));
        if (destination !== null && destination.length > MAX_INDEXED_CHARS) [destination, sanitized] = [cut(destination), true];
        if (messageId !== null && messageId.length > MAX_INDEXED_CHARS) [messageId, sanitized] = [cut(messageId), true];
        if (sanitized) attributes[SANITIZED_ATTRIBUTE] = true;
        spans.push({
          traceId: hex(traceId),
          spanId: hex(spanId),
          parentSpanId: parent.length === 8 ? hex(parent) : null,
          service,
          name,
          kind,
          startUnixNano: start,
          startTime: new Date(Number(start / 1_000_000n)),
          durationMs: Number(durationNs) / 1e6,
          statusCode,
          statusMessage: s.status?.message || null,
          attributes,
          resourceAttributes,
          events: (s.events ?? []).map((e) => ({ name: e.name ?? "", timeUnixNano: u64(e.timeUnixNano).toString(), attributes: attributesToJs(e.attributes) })),
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId ?? noBytes), spanId: hex(l.spanId ?? noBytes), attributes: attributesToJs(l.attributes) })),
          messagingSystem: str(pick(attributes, "messaging.system")),
          messagingDestination: destination,
          messagingOperation: str(op),
          messagingConsumerGroup: str(pick(attributes, "messaging.consumer.group.name", "messaging.kafka.consumer.group", "messaging.kafka.consumer_group")),
          messagingMessageId: messageId,
          kafkaPartition: int32(pick(attributes, "messaging.destination.partition.id", "messaging.kafka.destination.partition", "messaging.kafka.partition")),
          kafkaOffset: int(pick(attributes, "messaging.kafka.offset", "messaging.kafka.message.offset")),
          rabbitmqRoutingKey: str(pick(attributes, "messaging.rabbitmq.destination.routing_key", "messaging.rabbitmq.routing_key")),
        });
      }
    }
  }
  return { spans, rejected, errors };
}
