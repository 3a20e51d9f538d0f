import { capPayload } from "../dead-letters";
import { headersToJson, parseDltHeaders, type RawHeaders } from "./dlt-headers";

/** A record read from a Kafka dead-letter topic, turned into a dead-letters row (pure; the collector writes it). */
export interface KafkaDltRecord {
  cluster: string;
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: RawHeaders;
}

export function kafkaDeadLetterRow(r: KafkaDltRecord, maxBytes: number) {
  const info = parseDltHeaders(r.headers);
  const { payload, size, truncated } = capPayload(r.value ?? Buffer.alloc(0), maxBytes);
  const at = new Date(Number(r.timestamp));
  const origin = info.originalTopic
    ? `${info.originalTopic}${info.originalPartition !== null ? `[${info.originalPartition}]` : ""}${info.originalOffset !== null ? `@${info.originalOffset}` : ""}`
    : null;
  return {
    system: "kafka" as const,
    sourceName: r.cluster,
    vhost: null,
    source: r.topic,
    dedupKey: `${r.topic}/${r.partition}/${r.offset}`,
    messageKey: r.key,
    payload,
    payloadSize: size,
    payloadTruncated: truncated,
    headers: headersToJson(r.headers) as Record<string, unknown>,
    properties: {
      timestamp: at.toISOString(),
      format: info.format,
      originalTopic: info.originalTopic,
      originalPartition: info.originalPartition,
      originalOffset: info.originalOffset,
      originalTimestamp: info.originalTimestamp?.toISOString() ?? null,
      consumerGroup: info.consumerGroup,
      stacktrace: info.stacktrace,
    },
    kafkaPartition: r.partition,
    kafkaOffset: Number(r.offset),
    reason: info.errorType || info.errorMessage ? "exception" : "unknown",
    errorType: info.errorType,
    errorMessage: info.errorMessage,
    originalDestination: origin,
    originalExchange: null,
    originalRoutingKey: null,
    deathCount: 1,
    firstDeadAt: at,
    lastDeadAt: at,
    traceId: info.traceId,
  };
}
