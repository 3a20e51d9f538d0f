import type { Actor } from "../../lib/audit";
import type { AlertRuleInput } from "../../lib/alerts/rules";
import { ConflictError } from "../../lib/errors";
import type { Db } from "../client";
import { insertAlertRule, type AlertRuleRow } from "../queries/alerts";
import { recordAudit } from "../queries/audit";

/** Adds an alert rule made on the Alerts page, with its audit entry, in one transaction; a name taken is a conflict. */
export async function createAlertRule(db: Db, rule: AlertRuleInput, actor: Actor): Promise<AlertRuleRow> {
  return db.transaction(async (tx) => {
    const r = await insertAlertRule(tx, rule, "api", actor.user);
    if (!r) throw new ConflictError(`an alert rule named '${rule.name}' exists`);
    await recordAudit(tx, { actor, action: "alerts.rule.create", targetType: "alert_rule", targetId: String(r.id), outcome: "ok", details: { rule } });
    return r;
  });
}
