import type { Actor } from "../../lib/audit";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";
import { auditSelection, changeStatus, type StatusChangeResult } from "../queries/dead-letter-status";

/** Brings discarded dead letters back: they are new again. One transaction with its audit entry. */
export async function restoreDeadLetters(db: Db, input: { selection: DeadLetterSelection; note?: string }, actor: Actor): Promise<StatusChangeResult> {
  return db.transaction(async (tx) => {
    const r = await changeStatus(tx, input.selection, { from: ["discarded"], to: "new", reason: input.note ?? null, by: actor.user, verb: "restored" });
    await recordAudit(tx, {
      actor,
      action: "dead_letters.restore",
      targetType: input.selection.groupId ? "failure_group" : "dead_letter",
      targetId: input.selection.groupId ?? (input.selection.ids?.length === 1 ? String(input.selection.ids[0]) : null),
      outcome: "ok",
      details: { ...(input.note ? { note: input.note } : {}), selection: auditSelection(input.selection), restored: r.changed, skipped: r.skipped, missing: r.missing.length, ids: r.ids.slice(0, 100) },
    });
    return r;
  });
}
