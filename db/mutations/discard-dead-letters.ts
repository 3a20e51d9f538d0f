import { inArray, sql } from "drizzle-orm";
import type { Actor } from "../../lib/audit";
import { discardable, type DeadLetterStatus } from "../../lib/dead-letters";
import { ConflictError, NotFoundError } from "../../lib/errors";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";
import { deadLetters } from "../schema";

export interface DiscardResult {
  discarded: number[];
  /** ids left as they were, with their status (already discarded, being replayed) */
  skipped: { id: number; status: DeadLetterStatus }[];
  /** ids that name no dead letter */
  missing: number[];
}

/**
 * Marks dead letters discarded (they stay stored; a discarded letter is never replayed). One transaction: the rows
 * are locked, the legal transitions made, and the audit entry written with the counts. A single id whose status does
 * not allow it is a ConflictError; every id unknown is a NotFoundError.
 */
export async function discardDeadLetters(db: Db, input: { ids: number[]; note?: string }, actor: Actor): Promise<DiscardResult> {
  const ids = [...new Set(input.ids)];
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: deadLetters.id, status: deadLetters.status })
      .from(deadLetters)
      .where(inArray(deadLetters.id, ids))
      .orderBy(deadLetters.id)
      .for("update");
    const found = new Map(rows.map((r) => [r.id, r.status as DeadLetterStatus]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length === ids.length) throw new NotFoundError(ids.length === 1 ? `no dead letter ${ids[0]}` : "none of these ids is a dead letter", { missing });
    const discarded = rows.filter((r) => discardable(r.status as DeadLetterStatus)).map((r) => r.id);
    const skipped = rows.filter((r) => !discardable(r.status as DeadLetterStatus)).map((r) => ({ id: r.id, status: r.status as DeadLetterStatus }));
    if (ids.length === 1 && skipped.length === 1) throw new ConflictError(`dead letter ${ids[0]} is ${skipped[0]!.status} and cannot be discarded`, { status: skipped[0]!.status });
    if (discarded.length) await tx.update(deadLetters).set({ status: sql`'discarded'` }).where(inArray(deadLetters.id, discarded));
    await recordAudit(tx, {
      actor,
      action: "dead_letters.discard",
      targetType: "dead_letter",
      targetId: ids.length === 1 ? String(ids[0]) : null,
      outcome: "ok",
      details: { requested: ids.length, discarded: discarded.length, skipped: skipped.length, missing: missing.length, ids: ids.slice(0, 100), ...(input.note ? { note: input.note } : {}) },
    });
    return { discarded, skipped, missing };
  });
}
