import { bigint, bigserial, boolean, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import { captureModes } from "../../lib/rabbitmq/view";

/** One row per queue per poll of the management API. */
export const rabbitmqQueueSamples = pgTable(
  "rabbitmq_queue_samples",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    broker: text("broker").notNull(),
    vhost: text("vhost").notNull(),
    queue: text("queue").notNull(),
    ready: bigint("ready", { mode: "number" }).notNull(),
    unacked: bigint("unacked", { mode: "number" }).notNull(),
    consumers: integer("consumers").notNull(),
    consumerCapacity: doublePrecision("consumer_capacity"),
    publishRate: doublePrecision("publish_rate"),
    deliverRate: doublePrecision("deliver_rate"),
    ackRate: doublePrecision("ack_rate"),
    redeliverRate: doublePrecision("redeliver_rate"),
    headMessageAgeSeconds: doublePrecision("head_message_age_seconds"),
    sampledAt: timestamp("sampled_at", tsOpts).notNull(),
  },
  (t) => [
    index("rabbitmq_queue_samples_queue_time").on(t.broker, t.vhost, t.queue, t.sampledAt.desc()),
    index("rabbitmq_queue_samples_time_brin").using("brin", t.sampledAt),
  ],
);

/** Per-minute rollup of queue depth for long ranges. */
export const rabbitmqQueueRollups = pgTable(
  "rabbitmq_queue_rollups",
  {
    broker: text("broker").notNull(),
    vhost: text("vhost").notNull(),
    queue: text("queue").notNull(),
    bucket: timestamp("bucket", tsOpts).notNull(),
    maxReady: bigint("max_ready", { mode: "number" }).notNull(),
    maxUnacked: bigint("max_unacked", { mode: "number" }).notNull(),
    avgPublishRate: doublePrecision("avg_publish_rate"),
    avgDeliverRate: doublePrecision("avg_deliver_rate"),
    samples: integer("samples").notNull(),
  },
  (t) => [primaryKey({ columns: [t.broker, t.vhost, t.queue, t.bucket] }), index("rabbitmq_queue_rollups_time_brin").using("brin", t.bucket)],
);

/** What the collector last knew of each queue: type, arguments, policy and where its dead letters go. */
export const rabbitmqQueues = pgTable(
  "rabbitmq_queues",
  {
    broker: text("broker").notNull(),
    vhost: text("vhost").notNull(),
    name: text("name").notNull(),
    /** classic | quorum | stream */
    type: text("type").notNull(),
    state: text("state"),
    arguments: jsonb("arguments").$type<Record<string, unknown>>().notNull().default({}),
    policy: text("policy"),
    deadLetterExchange: text("dead_letter_exchange"),
    deadLetterRoutingKey: text("dead_letter_routing_key"),
    isDeadLetterQueue: boolean("is_dead_letter_queue").notNull().default(false),
    deadLetterSources: jsonb("dead_letter_sources").$type<string[]>().notNull().default([]),
    /** queues this queue's dead letters land in */
    deadLetterTargets: jsonb("dead_letter_targets").$type<string[]>().notNull().default([]),
    /**
     * the exchanges that route to this queue and with which routing keys (bindings of non-default exchanges, read at
     * most once a minute): the flow map's exchange → queue edges, shown before any traffic
     */
    boundFrom: jsonb("bound_from").$type<{ exchange: string; routingKey: string }[]>().notNull().default([]),
    /** its dead-letter exchange is configured but does not exist: RabbitMQ drops its dead letters */
    dlxMissing: boolean("dlx_missing").notNull().default(false),
    /**
     * capture | observe-stream | monitor-only | not-captured (should be captured or read, but the collectors cannot:
     * see capture_error) | null (not a dead-letter queue)
     */
    captureMode: text("capture_mode"),
    /** why a dead-letter queue is not captured although it should be (its virtual host cannot be opened, ...) */
    captureError: text("capture_error"),
    updatedAt: timestamp("updated_at", tsOpts).notNull(),
  },
  (t) => [primaryKey({ columns: [t.broker, t.vhost, t.name] }), index("rabbitmq_queues_dlq").on(t.isDeadLetterQueue), check("rabbitmq_queues_capture_mode_check", oneOf(t.captureMode, captureModes))],
);
