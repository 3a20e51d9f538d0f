import { and, desc, eq, ilike, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { deadLetters } from "../schema";

export type NewDeadLetter = typeof deadLetters.$inferInsert;
export type DeadLetterRow = typeof deadLetters.$inferSelect;

export interface DeadLetterFilter {
  system?: string;
  source?: string;
  reason?: string;
  status?: string;
  traceId?: string;
  q?: string;
  /** id to continue below (newest first) */
  before?: number;
  limit: number;
}

const listColumns = {
  id: deadLetters.id,
  system: deadLetters.system,
  sourceName: deadLetters.sourceName,
  vhost: deadLetters.vhost,
  source: deadLetters.source,
  originalDestination: deadLetters.originalDestination,
  reason: deadLetters.reason,
  errorType: deadLetters.errorType,
  errorMessage: deadLetters.errorMessage,
  deathCount: deadLetters.deathCount,
  firstDeadAt: deadLetters.firstDeadAt,
  lastDeadAt: deadLetters.lastDeadAt,
  traceId: deadLetters.traceId,
  status: deadLetters.status,
  sizeBytes: deadLetters.payloadSize,
  truncated: deadLetters.payloadTruncated,
  capturedAt: deadLetters.capturedAt,
};

export async function listDeadLetters(db: Db, f: DeadLetterFilter) {
  const where: SQL[] = [];
  if (f.system) where.push(eq(deadLetters.system, f.system));
  if (f.source) where.push(eq(deadLetters.source, f.source));
  if (f.reason) where.push(eq(deadLetters.reason, f.reason));
  if (f.status) where.push(eq(deadLetters.status, f.status));
  if (f.traceId) where.push(eq(deadLetters.traceId, f.traceId));
  if (f.before !== undefined) where.push(lt(deadLetters.id, f.before));
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(
      or(
        ilike(deadLetters.errorMessage, like),
        ilike(deadLetters.errorType, like),
        ilike(deadLetters.originalDestination, like),
        ilike(deadLetters.source, like),
        eq(deadLetters.traceId, f.q.toLowerCase()),
        eq(deadLetters.dedupKey, f.q),
      )!,
    );
  }
  return db
    .select(listColumns)
    .from(deadLetters)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(deadLetters.id))
    .limit(f.limit);
}

export async function getDeadLetter(db: Db, id: number): Promise<DeadLetterRow | null> {
  const rows = await db.select().from(deadLetters).where(eq(deadLetters.id, id));
  return rows[0] ?? null;
}

export async function countDeadLetters(db: Db, system: string, sourceName: string, source: string): Promise<number> {
  const r = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(deadLetters)
    .where(and(eq(deadLetters.system, system), eq(deadLetters.sourceName, sourceName), eq(deadLetters.source, source)));
  return r[0]?.n ?? 0;
}
