import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import { workflowStates } from "../../lib/workflow-states";
import type { Evidence, WaitingOn } from "../../lib/workflows/derive";

/**
 * Business workflow instances (an order, a payment): one per business key value (WORKFLOW_KEYS), with the traces it
 * joins and where it stands, derived continuously by the collectors (collectors/workflows/engine.ts) from spans and
 * dead letters. `dirty` says new evidence came since the last derivation.
 */
export const workflows = pgTable(
  "workflows",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** the business key's value (an order id) */
    key: text("key").notNull(),
    /** the attribute or header it was found under (order.id, messaging.kafka.message.key) */
    keyName: text("key_name").notNull(),
    name: text("name").notNull().default(""),
    /** lib/workflow-states.ts workflowStates */
    state: text("state").notNull().default("running"),
    /** pending or running past WORKFLOW_STUCK_AFTER at the last derivation */
    stuck: boolean("stuck").notNull().default(false),
    traceIds: text("trace_ids").array().notNull().default(sql`'{}'::text[]`),
    deadLetterIds: bigint("dead_letter_ids", { mode: "number" }).array().notNull().default(sql`'{}'::bigint[]`),
    waitingOn: jsonb("waiting_on").$type<WaitingOn | null>(),
    evidence: jsonb("evidence").$type<Evidence[]>().notNull().default([]),
    startedAt: timestamp("started_at", tsOpts).notNull(),
    lastActivityAt: timestamp("last_activity_at", tsOpts).notNull(),
    touchedAt: timestamp("touched_at", tsOpts).notNull().defaultNow(),
    evaluatedAt: timestamp("evaluated_at", tsOpts),
    dirty: boolean("dirty").notNull().default(true),
  },
  (t) => [
    uniqueIndex("workflows_key").on(t.key),
    index("workflows_state").on(t.state, t.lastActivityAt.desc()),
    index("workflows_activity").on(t.lastActivityAt.desc(), t.id.desc()),
    index("workflows_name").on(t.name, t.lastActivityAt.desc()),
    index("workflows_dirty").on(t.touchedAt).where(sql`${t.dirty}`),
    check("workflows_state_check", oneOf(t.state, workflowStates)),
  ],
);

/**
 * Which workflows each trace belongs to (the traces of `workflows.trace_ids`, one row each): spans, links and dead
 * letters find their workflows by b-tree lookups here. A GIN index on the arrays made the links' join
 * (`trace_ids @> array[linked]`) a scan of every workflow for each link: 60 s for 30,000 links (bench:workflows).
 */
export const workflowTraces = pgTable(
  "workflow_traces",
  {
    traceId: text("trace_id").notNull(),
    workflowId: bigint("workflow_id", { mode: "number" })
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.traceId, t.workflowId] }), index("workflow_traces_workflow").on(t.workflowId)],
);
