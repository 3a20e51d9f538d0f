import { createHash, randomUUID } from "node:crypto";
import { capPayload } from "../dead-letters";
import { errorMessage } from "../errors";
import { pgText } from "../pg-safe";
import { amqpValueToJson, parseDeath, rabbitContentKey, rabbitDedupKey } from "./x-death";

/** A message consumed from a RabbitMQ dead-letter queue, turned into a dead-letters row (pure). */
export interface RabbitDeadMessage {
  broker: string;
  vhost: string;
  queue: string;
  content: Buffer;
  fields: { exchange: string; routingKey: string; redelivered: boolean };
  properties: Record<string, unknown> & { headers?: Record<string, unknown>; messageId?: string };
  /** for stream queues read in observe mode */
  streamOffset?: number;
}

/**
 * How a captured dead letter is told from a redelivery of itself (see collectors/rabbitmq/dlq-capture.ts):
 * - `fixed`: a message id with an x-death time, or a stream offset; the unique key makes a redelivery a no-op.
 * - `fresh`: no message id (or one without x-death), never delivered before (`redelivered` false): cannot be a capture's own duplicate, so
 *   it is stored under its content key plus a random suffix, which never conflicts, and marked pending until the
 *   broker has processed its ack.
 * - `redelivered`: no message id, delivered before: a capture that stopped between insert and ack may have stored
 *   it already; it claims one pending row with its content key, or is stored as new when there is none.
 */
export type RabbitCaptureKind = "fixed" | "fresh" | "redelivered";

/** Length of the `#<uuid>` suffix of a content-keyed dedup key. */
export const CONTENT_KEY_SUFFIX_LENGTH = 37;

export function rabbitDeadLetterRow(m: RabbitDeadMessage, maxBytes: number) {
  const rawHeaders = m.properties.headers ?? {};
  const death = parseDeath(rawHeaders);
  const { payload, size, truncated } = capPayload(m.content, maxBytes);
  const { headers: _h, ...props } = m.properties;
  const properties = amqpValueToJson({ ...props, deliveredVia: { exchange: m.fields.exchange, routingKey: m.fields.routingKey } }) as Record<string, unknown>;
  const headers = amqpValueToJson(rawHeaders) as Record<string, unknown>;
  const messageId = typeof m.properties.messageId === "string" && m.properties.messageId !== "" ? m.properties.messageId : null;
  let kind: RabbitCaptureKind;
  let contentKey: string | null = null;
  let dedupKey: string;
  let identityKey: string | undefined;
  if (m.streamOffset !== undefined) {
    // keyed by its offset; by offset and content where a row of another message holds the offset (a stream deleted
    // and declared again counts from 0 again: db/queries/dead-letter-store.ts keysFor)
    kind = "fixed";
    dedupKey = `stream:${m.streamOffset}`;
    identityKey = `stream:${m.streamOffset}|${rabbitContentKey(m.content, rawHeaders, props, death)}`;
  } else if (messageId !== null && death.firstDeadAt !== null) {
    // a message id with the broker's death record: a redelivery repeats both. A message id alone does not tell one
    // death from the next (a recoverer that republishes to the DLQ keeps the id and adds no x-death), so such a
    // message is keyed by its content, like one with no id
    kind = "fixed";
    dedupKey = rabbitDedupKey(messageId, death);
  } else {
    kind = m.fields.redelivered ? "redelivered" : "fresh";
    contentKey = rabbitContentKey(m.content, rawHeaders, props, death);
    dedupKey = `${contentKey}#${randomUUID()}`;
  }
  const row = {
    system: "rabbitmq" as const,
    sourceName: m.broker,
    vhost: m.vhost,
    source: m.queue,
    dedupKey,
    messageKey: null,
    payload,
    payloadSize: size,
    payloadTruncated: truncated,
    headers,
    properties,
    kafkaPartition: null,
    kafkaOffset: null,
    reason: death.reason,
    errorType: death.errorType,
    errorMessage: death.errorMessage,
    originalDestination: death.originalQueue,
    originalExchange: death.originalExchange,
    originalRoutingKey: death.originalRoutingKey,
    deathCount: Math.max(1, death.deathCount),
    firstDeadAt: death.firstDeadAt,
    lastDeadAt: death.lastDeadAt,
    traceId: death.traceId,
    capturePending: kind !== "fixed",
  };
  return { row, kind, contentKey, identityKey };
}

export type RabbitCaptured = ReturnType<typeof rabbitDeadLetterRow>;

/**
 * The row of a message whose headers or properties could not be read at all (rabbitDeadLetterRow threw): its bytes,
 * where it was, and why, keyed like a message without id so a redelivery still claims it.
 */
export function unreadableRabbitDeadLetter(m: RabbitDeadMessage, maxBytes: number, error: unknown): RabbitCaptured {
  const { payload, size, truncated } = capPayload(m.content, maxBytes);
  const contentKey = `unreadable:${createHash("sha256").update(m.content).digest("hex")}`;
  const kind: RabbitCaptureKind = m.fields.redelivered ? "redelivered" : "fresh";
  return {
    kind,
    contentKey,
    identityKey: undefined,
    row: {
      system: "rabbitmq" as const,
      sourceName: m.broker,
      vhost: m.vhost,
      source: m.queue,
      dedupKey: `${contentKey}#${randomUUID()}`,
      messageKey: null,
      payload,
      payloadSize: size,
      payloadTruncated: truncated,
      headers: {},
      properties: {},
      kafkaPartition: null,
      kafkaOffset: null,
      reason: null,
      errorType: null,
      errorMessage: null,
      originalDestination: null,
      originalExchange: null,
      originalRoutingKey: null,
      deathCount: 1,
      firstDeadAt: null,
      lastDeadAt: null,
      traceId: null,
      capturePending: true,
      captureError: pgText(`headers or properties could not be read: ${errorMessage(error)}`).slice(0, 2_000),
    } as ReturnType<typeof rabbitDeadLetterRow>["row"] & { captureError: string },
  };
}
