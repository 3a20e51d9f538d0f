import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { bytea, oneOf, tsOpts } from "./types";
import { sql } from "drizzle-orm";
import { replayItemStatuses, replayStatuses } from "../../lib/replay-states";
import { skipReasons } from "../../lib/replay/plan";

/** A replay job: a set of dead letters sent back to their original (or a chosen) destination. */
export const replays = pgTable(
  "replays",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: timestamp("requested_at", tsOpts).notNull().defaultNow(),
    /** lib/replay-states.ts replayStatuses */
    status: text("status").notNull().default("pending"),
    dryRun: boolean("dry_run").notNull().default(false),
    /** the selection replayed: ids, a failure group, or a filter (lib/dead-letter-selection.ts) */
    filter: jsonb("filter").$type<Record<string, unknown>>().notNull().default({}),
    /** a destination the operator typed, instead of each dead letter's own */
    target: jsonb("target").$type<Record<string, unknown>>(),
    /** send again what was replayed already or too often */
    force: boolean("force").notNull().default(false),
    ratePerSecond: integer("rate_per_second").notNull().default(50),
    /** the plan as computed when the replay was made (db/queries/replay-plan.ts) */
    plan: jsonb("plan").$type<Record<string, unknown>>().notNull().default({}),
    total: integer("total").notNull().default(0),
    /** items that reached the consumer (processed) and that did not (failed to send); the rest are counted from items */
    succeeded: integer("succeeded").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    startedAt: timestamp("started_at", tsOpts),
    finishedAt: timestamp("finished_at", tsOpts),
    error: text("error"),
    /** when the collectors last wrote progress (a replay running with an old heartbeat has lost its process) */
    heartbeatAt: timestamp("heartbeat_at", tsOpts),
  },
  (t) => [index("replays_time").on(t.requestedAt.desc()), check("replays_status_check", oneOf(t.status, replayStatuses))],
);

export const replayItems = pgTable(
  "replay_items",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    // No foreign keys (migration 0034): items are made only by the statement that reads their dead letters and the
    // replay it is in (db/mutations/create-replay.ts), and neither replays nor dead letters are ever deleted. Their
    // two checks, one query each per item, were a third of making a replay of 50,000 (bench:replay).
    replayId: bigint("replay_id", { mode: "number" }).notNull(),
    deadLetterId: bigint("dead_letter_id", { mode: "number" }).notNull(),
    /** lib/replay-states.ts replayItemStatuses */
    status: text("status").notNull().default("pending"),
    /** lib/replay/plan.ts skipReasons, for a skipped item */
    skipReason: text("skip_reason"),
    /** where it is sent: a Kafka topic, or a RabbitMQ exchange and routing key */
    destination: text("destination"),
    error: text("error"),
    sentAt: timestamp("sent_at", tsOpts),
    confirmedAt: timestamp("confirmed_at", tsOpts),
    /** when the consumer's span under the replay's span succeeded (processed) or erred (failed again) */
    settledAt: timestamp("settled_at", tsOpts),
    /** the dead letter's status before the replay took it: what a cancel gives back */
    priorStatus: text("prior_status"),
    /** the replay's span for this item (its traceparent; set when the item is made): the consumer's span is its child */
    traceId: text("trace_id"),
    spanId: text("span_id"),
    /** the span the dead letter died under (its traceparent, when in the same trace): the parent of the replay's span */
    parentSpanId: text("parent_span_id"),
    /** Kafka: the partition it is sent to, the partition's end offset noted before the send, and its offset once acked */
    kafkaPartition: integer("kafka_partition"),
    offsetBefore: bigint("offset_before", { mode: "number" }),
    kafkaOffset: bigint("kafka_offset", { mode: "number" }),
    /** RabbitMQ: caught in sending by a crash and sent again with the same message id (a consumer may see it twice) */
    resent: boolean("resent").notNull().default(false),
    /** an edited payload and headers (edit and replay), sent instead of the dead letter's own */
    editedPayload: bytea("edited_payload"),
    editedHeaders: jsonb("edited_headers").$type<Record<string, unknown>>(),
    /** the dead letter it came back as (failed again into a dead-letter queue or topic) */
    returnedAs: bigint("returned_as", { mode: "number" }),
  },
  (t) => [
    index("replay_items_replay").on(t.replayId, t.status),
    index("replay_items_dead_letter").on(t.deadLetterId),
    // the engine's claim: the next pending items of a replay, without walking past the sent ones
    index("replay_items_pending").on(t.replayId, t.id).where(sql`${t.status} = 'pending'`),
    // the items the engine settles from spans and returning dead letters, every second
    index("replay_items_unsettled").on(t.sentAt).where(sql`${t.status} in ('sending', 'confirmed', 'uncertain')`),
    check("replay_items_status_check", oneOf(t.status, replayItemStatuses)),
    check("replay_items_skip_reason_check", sql`${t.skipReason} is null or ${oneOf(t.skipReason, skipReasons)}`),
  ],
);

/**
 * A batch of a replay's items being sent: written (with the items' ids) before the batch goes to the broker and
 * deleted once the broker's answers for all of them are written. An item still `pending` in a batch row is one caught
 * sending: after a crash, recovery looks for it (Kafka, from the end offsets noted here) or sends it again
 * (RabbitMQ, uncertain). One row per batch instead of a write per item before its send.
 */
export const replayBatches = pgTable(
  "replay_batches",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    replayId: bigint("replay_id", { mode: "number" })
      .notNull()
      .references(() => replays.id, { onDelete: "cascade" }),
    itemIds: bigint("item_ids", { mode: "number" }).array().notNull(),
    /** Kafka: per item, [item id, partition, the partition's end offset before the send] (what recovery reads from) */
    kafkaTargets: jsonb("kafka_targets").$type<[number, number, number][]>(),
    startedAt: timestamp("started_at", tsOpts).notNull().defaultNow(),
  },
  (t) => [index("replay_batches_replay").on(t.replayId)],
);
