import type { Actor } from "../../lib/audit";
import type { AlertRuleInput } from "../../lib/alerts/rules";
import { ConflictError, NotFoundError } from "../../lib/errors";
import type { Db } from "../client";
import { getAlertRule, resolveRuleAlerts, ruleDetails, updateAlertRule as writeRule, type AlertRuleRow } from "../queries/alerts";
import { recordAudit } from "../queries/audit";

/**
 * Changes a rule made on the Alerts page, with the change (before and after) in its audit entry, in one transaction.
 * A rule from ALERT_RULES_FILE is changed in the file (the next start would put it back); a name taken is a conflict.
 */
export async function updateAlertRule(db: Db, id: number, rule: AlertRuleInput, actor: Actor, targets: readonly string[]): Promise<AlertRuleRow> {
  return db.transaction(async (tx) => {
    const before = await getAlertRule(tx, id);
    if (!before) throw new NotFoundError(`no alert rule ${id}`);
    if (before.origin === "file") throw new ConflictError(`alert rule '${before.name}' comes from ALERT_RULES_FILE: change it there`);
    let after: AlertRuleRow | null;
    try {
      after = await writeRule(tx, id, rule);
    } catch (e) {
      if ((e as { cause?: { code?: string }; code?: string }).cause?.code === "23505" || (e as { code?: string }).code === "23505") throw new ConflictError(`an alert rule named '${rule.name}' exists`);
      throw e;
    }
    if (!after) throw new NotFoundError(`no alert rule ${id}`);
    // a new name, severity, labels or kind make its alerts other alerts: what it fires resolves as it fired, and the
    // next evaluation fires it again as it is now (so the new team is paged, and the old alert is not left firing)
    const same = (a: AlertRuleRow) => JSON.stringify([a.name, a.severity, a.kind, Object.entries(a.labels ?? {}).sort()]);
    const resolved = same(before) === same(after) ? 0 : await resolveRuleAlerts(tx, before, targets, "rule changed");
    await recordAudit(tx, { actor, action: "alerts.rule.update", targetType: "alert_rule", targetId: String(id), outcome: "ok", details: { before: ruleDetails(before), after: rule, ...(resolved ? { resolved } : {}) } });
    return after;
  });
}
