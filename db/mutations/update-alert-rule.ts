import type { Actor } from "../../lib/audit";
import type { AlertRuleInput } from "../../lib/alerts/rules";
import { ConflictError, NotFoundError } from "../../lib/errors";
import type { Db } from "../client";
import { getAlertRule, updateAlertRule as writeRule, type AlertRuleRow } from "../queries/alerts";
import { recordAudit } from "../queries/audit";

/**
 * Changes a rule made on the Alerts page, with the change (before and after) in its audit entry, in one transaction.
 * A rule from ALERT_RULES_FILE is changed in the file (the next start would put it back); a name taken is a conflict.
 */
export async function updateAlertRule(db: Db, id: number, rule: AlertRuleInput, actor: Actor): Promise<AlertRuleRow> {
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
    const { id: _i, origin: _o, createdBy: _c, createdAt: _ca, updatedAt: _u, ...was } = before;
    await recordAudit(tx, { actor, action: "alerts.rule.update", targetType: "alert_rule", targetId: String(id), outcome: "ok", details: { before: was, after: rule } });
    return after;
  });
}
