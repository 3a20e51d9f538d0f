import { bigint, check, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import { flowEdgeKinds, flowNodeKinds } from "../../lib/flows/model";

/**
 * The event-flow map's per-minute edge rollups, maintained by the collectors as spans arrive (collectors/otlp/flows.ts):
 * one row per edge and minute with its count, errors and latency histogram (lib/flows/histogram.ts bounds), so the map
 * of any range sums rows instead of scanning spans.
 */
export const flowEdgeMinutes = pgTable(
  "flow_edge_minutes",
  {
    minute: timestamp("minute", tsOpts).notNull(),
    source: text("source").notNull(),
    /** lib/flows/model.ts flowNodeKinds */
    sourceKind: text("source_kind").notNull(),
    target: text("target").notNull(),
    targetKind: text("target_kind").notNull(),
    /** lib/flows/model.ts flowEdgeKinds */
    edge: text("edge").notNull(),
    system: text("system").notNull(),
    /** the consumer group of a consume edge, else "" */
    groupName: text("group_name").notNull().default(""),
    /** the HTTP method or RPC system of a call, else "" */
    method: text("method").notNull().default(""),
    count: bigint("count", { mode: "number" }).notNull(),
    errors: bigint("errors", { mode: "number" }).notNull(),
    durationSumMs: doublePrecision("duration_sum_ms").notNull(),
    maxMs: doublePrecision("max_ms").notNull(),
    buckets: integer("buckets").array().notNull(),
  },
  (t) => [
    primaryKey({ name: "flow_edge_minutes_pk", columns: [t.minute, t.source, t.sourceKind, t.target, t.targetKind, t.edge, t.system, t.groupName, t.method] }),
    index("flow_edge_minutes_source").on(t.source, t.minute),
    index("flow_edge_minutes_target").on(t.target, t.minute),
    check("flow_edge_minutes_edge_check", oneOf(t.edge, flowEdgeKinds)),
    check("flow_edge_minutes_source_kind_check", oneOf(t.sourceKind, flowNodeKinds)),
    check("flow_edge_minutes_target_kind_check", oneOf(t.targetKind, flowNodeKinds)),
  ],
);
