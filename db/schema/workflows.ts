import { check, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import { workflowStates } from "../../lib/workflow-states";

/** A business workflow (an order, a payment) and where it stands, derived from spans and dead letters. */
export const workflows = pgTable(
  "workflows",
  {
    type: text("type").notNull(),
    key: text("key").notNull(),
    /** lib/workflow-states.ts workflowStates */
    state: text("state").notNull(),
    lastStep: text("last_step"),
    attempts: integer("attempts").notNull().default(0),
    traceId: text("trace_id"),
    startedAt: timestamp("started_at", tsOpts).notNull(),
    updatedAt: timestamp("updated_at", tsOpts).notNull(),
  },
  (t) => [primaryKey({ columns: [t.type, t.key] }), index("workflows_state").on(t.state, t.updatedAt.desc()), check("workflows_state_check", oneOf(t.state, workflowStates))],
);
