/**
 * The span, one model: the shape the traces API answers (lib/api/contracts/traces.ts), the trace page draws
 * (waterfall.ts) and the queries convert stored rows to (db/queries/traces.ts). Ingest's record (lib/otlp/span-record.ts)
 * is this model with OTLP's numbers and exact binary times, as the columns keep them. OTLP's kind and status codes
 * become names here, once (`spanKindOf`, `spanStatusOf`); nothing maps them back.
 */
import { z } from "zod";

/** OTLP SpanKind by its number (0–5). */
export const spanKinds = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"] as const;
export type SpanKind = (typeof spanKinds)[number];

/** OTLP Status.code by its number (0–2). */
export const spanStatuses = ["UNSET", "OK", "ERROR"] as const;
export type SpanStatus = (typeof spanStatuses)[number];

/** The name of an OTLP SpanKind number; a number OTLP does not define (ingest keeps any smallint) is UNSPECIFIED. */
export const spanKindOf = (code: number): SpanKind => spanKinds[code] ?? "UNSPECIFIED";

/** The name of an OTLP status code; a code OTLP does not define is UNSET. */
export const spanStatusOf = (code: number): SpanStatus => spanStatuses[code] ?? "UNSET";

const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A JSON object as stored (attributes): checked, never rebuilt, so that a key such as `__proto__` (an exporter may send
 * one) stays a key of the answer instead of being dropped or read as the prototype.
 */
export const jsonObject = z
  .custom<Record<string, unknown>>(isJsonObject, "must be a JSON object")
  .meta({ override: { type: "object", additionalProperties: {} } });

const lowerHex = (digits: number, what: string) => z.string().regex(new RegExp(`^[0-9a-f]{${digits}}$`), `must be ${digits} lower-case hex digits`).meta({ description: what });
const nullableText = (description: string) => z.string().nullable().meta({ description });

export const spanEvent = z.object({
  name: z.string(),
  /** nanoseconds since the epoch, as a decimal string (exact) */
  timeUnixNano: z.string().meta({ description: "nanoseconds since the epoch, as a decimal string" }),
  attributes: jsonObject,
});

export const spanLink = z.object({
  /** as sent: lower-case hex, or empty when the exporter sent none */
  traceId: z.string().meta({ description: "the linked span's trace id, lower-case hex (empty when the exporter sent none)" }),
  spanId: z.string(),
  attributes: jsonObject,
});

export const spanSchema = z
  .object({
    traceId: lowerHex(32, "trace id"),
    spanId: lowerHex(16, "span id"),
    parentSpanId: lowerHex(16, "the parent span's id; null for a root span").nullable(),
    service: z.string().meta({ description: "service.name of the span's resource" }),
    name: z.string(),
    kind: z.enum(spanKinds),
    startUnixNano: z.string().regex(/^\d{1,19}$/).meta({ description: "nanoseconds since the epoch, as a decimal string (exact)" }),
    startTime: z.string().meta({ description: "the start as an ISO time, to the millisecond" }),
    durationMs: z.number().min(0),
    status: z.enum(spanStatuses),
    statusMessage: z.string().nullable(),
    attributes: jsonObject,
    resourceAttributes: jsonObject,
    events: z.array(spanEvent),
    links: z.array(spanLink),
    messagingSystem: nullableText("messaging.system (kafka, rabbitmq), null on a span of no messaging hop"),
    messagingDestination: nullableText("the topic or queue the message went to or came from (for a RabbitMQ consumer the queue it read)"),
    messagingOperation: nullableText("messaging.operation.type (publish, process, receive)"),
    messagingConsumerGroup: nullableText("the Kafka consumer group"),
    messagingMessageId: nullableText("messaging.message.id"),
    kafkaPartition: z.number().int().nullable(),
    kafkaOffset: z.number().int().nullable(),
    rabbitmqRoutingKey: z.string().nullable(),
  })
  .meta({ id: "Span" });

export type Span = z.infer<typeof spanSchema>;

/** The messaging fields of a span that is no messaging hop (an HTTP call, an internal span). */
export const noMessaging = {
  messagingSystem: null,
  messagingDestination: null,
  messagingOperation: null,
  messagingConsumerGroup: null,
  messagingMessageId: null,
  kafkaPartition: null,
  kafkaOffset: null,
  rabbitmqRoutingKey: null,
} as const satisfies Partial<Span>;
