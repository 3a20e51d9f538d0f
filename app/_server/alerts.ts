import "server-only";
import type { z } from "zod";
import type { alertEventSchema, alertHistoryQuery, alertRuleSchema, alertsSchema } from "@/lib/api/contracts/alerts";
import { alertHistory, firingAlerts, listAlertRules, type AlertRuleRow } from "@/db/queries/alerts";
import { configuredTargets, type AlertTargetKind } from "@/lib/alerts/targets";
import { serverContext } from "./context";

export const ruleOut = (r: AlertRuleRow): z.input<typeof alertRuleSchema> => ({ ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() });

export function alertTargets(): AlertTargetKind[] {
  const { config } = serverContext();
  return configuredTargets({ alertmanagerUrl: config.ALERTMANAGER_URL, slackUrl: config.ALERT_SLACK_WEBHOOK_URL, webhookUrl: config.ALERT_WEBHOOK_URL, webhookSecret: config.ALERT_WEBHOOK_SECRET, publicUrl: config.SWITCHYARD_PUBLIC_URL });
}

export async function listAlerts(): Promise<z.input<typeof alertsSchema>> {
  const { db } = serverContext();
  const [rules, firing] = await Promise.all([listAlertRules(db.db), firingAlerts(db.db)]);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    rules: rules.map(ruleOut),
    firing: firing.map((f) => ({
      ruleId: f.ruleId,
      rule: f.ruleName,
      kind: f.kind as z.input<typeof alertsSchema>["firing"][number]["kind"],
      severity: f.severity as z.input<typeof alertsSchema>["firing"][number]["severity"],
      key: f.key,
      labels: f.labels,
      summary: f.summary,
      value: f.value,
      url: f.path,
      activeSince: iso(f.activeSinceMs),
      firedAt: iso(f.firedAtMs),
    })),
    targets: alertTargets(),
  };
}

export async function getAlertHistory(q: z.infer<typeof alertHistoryQuery>): Promise<{ items: z.input<typeof alertEventSchema>[]; nextCursor: string | null }> {
  const { db } = serverContext();
  const rows = await alertHistory(db.db, q.limit + 1, q.cursor ? Number(q.cursor) : null);
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((e) => ({ id: e.id, ruleId: e.ruleId, rule: e.ruleName, kind: e.kind, severity: e.severity, key: e.key, event: e.event as "fired" | "resolved", at: e.at.toISOString(), startsAt: e.startsAt.toISOString(), value: e.value, labels: e.labels, summary: e.summary, url: e.path })),
    nextCursor: rows.length > q.limit ? String(page[page.length - 1]!.id) : null,
  };
}
