import type { Actor } from "../../lib/audit";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import { discardableStatuses } from "../../lib/dead-letters";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";
import { auditSelection, changeStatus, type StatusChangeResult } from "../queries/dead-letter-status";

/**
 * Marks dead letters discarded, with a reason: they stay stored (restore brings them back) and are never replayed.
 * One transaction: the legal transitions (from new or replayed; not one a replay is sending, not one already
 * discarded) and the audit entry with the selection and the counts.
 */
export async function discardDeadLetters(db: Db, input: { selection: DeadLetterSelection; reason: string }, actor: Actor): Promise<StatusChangeResult> {
  return db.transaction(async (tx) => {
    const r = await changeStatus(tx, input.selection, { from: discardableStatuses, to: "discarded", reason: input.reason, by: actor.user, verb: "discarded" });
    await recordAudit(tx, {
      actor,
      action: "dead_letters.discard",
      targetType: input.selection.groupId ? "failure_group" : "dead_letter",
      targetId: input.selection.groupId ?? (input.selection.ids?.length === 1 ? String(input.selection.ids[0]) : null),
      outcome: "ok",
      details: { reason: input.reason, selection: auditSelection(input.selection), discarded: r.changed, skipped: r.skipped, missing: r.missing.length, ids: r.ids.slice(0, 100) },
    });
    return r;
  });
}
