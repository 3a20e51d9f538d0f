import { createHash } from "node:crypto";
import { capPayload } from "../dead-letters";
import { errorMessage } from "../errors";
import { storableDate } from "../pg-safe";
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

/** Where a Kafka record is: the key its dead letter is stored under (see kafkaDedupKey for a second life of a topic). */
export const kafkaPositionKey = (r: Pick<KafkaDltRecord, "topic" | "partition" | "offset">): string => `${r.topic}/${r.partition}/${r.offset}`;

/**
 * Where a Kafka record is and what it is (its timestamp and a digest of its key, value and headers): the key of a
 * dead letter whose position is taken already by another record. An offset names a record only within one life of its
 * topic: a topic deleted and made again, or a cluster set up afresh under the same name, counts from 0 again, and its
 * dead letters were dropped as the old ones. The capture stores a record under its position key, and under this one
 * when the row at its position holds another record (db/queries/dead-letter-store.ts keysFor), so rows stored
 * before this key existed still meet their records read again. Never throws.
 */
export function kafkaDedupKey(r: Pick<KafkaDltRecord, "topic" | "partition" | "offset" | "timestamp" | "key" | "value" | "headers">): string {
  const h = createHash("sha256");
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    h.update(b);
  };
  const part = (b: Buffer | string | null | undefined) => {
    const buf = b === null || b === undefined ? null : typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.isBuffer(b) ? b : Buffer.from(String(b), "utf8");
    // length-prefixed, so no two different records hash alike by shifting bytes between parts (-1: absent)
    int(buf === null ? -1 : buf.length);
    if (buf) h.update(buf);
  };
  part(r.key);
  part(r.value);
  for (const [name, v] of Object.entries(r.headers ?? {})) {
    part(name);
    // how many values the name has (-2: one, not a list), so a repeated header is not read as further headers
    if (Array.isArray(v)) {
      int(v.length);
      for (const x of v) part(x);
    } else {
      int(-2);
      part(v);
    }
  }
  return `${kafkaPositionKey(r)}/${r.timestamp}/${h.digest("hex").slice(0, 32)}`;
}

export function kafkaDeadLetterRow(r: KafkaDltRecord, maxBytes: number) {
  const info = parseDltHeaders(r.headers);
  const { payload, size, truncated } = capPayload(r.value ?? Buffer.alloc(0), maxBytes);
  // a producer sets the record timestamp: it may be anything a long holds
  const at = storableDate(Number(r.timestamp));
  const origin = info.originalTopic
    ? `${info.originalTopic}${info.originalPartition !== null ? `[${info.originalPartition}]` : ""}${info.originalOffset !== null ? `@${info.originalOffset}` : ""}`
    : null;
  return {
    system: "kafka" as const,
    sourceName: r.cluster,
    vhost: null,
    source: r.topic,
    dedupKey: kafkaPositionKey(r),
    messageKey: r.key,
    payload,
    payloadSize: size,
    payloadTruncated: truncated,
    headers: headersToJson(r.headers) as Record<string, unknown>,
    properties: {
      timestamp: at?.toISOString() ?? null,
      // a null value (a tombstone) is not an empty one: the payload column holds no bytes for either
      tombstone: r.value === null,
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

/**
 * A record whose parsing failed (a fault of ours met by input nobody expected): kept as its bytes with the error, so
 * its partition moves on and the record can still be read and replayed.
 */
export function unreadableKafkaDeadLetter(r: KafkaDltRecord, maxBytes: number, error: unknown) {
  const { payload, size, truncated } = capPayload(r.value ?? Buffer.alloc(0), maxBytes);
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    const list = (Array.isArray(v) ? v : [v]).map((x) => (x === undefined || x === null ? null : { base64: (typeof x === "string" ? Buffer.from(x) : x).toString("base64") }));
    raw[Buffer.from(k).toString("base64")] = list;
  }
  return {
    ...kafkaDeadLetterRowShape(r),
    payload,
    payloadSize: size,
    payloadTruncated: truncated,
    headers: { "switchyard.raw-headers": raw },
    captureError: `could not read the record: ${errorMessage(error)}`.slice(0, 2_000),
  };
}

function kafkaDeadLetterRowShape(r: KafkaDltRecord) {
  return {
    system: "kafka" as const,
    sourceName: r.cluster,
    vhost: null,
    source: r.topic,
    dedupKey: kafkaPositionKey(r),
    messageKey: r.key,
    properties: {},
    kafkaPartition: r.partition,
    kafkaOffset: Number(r.offset),
    reason: "unknown",
    errorType: null,
    errorMessage: null,
    originalDestination: null,
    originalExchange: null,
    originalRoutingKey: null,
    deathCount: 1,
    firstDeadAt: null,
    lastDeadAt: null,
    traceId: null,
  };
}
