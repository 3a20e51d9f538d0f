import { sql } from "drizzle-orm";
import type { Actor } from "../../lib/audit";
import { ConflictError, NotFoundError } from "../../lib/errors";
import type { Db } from "../client";
import { deleteAlertRule as removeRule, getAlertRule, type AlertRuleRow } from "../queries/alerts";
import { recordAudit } from "../queries/audit";

/**
 * Deletes a rule made on the Alerts page with its audit entry, in one transaction: what it fires resolves (events
 * and deliveries written here), its instances go with it, its history stays. A rule from ALERT_RULES_FILE is a
 * conflict: remove it from the file.
 */
export async function deleteAlertRule(db: Db, id: number, actor: Actor, targets: readonly string[]): Promise<AlertRuleRow> {
  return db.transaction(async (tx) => {
    const rule = await getAlertRule(tx, id);
    if (!rule) throw new NotFoundError(`no alert rule ${id}`);
    if (rule.origin === "file") throw new ConflictError(`alert rule '${rule.name}' comes from ALERT_RULES_FILE: remove it there`);
    // what it fires resolves, delivered to every target like any resolve
    const resolved = await tx.execute<{ id: string }>(sql`
      insert into alert_events (rule_id, rule_name, kind, severity, key, event, starts_at, value, labels, summary, path)
      select s.rule_id, ${rule.name}, ${rule.kind}, ${rule.severity}, s.key, 'resolved', coalesce(s.fired_at, s.active_since, now()), s.value, s.labels, s.summary || ' (rule deleted)', s.path
      from alert_states s where s.rule_id = ${id} and s.state = 'firing'
      returning id::text as id`);
    for (const e of resolved.rows) for (const t of targets) await tx.execute(sql`insert into alert_deliveries (event_id, target) values (${Number(e.id)}, ${t})`);
    await removeRule(tx, id);
    await recordAudit(tx, { actor, action: "alerts.rule.delete", targetType: "alert_rule", targetId: String(id), outcome: "ok", details: { name: rule.name, kind: rule.kind, resolved: resolved.rows.length } });
    return rule;
  });
}
