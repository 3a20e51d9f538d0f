import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique } from "drizzle-orm/pg-core";
import { bytea, oneOf, tsOpts } from "./types";
import { deadLetterStatuses } from "../../lib/dead-letters";

/**
 * Every dead letter captured from a Kafka dead-letter topic or a RabbitMQ dead-letter queue.
 * Payload and headers are kept byte-faithful; the parsed fields beside them drive search and replay.
 */
export const deadLetters = pgTable(
  "dead_letters",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** kafka | rabbitmq */
    system: text("system").notNull(),
    /** configured cluster or broker name */
    sourceName: text("source_name").notNull(),
    vhost: text("vhost"),
    /** the dead-letter topic or queue */
    source: text("source").notNull(),
    /** idempotency key: topic/partition/offset for Kafka; for RabbitMQ see lib/rabbitmq/x-death.ts rabbitDedupKey */
    dedupKey: text("dedup_key").notNull(),
    messageKey: bytea("message_key"),
    payload: bytea("payload").notNull(),
    payloadSize: integer("payload_size").notNull(),
    payloadTruncated: boolean("payload_truncated").notNull().default(false),
    headers: jsonb("headers").$type<Record<string, unknown>>().notNull().default({}),
    properties: jsonb("properties").$type<Record<string, unknown>>().notNull().default({}),
    kafkaPartition: integer("kafka_partition"),
    kafkaOffset: bigint("kafka_offset", { mode: "number" }),
    /** rejected | expired | maxlen | delivery_limit | exception | ... */
    reason: text("reason"),
    errorType: text("error_type"),
    errorMessage: text("error_message"),
    originalDestination: text("original_destination"),
    originalExchange: text("original_exchange"),
    originalRoutingKey: text("original_routing_key"),
    deathCount: integer("death_count").notNull().default(1),
    firstDeadAt: timestamp("first_dead_at", tsOpts),
    lastDeadAt: timestamp("last_dead_at", tsOpts),
    traceId: text("trace_id"),
    /** lib/dead-letters.ts deadLetterStatuses */
    status: text("status").notNull().default("new"),
    capturedAt: timestamp("captured_at", tsOpts).notNull().defaultNow(),
    /**
     * Set when Postgres refused the row as captured (a value it cannot hold): the row is kept in a quarantine form
     * (payload bytes as they came, headers and properties as base64 of their JSON under `switchyard.raw`) with the
     * error, so the queue or partition moves on and nothing is lost.
     */
    captureError: text("capture_error"),
    /**
     * RabbitMQ capture: inserted, but the broker has not yet confirmed the ack. A redelivery of the same content
     * after a crash claims one such row instead of being stored twice (see collectors/rabbitmq/dlq-capture.ts).
     */
    capturePending: boolean("capture_pending").notNull().default(false),
    /** why the status was last set by a person (a discard's reason), by whom, when */
    statusReason: text("status_reason"),
    statusChangedBy: text("status_changed_by"),
    statusChangedAt: timestamp("status_changed_at", tsOpts),
    /** lib/failure-groups.ts: the failure group's id, its root exception type and its masked error message */
    failureGroup: text("failure_group"),
    failureType: text("failure_type"),
    failureMessage: text("failure_message"),
    /** the replay this message was sent by when it came back dead-lettered (its x-switchyard-replay-id) */
    replayId: bigint("replay_id", { mode: "number" }),
    /** a replay sent this dead letter and it came back dead-lettered as that one (the copy is what to replay next) */
    returnedAs: bigint("returned_as", { mode: "number" }),
  },
  (t) => [
    // vhost is part of a RabbitMQ queue's identity; Kafka rows have none (nulls equal, so Kafka keys still collide)
    unique("dead_letters_dedup").on(t.system, t.sourceName, t.vhost, t.source, t.dedupKey).nullsNotDistinct(),
    // No index holds `status` (nor any column a replay or a discard writes), so those updates are HOT: the row gets a
    // new version on its own page (the table's fillfactor leaves room, migration 0023) and no index is touched. With
    // status in two indexes, marking 50,000 dead letters replaying and then replayed cost ~10 s of Postgres CPU
    // (bench:replay); a failure group's status counts and a list by status read the rows the other indexes find.
    index("dead_letters_failure_group").on(t.failureGroup),
    index("dead_letters_pending").on(t.system, t.sourceName, t.vhost, t.source).where(sql`${t.capturePending}`),
    // the list's order: newest death first (db/queries/dead-letters.ts listDeadLetters)
    index("dead_letters_dead_at").on(sql`coalesce(${t.lastDeadAt}, ${t.firstDeadAt}, ${t.capturedAt}) desc`, sql`${t.id} desc`),
    index("dead_letters_source").on(t.system, t.source, t.capturedAt.desc()),
    index("dead_letters_reason").on(t.reason),
    check("dead_letters_status_check", oneOf(t.status, deadLetterStatuses)),
    index("dead_letters_replay").on(t.replayId).where(sql`${t.replayId} is not null`),
    // the engine looks each second at the dead letters that came back lately (db/queries/replay-run.ts settleItems)
    index("dead_letters_returned").on(t.capturedAt).where(sql`${t.replayId} is not null`),
    index("dead_letters_trace").on(t.traceId).where(sql`${t.traceId} is not null`),
    // the workflow engine looks each turn at the dead letters captured since the last (captured_at never changes)
    index("dead_letters_captured").on(t.capturedAt),
  ],
);

/**
 * The values a dead letter can be found by in the search box (GET /api/v1/search): its message key (when it is
 * UTF-8), its message id and correlation id, and its headers named like an id or a key (`x-order-id`, `orderKey`):
 * filled as dead letters are stored, by a statement trigger on dead_letters (migration 0031), never by scanning
 * payloads on request.
 */
export const deadLetterKeys = pgTable(
  "dead_letter_keys",
  {
    value: text("value").notNull(),
    deadLetterId: bigint("dead_letter_id", { mode: "number" })
      .notNull()
      .references(() => deadLetters.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.value, t.deadLetterId] }), index("dead_letter_keys_dead_letter").on(t.deadLetterId)],
);

