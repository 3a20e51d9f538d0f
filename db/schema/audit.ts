import { bigserial, check, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import { auditOutcomes } from "../../lib/audit";

/** Who did what, when: every mutation (replay, discard, purge) writes one row. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", tsOpts).notNull().defaultNow(),
    actor: text("actor").notNull(),
    role: text("role").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    /** lib/audit.ts auditOutcomes */
    outcome: text("outcome").notNull(),
  },
  (t) => [
    index("audit_log_time").on(t.at.desc()),
    index("audit_log_target").on(t.targetType, t.targetId),
    check("audit_log_outcome_check", oneOf(t.outcome, auditOutcomes)),
  ],
);
