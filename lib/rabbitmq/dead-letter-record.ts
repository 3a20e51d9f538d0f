import { capPayload } from "../dead-letters";
import { amqpValueToJson, parseDeath, rabbitDedupKey } from "./x-death";

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

export function rabbitDeadLetterRow(m: RabbitDeadMessage, maxBytes: number) {
  const headers = m.properties.headers ?? {};
  const death = parseDeath(headers);
  const { payload, size, truncated } = capPayload(m.content, maxBytes);
  const { headers: _h, ...props } = m.properties;
  const properties = amqpValueToJson({ ...props, deliveredVia: { exchange: m.fields.exchange, routingKey: m.fields.routingKey } }) as Record<string, unknown>;
  const dedupKey = m.streamOffset !== undefined ? `stream:${m.streamOffset}` : rabbitDedupKey(typeof m.properties.messageId === "string" ? m.properties.messageId : null, m.content, death);
  return {
    system: "rabbitmq" as const,
    sourceName: m.broker,
    vhost: m.vhost,
    source: m.queue,
    dedupKey,
    messageKey: null,
    payload,
    payloadSize: size,
    payloadTruncated: truncated,
    headers: amqpValueToJson(headers) as Record<string, unknown>,
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
  };
}
