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
