import { z } from "zod";
import { alertRuleFields, alertRuleInputSchema, alertRuleKinds, alertSeverities } from "../../alerts/rules";
import { alertTargetKinds } from "../../alerts/targets";
import { endpoint } from "../endpoint";
import { idSegment, queryLimit, safeText, utcTime } from "../common";

export const alertRuleSchema = alertRuleFields
  .extend({
    id: z.number().int(),
    origin: z.enum(["file", "api"]).meta({ description: "file: from ALERT_RULES_FILE (change it there); api: made on the Alerts page" }),
    createdBy: z.string().nullable(),
    createdAt: utcTime,
    updatedAt: utcTime,
  })
  .meta({ id: "AlertRule" });

export const firingAlertSchema = z
  .object({
    ruleId: z.number().int(),
    rule: z.string().meta({ description: "the rule's name" }),
    kind: z.enum(alertRuleKinds),
    severity: z.enum(alertSeverities),
    key: z.string().meta({ description: "what fires: the group, source or workflow name it watches" }),
    labels: z.record(z.string(), z.string()),
    summary: z.string(),
    value: z.number().nullable(),
    url: z.string().meta({ description: "the Switchyard page that explains it" }),
    activeSince: utcTime.nullable(),
    firedAt: utcTime.nullable(),
  })
  .meta({ id: "FiringAlert" });

export const alertsSchema = z
  .object({
    rules: z.array(alertRuleSchema),
    firing: z.array(firingAlertSchema),
    targets: z.array(z.enum(alertTargetKinds)).meta({ description: "where fired and resolved alerts are delivered" }),
  })
  .meta({ id: "Alerts" });

export const alertEventSchema = z
  .object({
    id: z.number().int(),
    ruleId: z.number().int().nullable(),
    rule: z.string(),
    kind: z.string(),
    severity: z.string(),
    key: z.string(),
    event: z.enum(["fired", "resolved"]),
    at: utcTime,
    startsAt: utcTime,
    value: z.number().nullable(),
    labels: z.record(z.string(), z.string()),
    summary: z.string(),
    url: z.string(),
  })
  .meta({ id: "AlertEvent" });

const ruleDescribe = (b: { name?: unknown; kind?: unknown }) => ({ targetId: typeof b?.name === "string" ? b.name : null, details: { kind: b?.kind } });

export const listAlerts = endpoint({
  method: "GET",
  path: "/api/v1/alerts",
  tag: "alerts",
  role: "viewer",
  summary: "Alert rules and what fires now, each firing alert naming its rule",
  response: alertsSchema,
});

export const createAlertRule = endpoint({
  method: "POST",
  path: "/api/v1/alerts/rules",
  tag: "alerts",
  role: "admin",
  summary: "Add an alert rule (audited); a name already taken is a 409",
  body: alertRuleInputSchema,
  response: alertRuleSchema,
  status: 201,
  errors: [409],
  audit: { action: "alerts.rule.create", targetType: "alert_rule", describe: ruleDescribe },
});

export const updateAlertRule = endpoint({
  method: "PUT",
  path: "/api/v1/alerts/rules/{id}",
  tag: "alerts",
  role: "admin",
  summary: "Change an alert rule made on the Alerts page (audited, with the change); a rule from ALERT_RULES_FILE is a 409",
  params: z.object({ id: idSegment("alert rule") }),
  body: alertRuleInputSchema,
  response: alertRuleSchema,
  errors: [404, 409],
  audit: { action: "alerts.rule.update", targetType: "alert_rule", describe: ruleDescribe },
});

export const deleteAlertRule = endpoint({
  method: "DELETE",
  path: "/api/v1/alerts/rules/{id}",
  tag: "alerts",
  role: "admin",
  summary: "Delete an alert rule made on the Alerts page (audited); what it fires resolves; a rule from ALERT_RULES_FILE is a 409",
  params: z.object({ id: idSegment("alert rule") }),
  response: alertRuleSchema,
  errors: [404, 409],
  audit: { action: "alerts.rule.delete", targetType: "alert_rule" },
});

export const alertHistoryQuery = z.object({ cursor: safeText(40).regex(/^\d{1,16}$/, "must be a cursor from a page before").optional(), limit: queryLimit(500, 100) });

export const getAlertHistory = endpoint({
  method: "GET",
  path: "/api/v1/alerts/history",
  tag: "alerts",
  role: "viewer",
  summary: "Alerts fired and resolved, newest first",
  query: alertHistoryQuery,
  response: z.object({ items: z.array(alertEventSchema), nextCursor: z.string().nullable() }).meta({ id: "AlertHistory" }),
});
