import { and, desc, eq, gte, lt, lte, or, type SQL } from "drizzle-orm";
import type { AuditEntry } from "../../lib/audit";
import { pgJson } from "../../lib/pg-safe";
import type { Db } from "../client";
import { auditLog } from "../schema";

/** A connection or an open transaction: an entry is written with whatever the change it records is written with. */
type Executor = Pick<Db, "insert">;

/**
 * The one function that writes the audit log. Call it with the transaction of the change it records, so the entry
 * and the change commit or roll back together; a denied or failed attempt, which changes nothing, is written alone.
 */
export async function recordAudit(tx: Executor, e: AuditEntry): Promise<{ id: number; at: Date }> {
  const [row] = await tx
    .insert(auditLog)
    .values({
      // to the millisecond, as cursors carry it (Postgres would keep microseconds a cursor cannot repeat)
      at: new Date(),
      actor: e.actor.user,
      role: e.actor.role,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId ?? null,
      details: pgJson(e.details ?? {}) as Record<string, unknown>,
      outcome: e.outcome,
      requestId: e.actor.requestId,
      clientAddress: e.actor.clientAddress,
    })
    .returning({ id: auditLog.id, at: auditLog.at });
  return row!;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
  /** entries older than this position (the page after it, newest first) */
  after?: { at: string; id: number };
  limit: number;
}

export type AuditRow = typeof auditLog.$inferSelect;

/** Entries newest first, on (at, id) so paging never repeats or skips an entry that shares a time. */
export async function listAudit(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  const where: SQL[] = [];
  if (f.actor) where.push(eq(auditLog.actor, f.actor));
  if (f.action) where.push(eq(auditLog.action, f.action));
  if (f.targetType) where.push(eq(auditLog.targetType, f.targetType));
  if (f.targetId) where.push(eq(auditLog.targetId, f.targetId));
  if (f.outcome) where.push(eq(auditLog.outcome, f.outcome));
  if (f.from) where.push(gte(auditLog.at, f.from));
  if (f.to) where.push(lte(auditLog.at, f.to));
  if (f.after) {
    const at = new Date(f.after.at);
    where.push(or(lt(auditLog.at, at), and(eq(auditLog.at, at), lt(auditLog.id, f.after.id)))!);
  }
  return db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(f.limit);
}
