import { and, inArray, notInArray, sql } from "drizzle-orm";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import type { DeadLetterStatus } from "../../lib/dead-letters";
import { ConflictError, NotFoundError } from "../../lib/errors";
import type { Db } from "../client";
import { selectionWhere } from "./dead-letter-selection";
import { deadLetters } from "../schema";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Advisory-lock key of operators' dead-letter status changes (discard, restore, making a replay). */
const statusChangeLock = 0x5e1b;

/**
 * Operators' status changes of dead letters (discard, restore, making a replay) one at a time, until the transaction
 * ends: a replay is made by one UPDATE over its selection, whose row locks come in no set order, so two changes over
 * the same rows could otherwise wait on each other (a deadlock, one of them refused).
 */
export async function lockStatusChanges(tx: Pick<Db, "execute">): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${statusChangeLock})`);
}

export interface StatusChangeResult {
  /** how many changed */
  changed: number;
  /** the first 1,000 ids changed */
  ids: number[];
  /** how many the selection holds whose status forbids the change, and the first 100 of them */
  skipped: number;
  skippedIds: { id: number; status: DeadLetterStatus }[];
  /** ids of the selection that name no dead letter */
  missing: number[];
}

/**
 * Inside a mutation's transaction: moves the selection's dead letters whose status is one of `from` to `to`, with who,
 * when and why, and counts the rest (locked too, so nothing changes under the count). A single id whose status does
 * not allow it is a ConflictError; a selection of ids none of which exists, NotFound. `verb` words the errors.
 */
export async function changeStatus(
  tx: Tx,
  s: DeadLetterSelection,
  change: { from: readonly DeadLetterStatus[]; to: DeadLetterStatus; reason: string | null; by: string; verb: string },
): Promise<StatusChangeResult> {
  await lockStatusChanges(tx);
  const where = selectionWhere(s);
  const skippedRows = await tx
    .select({ id: deadLetters.id, status: deadLetters.status })
    .from(deadLetters)
    .where(and(where, notInArray(deadLetters.status, [...change.from])))
    .orderBy(deadLetters.id)
    .for("update");
  const changedRows = await tx
    .update(deadLetters)
    .set({ status: change.to, statusReason: change.reason, statusChangedBy: change.by, statusChangedAt: new Date() })
    .where(and(where, inArray(deadLetters.status, [...change.from])))
    .returning({ id: deadLetters.id });
  const ids = changedRows.map((r) => r.id).sort((a, b) => a - b);
  const found = new Set([...ids, ...skippedRows.map((r) => r.id)]);
  const wanted = s.ids ? [...new Set(s.ids)] : [];
  const missing = wanted.filter((id) => !found.has(id));
  if (s.ids && missing.length === wanted.length) throw new NotFoundError(wanted.length === 1 ? `no dead letter ${wanted[0]}` : "none of these ids is a dead letter", { missing });
  if (wanted.length === 1 && skippedRows.length === 1) throw new ConflictError(`dead letter ${wanted[0]} is ${skippedRows[0]!.status} and cannot be ${change.verb}`, { status: skippedRows[0]!.status });
  return {
    changed: ids.length,
    ids: ids.slice(0, 1000),
    skipped: skippedRows.length,
    skippedIds: skippedRows.slice(0, 100).map((r) => ({ id: r.id, status: r.status as DeadLetterStatus })),
    missing,
  };
}

/** A selection as an audit entry keeps it: the filter or group whole, at most 100 of the ids and their count. */
export function auditSelection(s: DeadLetterSelection): Record<string, unknown> {
  if (s.ids) return { ids: s.ids.slice(0, 100), count: s.ids.length };
  if (s.groupId) return { groupId: s.groupId };
  return { filter: s.filter };
}
