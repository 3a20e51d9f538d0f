import { bigint, bigserial, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import type { GroupMember } from "../../lib/kafka/lag-poll";
import { groupStatuses } from "../../lib/kafka/group-health";

/** One row per (group, partition) per poll. Raw rows are kept for RETENTION_RAW_HOURS, then rolled up. */
export const kafkaLagSamples = pgTable(
  "kafka_lag_samples",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    cluster: text("cluster").notNull(),
    groupId: text("group_id").notNull(),
    topic: text("topic").notNull(),
    partition: integer("partition").notNull(),
    committedOffset: bigint("committed_offset", { mode: "number" }),
    /** null when the topic no longer exists */
    endOffset: bigint("end_offset", { mode: "number" }),
    lag: bigint("lag", { mode: "number" }),
    lagSeconds: doublePrecision("lag_seconds"),
    /** the partition's log start offset: with no committed offset, end − this is the backlog the group would face on joining */
    logStartOffset: bigint("log_start_offset", { mode: "number" }),
    /** exact | interpolated | none */
    lagMethod: text("lag_method").notNull(),
    /** Switchyard's partition status (lib/kafka/group-health.ts groupStatuses) */
    status: text("status"),
    sampledAt: timestamp("sampled_at", tsOpts).notNull(),
  },
  (t) => [
    index("kafka_lag_samples_group_time").on(t.cluster, t.groupId, t.sampledAt.desc()),
    index("kafka_lag_samples_time_brin").using("brin", t.sampledAt),
    check("kafka_lag_samples_status_check", oneOf(t.status, groupStatuses)),
  ],
);

/** Per-minute rollup of total group lag, what long time ranges are drawn from. */
export const kafkaLagRollups = pgTable(
  "kafka_lag_rollups",
  {
    cluster: text("cluster").notNull(),
    groupId: text("group_id").notNull(),
    bucket: timestamp("bucket", tsOpts).notNull(),
    totalLag: bigint("total_lag", { mode: "number" }).notNull(),
    maxLagSeconds: doublePrecision("max_lag_seconds"),
    samples: integer("samples").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.groupId, t.bucket] }), index("kafka_lag_rollups_time_brin").using("brin", t.bucket)],
);

export type { GroupMember };

/** Latest evaluation of each consumer group. */
export const kafkaGroupStatus = pgTable(
  "kafka_group_status",
  {
    cluster: text("cluster").notNull(),
    groupId: text("group_id").notNull(),
    /** Kafka's group state: Stable, Empty, PreparingRebalance, Dead, ... */
    state: text("state").notNull(),
    /** Switchyard's health (lib/kafka/group-health.ts groupStatuses) */
    status: text("status").notNull(),
    totalLag: bigint("total_lag", { mode: "number" }),
    /** messages on the partitions it never committed on (end − log start), apart from total_lag */
    uncommittedBacklog: bigint("uncommitted_backlog", { mode: "number" }),
    maxLagSeconds: doublePrecision("max_lag_seconds"),
    etaSeconds: doublePrecision("eta_seconds"),
    consumeRate: doublePrecision("consume_rate"),
    produceRate: doublePrecision("produce_rate"),
    members: integer("members").notNull().default(0),
    /** since when it has had no members (null while it has some): past KAFKA_INACTIVE_AFTER it is inactive */
    emptySince: timestamp("empty_since", tsOpts),
    /** [{ memberId, clientId, host, assignment: { topic: [partitions] } }] */
    memberDetails: jsonb("member_details").$type<GroupMember[]>().notNull().default([]),
    /** why the last poll could not evaluate this group (cluster down, ...) */
    error: text("error"),
    evaluatedAt: timestamp("evaluated_at", tsOpts).notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.groupId] }), index("kafka_group_status_status").on(t.status), check("kafka_group_status_status_check", oneOf(t.status, groupStatuses))],
);

/** Every change of a group's status, for the group page's status history. */
export const kafkaGroupStatusHistory = pgTable(
  "kafka_group_status_history",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    cluster: text("cluster").notNull(),
    groupId: text("group_id").notNull(),
    status: text("status").notNull(),
    reason: text("reason"),
    at: timestamp("at", tsOpts).notNull(),
  },
  (t) => [index("kafka_group_status_history_group").on(t.cluster, t.groupId, t.at.desc()), check("kafka_group_status_history_status_check", oneOf(t.status, groupStatuses))],
);
