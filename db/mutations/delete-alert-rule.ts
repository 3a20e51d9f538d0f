import type { Actor } from "../../lib/audit";
import { ConflictError, NotFoundError } from "../../lib/errors";
import type { Db } from "../client";
import { deleteAlertRule as removeRule, getAlertRule, resolveRuleAlerts, ruleDetails, type AlertRuleRow } from "../queries/alerts";
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
    const resolved = await resolveRuleAlerts(tx, rule, targets, "rule deleted");
    await removeRule(tx, id);
    await recordAudit(tx, { actor, action: "alerts.rule.delete", targetType: "alert_rule", targetId: String(id), outcome: "ok", details: { rule: ruleDetails(rule), resolved } });
    return rule;
  });
}
