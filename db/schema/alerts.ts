import { sql } from "drizzle-orm";
import { bigint, bigserial, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { oneOf, tsOpts } from "./types";
import { alertGroupStatuses, alertRuleKinds, alertSeverities, type AlertScope } from "../../lib/alerts/rules";
import { alertStates } from "../../lib/alerts/evaluate";

export const alertRuleOrigins = ["file", "api"] as const;
export const alertEvents = ["fired", "resolved"] as const;
import { alertTargetKinds } from "../../lib/alerts/targets";

/** Alert rules: from ALERT_RULES_FILE (origin file, replaced at each start) or made on the Alerts page (origin api). */
export const alertRules = pgTable(
  "alert_rules",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    name: text("name").notNull(),
    kind: text("kind").notNull(),
    scope: jsonb("scope").$type<AlertScope>().notNull().default({}),
    threshold: doublePrecision("threshold"),
    forMinutes: doublePrecision("for_minutes"),
    windowMinutes: doublePrecision("window_minutes"),
    status: text("status"),
    severity: text("severity").notNull(),
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    origin: text("origin").notNull(),
    createdBy: text("created_by"),
    createdAt: timestamp("created_at", tsOpts).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", tsOpts).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("alert_rules_name").on(t.name),
    check("alert_rules_kind_check", oneOf(t.kind, alertRuleKinds)),
    check("alert_rules_severity_check", oneOf(t.severity, alertSeverities)),
    check("alert_rules_status_check", oneOf(t.status, alertGroupStatuses)),
    check("alert_rules_origin_check", oneOf(t.origin, alertRuleOrigins)),
  ],
);

/** Each rule's instances (a group, a source) that are pending, firing or last resolved: what survives a restart. */
export const alertStatesTable = pgTable(
  "alert_states",
  {
    ruleId: bigint("rule_id", { mode: "number" })
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    state: text("state").notNull(),
    activeSince: timestamp("active_since", tsOpts),
    firedAt: timestamp("fired_at", tsOpts),
    resolvedAt: timestamp("resolved_at", tsOpts),
    value: doublePrecision("value"),
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    summary: text("summary").notNull().default(""),
    path: text("path").notNull().default("/"),
    updatedAt: timestamp("updated_at", tsOpts).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.key] }), index("alert_states_firing").on(t.state), check("alert_states_state_check", oneOf(t.state, alertStates))],
);

/** Every fired and resolved alert, for the history (kept when its rule is deleted: the name is copied). */
export const alertEventsTable = pgTable(
  "alert_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    ruleId: bigint("rule_id", { mode: "number" }),
    ruleName: text("rule_name").notNull(),
    kind: text("kind").notNull(),
    severity: text("severity").notNull(),
    key: text("key").notNull(),
    event: text("event").notNull(),
    at: timestamp("at", tsOpts).notNull().defaultNow(),
    /** when the alert it belongs to started firing (a resolve carries its fire's time) */
    startsAt: timestamp("starts_at", tsOpts).notNull(),
    value: doublePrecision("value"),
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    summary: text("summary").notNull(),
    path: text("path").notNull(),
  },
  (t) => [index("alert_events_at").on(t.at.desc()), check("alert_events_event_check", oneOf(t.event, alertEvents))],
);

/** One event to one target, retried with backoff until delivered (or given up after a day). */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: bigint("event_id", { mode: "number" })
      .notNull()
      .references(() => alertEventsTable.id, { onDelete: "cascade" }),
    target: text("target").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAt: timestamp("next_at", tsOpts).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", tsOpts),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", tsOpts).notNull().defaultNow(),
  },
  (t) => [index("alert_deliveries_due").on(t.nextAt).where(sql`${t.deliveredAt} is null`), check("alert_deliveries_target_check", oneOf(t.target, alertTargetKinds))],
);
