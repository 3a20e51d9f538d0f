import { sql } from "drizzle-orm";
import { bigint, doublePrecision, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp } from "drizzle-orm/pg-core";
import { tsOpts } from "./types";

/**
 * One OpenTelemetry span as received over OTLP, with messaging fields lifted into columns.
 * Partitioned by day on start_time (migration 0003; partitions made and dropped by db/queries/span-partitions.ts), so
 * retention drops whole partitions. The key includes start_time, as a partitioned table's must; an exporter's retry
 * resends the same start time, so a span is still stored once.
 */
export const spans = pgTable(
  "spans",
  {
    traceId: text("trace_id").notNull(),
    spanId: text("span_id").notNull(),
    parentSpanId: text("parent_span_id"),
    service: text("service").notNull(),
    name: text("name").notNull(),
    kind: smallint("kind").notNull(),
    startTime: timestamp("start_time", tsOpts).notNull(),
    /** nanoseconds since the epoch, as sent (a Date keeps only milliseconds) */
    startUnixNano: bigint("start_unix_nano", { mode: "bigint" }).notNull(),
    durationMs: doublePrecision("duration_ms").notNull(),
    statusCode: smallint("status_code").notNull().default(0),
    statusMessage: text("status_message"),
    attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default({}),
    /** the span's resource (service, host, process, SDK) in span_resources, stored once for all its spans */
    resourceId: text("resource_id").notNull(),
    events: jsonb("events").$type<unknown[]>().notNull().default([]),
    links: jsonb("links").$type<unknown[]>().notNull().default([]),
    messagingSystem: text("messaging_system"),
    messagingDestination: text("messaging_destination"),
    messagingOperation: text("messaging_operation"),
    messagingConsumerGroup: text("messaging_consumer_group"),
    messagingMessageId: text("messaging_message_id"),
    kafkaPartition: integer("kafka_partition"),
    kafkaOffset: bigint("kafka_offset", { mode: "number" }),
    rabbitmqRoutingKey: text("rabbitmq_routing_key"),
    receivedAt: timestamp("received_at", tsOpts).notNull().defaultNow(),
  },
  (t) => [
    // the key's leading trace_id serves lookups by trace: no index of its own (one less to write per span)
    primaryKey({ columns: [t.traceId, t.spanId, t.startTime] }),
    index("spans_service_time").on(t.service, t.startTime.desc()),
    // trace search reads matching spans newest first (db/queries/traces.ts): a btree on start time, not a BRIN
    index("spans_time").on(t.startTime),
    index("spans_error_time").on(t.startTime).where(sql`${t.statusCode} = 2`),
    index("spans_destination").on(t.messagingDestination).where(sql`${t.messagingDestination} is not null`),
    index("spans_message_id").on(t.messagingMessageId).where(sql`${t.messagingMessageId} is not null`),
    // the search box finds a pasted span id (GET /api/v1/search)
    index("spans_span_id").on(t.spanId),
  ],
);

/**
 * Resources (OTLP `resource.attributes`: service, instance, host, process, SDK), each stored once: a service sends the
 * same dozen attributes with every span, and writing them per span cost ingest a third of its throughput
 * (docs/benchmarks.md). The id is a hash of the attributes as received. Rows are few (one per service instance) and
 * are not removed with span partitions.
 */
export const spanResources = pgTable("span_resources", {
  id: text("id").primaryKey(),
  attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull(),
  firstSeen: timestamp("first_seen", tsOpts).notNull().defaultNow(),
});

/** Span links, indexed both ways (the key leads with trace_id) so a trace finds the traces linked to it and those it links to; partitioned like spans. */
export const spanLinks = pgTable(
  "span_links",
  {
    traceId: text("trace_id").notNull(),
    spanId: text("span_id").notNull(),
    linkedTraceId: text("linked_trace_id").notNull(),
    linkedSpanId: text("linked_span_id").notNull(),
    startTime: timestamp("start_time", tsOpts).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.traceId, t.spanId, t.linkedTraceId, t.linkedSpanId, t.startTime] }),
    index("span_links_linked").on(t.linkedTraceId),
  ],
);
