import type { AnyValue, KeyValue } from "./gen/opentelemetry/proto/common/v1/common_pb";
import type { ExportTraceServiceRequest } from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";

/** A span flattened for storage: ids as lower-case hex, attributes as plain JSON, messaging fields lifted out. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: number;
  startUnixNano: bigint;
  startTime: Date;
  durationMs: number;
  statusCode: number;
  statusMessage: string | null;
  attributes: Record<string, unknown>;
  resourceAttributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  messagingSystem: string | null;
  messagingDestination: string | null;
  messagingOperation: string | null;
  messagingConsumerGroup: string | null;
  messagingMessageId: string | null;
  kafkaPartition: number | null;
  kafkaOffset: number | null;
  rabbitmqRoutingKey: string | null;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

export function anyValueToJs(v: AnyValue | undefined): unknown {
  const x = v?.value;
  switch (x?.case) {
    case "stringValue":
    case "boolValue":
    case "doubleValue":
      return x.value;
    case "intValue":
      // int64 beyond 2^53 stays exact as a string
      return x.value >= BigInt(Number.MIN_SAFE_INTEGER) && x.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x.value) : x.value.toString();
    case "bytesValue":
      return Buffer.from(x.value).toString("base64");
    case "arrayValue":
      return x.value.values.map(anyValueToJs);
    case "kvlistValue":
      return attributesToJs(x.value.values);
    default:
      return null;
  }
}

export function attributesToJs(kvs: KeyValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs) out[kv.key] = anyValueToJs(kv.value);
  return out;
}

/** First present attribute among current and deprecated semantic-convention names. */
function pick(attrs: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== "") return attrs[k];
  return undefined;
}
const str = (v: unknown) => (v === undefined ? null : String(v));
const int = (v: unknown) => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : null;
};

export interface FlattenResult {
  spans: SpanRecord[];
  rejected: number;
  errors: string[];
}

/** Flattens an export request; spans with invalid ids are rejected (counted), never stored half-right. */
export function flattenRequest(req: ExportTraceServiceRequest): FlattenResult {
  const spans: SpanRecord[] = [];
  const errors: string[] = [];
  let rejected = 0;
  for (const rs of req.resourceSpans) {
    const resourceAttributes = attributesToJs(rs.resource?.attributes ?? []);
    const service = typeof resourceAttributes["service.name"] === "string" ? (resourceAttributes["service.name"] as string) : "unknown_service";
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        if (s.traceId.length !== 16 || s.spanId.length !== 8 || s.traceId.every((b) => b === 0) || s.spanId.every((b) => b === 0)) {
          rejected++;
          if (errors.length < 5) errors.push(`span '${s.name.slice(0, 60)}': trace id must be 16 bytes and span id 8 bytes, not all zero`);
          continue;
        }
        const attributes = attributesToJs(s.attributes);
        const durationNs = s.endTimeUnixNano >= s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n;
        const op = pick(attributes, "messaging.operation.type", "messaging.operation");
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: s.parentSpanId.length === 8 ? hex(s.parentSpanId) : null,
          service,
          name: s.name,
          kind: s.kind,
          startUnixNano: s.startTimeUnixNano,
          startTime: new Date(Number(s.startTimeUnixNano / 1_000_000n)),
          durationMs: Number(durationNs) / 1e6,
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message || null,
          attributes,
          resourceAttributes,
          events: s.events.map((e) => ({ name: e.name, timeUnixNano: e.timeUnixNano.toString(), attributes: attributesToJs(e.attributes) })),
          links: s.links.map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: attributesToJs(l.attributes) })),
          messagingSystem: str(pick(attributes, "messaging.system")),
          messagingDestination: str(pick(attributes, "messaging.destination.name", "messaging.destination")),
          messagingOperation: str(op),
          messagingConsumerGroup: str(pick(attributes, "messaging.consumer.group.name", "messaging.kafka.consumer.group", "messaging.kafka.consumer_group")),
          messagingMessageId: str(pick(attributes, "messaging.message.id", "messaging.message_id")),
          kafkaPartition: int(pick(attributes, "messaging.destination.partition.id", "messaging.kafka.destination.partition", "messaging.kafka.partition")),
          kafkaOffset: int(pick(attributes, "messaging.kafka.offset", "messaging.kafka.message.offset")),
          rabbitmqRoutingKey: str(pick(attributes, "messaging.rabbitmq.destination.routing_key", "messaging.rabbitmq.routing_key")),
        });
      }
    }
  }
  return { spans, rejected, errors };
}
