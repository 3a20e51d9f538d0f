import { bigserial, check, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import { auditActorRoles, auditOutcomes } from "../../lib/audit";

/** Who did what, when: every mutation (replay, discard, purge), sign-in and sign-out, and every denied request writes one row. Append-only: nothing updates or deletes it. */
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
    /** the id of the HTTP request (or job) that acted, to find its log lines */
    requestId: text("request_id"),
    /** the client's address as the dashboard saw it (the peer, or the proxy's forwarded address in proxy mode) */
    clientAddress: text("client_address"),
  },
  (t) => [
    index("audit_log_time").on(t.at.desc()),
    index("audit_log_target").on(t.targetType, t.targetId),
    index("audit_log_actor").on(t.actor, t.at.desc()),
    check("audit_log_outcome_check", oneOf(t.outcome, auditOutcomes)),
    check("audit_log_role_check", oneOf(t.role, auditActorRoles)),
  ],
);
