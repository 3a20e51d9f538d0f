import { and, desc, eq, ilike, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { cursorCodec, cursorMicroTime } from "../../lib/cursor";
import { bytesSearch, jsonTextLike } from "../../lib/dead-letter-search";
import { deadLetterStatuses, type DeadLetterStatus } from "../../lib/dead-letters";
import { escapeLike, globToLike, isGlob } from "../../lib/patterns";
import type { Db } from "../client";
import { deadLetters } from "../schema";

export type NewDeadLetter = typeof deadLetters.$inferInsert;
export type DeadLetterRow = typeof deadLetters.$inferSelect;

export interface DeadLetterFilter {
  system?: string;
  /** a dead-letter topic or queue: a name's start (prefix), or a glob (`shop.*`, `*.DLT`, `?`); unless `exact` */
  source?: string;
  /** take `source` as a name even when it holds `*` or `?` (RabbitMQ queue names may) */
  exact?: boolean;
  /** the configured cluster or broker */
  sourceName?: string;
  /** the RabbitMQ virtual host */
  vhost?: string;
  reason?: string;
  status?: string;
  traceId?: string;
  /** a failure group's id (lib/failure-groups.ts) */
  group?: string;
  /** free text over payload, Kafka key, headers (names and values), error, destination, source, trace id */
  q?: string;
  /** continue after this position (newest death first) */
  after?: ListPosition;
  limit: number;
}

/** A row's place in the list: its time of death (to the microsecond, as Postgres text) and id. */
export interface ListPosition {
  at: string;
  id: number;
}

/**
 * The time a list row is ordered by: its last death, else its first, else when it was captured (never null).
 * The index dead_letters_dead_at serves it.
 */
const deadAt = sql<Date>`coalesce(${deadLetters.lastDeadAt}, ${deadLetters.firstDeadAt}, ${deadLetters.capturedAt})`;

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
  messageKey: deadLetters.messageKey,
  failureGroup: deadLetters.failureGroup,
  /** Kafka: the consumer group that gave up on the record (Spring's kafka_dlt-original-consumer-group) */
  consumerGroup: sql<string | null>`${deadLetters.properties}->>'consumerGroup'`,
  /** the ordering time, exactly, for the cursor */
  positionAt: sql<string>`to_char(${deadAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
};

/** The WHERE of a dead-letter filter (the list, the groups, and the mutations that act on a selection). */
export function deadLetterWhere(f: Omit<DeadLetterFilter, "limit">): SQL | undefined {
  const where: SQL[] = [];
  if (f.system) where.push(eq(deadLetters.system, f.system));
  // a name with `*` or `?` is a glob; a plain one matches every source it starts (`shop.orders` finds
  // `shop.orders.DLT`); `exact` takes it as the one name, glob characters and all
  if (f.source) {
    if (f.exact) where.push(eq(deadLetters.source, f.source));
    else where.push(sql`${deadLetters.source} like ${isGlob(f.source) ? globToLike(f.source) : `${escapeLike(f.source)}%`}`);
  }
  if (f.sourceName) where.push(eq(deadLetters.sourceName, f.sourceName));
  if (f.vhost) where.push(eq(deadLetters.vhost, f.vhost));
  if (f.reason) where.push(eq(deadLetters.reason, f.reason));
  if (f.status) where.push(eq(deadLetters.status, f.status));
  if (f.traceId) where.push(eq(deadLetters.traceId, f.traceId));
  if (f.group) where.push(eq(deadLetters.failureGroup, f.group));
  if (f.after) where.push(sql`(${deadAt}, ${deadLetters.id}) < (${f.after.at}::timestamptz, ${f.after.id})`);
  if (f.q) {
    const like = `%${escapeLike(f.q)}%`;
    const bytes = bytesSearch(f.q);
    const inBytes = (col: typeof deadLetters.payload | typeof deadLetters.messageKey) =>
      sql`(encode(${col}, 'escape') ilike ${bytes.like} and encode(${col}, 'escape') ~* ${bytes.regex})`;
    where.push(
      or(
        ilike(deadLetters.errorMessage, like),
        ilike(deadLetters.errorType, like),
        ilike(deadLetters.originalDestination, like),
        ilike(deadLetters.source, like),
        eq(deadLetters.traceId, f.q.toLowerCase()),
        eq(deadLetters.dedupKey, f.q),
        // a Kafka record's position (topic/partition/offset) leads its key
        sql`${deadLetters.dedupKey} like ${`${escapeLike(f.q)}/%`}`,
        sql`${deadLetters.headers}::text ilike ${jsonTextLike(f.q)}`,
        inBytes(deadLetters.messageKey),
        inBytes(deadLetters.payload),
      )!,
    );
  }
  return where.length ? and(...where) : undefined;
}

/** The statuses a failure group counts, each a column of the group query. */
const statusCounts = Object.fromEntries(
  deadLetterStatuses.map((st) => [st, sql<number>`(count(*) filter (where ${deadLetters.status} = ${st}))::int`]),
) as Record<DeadLetterStatus, SQL<number>>;

/**
 * Failure groups of the dead letters the filter keeps, largest first: count, first and last death, status counts,
 * and one example message. Computed in Postgres over the dead_letters_failure_group index.
 */
export async function listFailureGroups(db: Db, f: Omit<DeadLetterFilter, "after" | "group">) {
  return db
    .select({
      id: sql<string>`${deadLetters.failureGroup}`,
      system: sql<string>`min(${deadLetters.system})`,
      originalDestination: sql<string | null>`min(${deadLetters.originalDestination})`,
      sources: sql<string[]>`(array_agg(distinct ${deadLetters.source}))[1:5]`,
      reason: sql<string | null>`min(${deadLetters.reason})`,
      errorType: sql<string | null>`min(${deadLetters.failureType})`,
      message: sql<string | null>`min(${deadLetters.failureMessage})`,
      example: sql<string | null>`min(left(${deadLetters.errorMessage}, 500))`,
      count: sql<number>`count(*)::int`,
      firstSeen: sql<string>`to_char(min(${deadAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      lastSeen: sql<string>`to_char(max(${deadAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      ...statusCounts,
    })
    .from(deadLetters)
    .where(and(sql`${deadLetters.failureGroup} is not null`, deadLetterWhere({ ...f })))
    .groupBy(deadLetters.failureGroup)
    .orderBy(sql`count(*) desc`, deadLetters.failureGroup)
    .limit(f.limit);
}

/** Deaths per bucket of `stepMs` since `from`, for the given groups: the trend charts' data (lib/failure-groups.ts trendOf). */
export async function failureGroupTrends(db: Db, groups: string[], from: Date, stepMs: number) {
  if (groups.length === 0) return [];
  const r = await db.execute<{ g: string; b: number; n: number }>(sql`
    select ${deadLetters.failureGroup} as g, floor(extract(epoch from (${deadAt} - ${from.toISOString()}::timestamptz)) * 1000 / ${stepMs})::int as b, count(*)::int as n
    from ${deadLetters}
    where ${deadLetters.failureGroup} = any(${sql.param(groups)}::text[]) and ${deadAt} >= ${from.toISOString()}::timestamptz
    group by 1, 2`);
  return r.rows;
}

/** Dead letters newest death first (ties by id, highest first), at most `limit`. */
export async function listDeadLetters(db: Db, f: DeadLetterFilter) {
  return db
    .select(listColumns)
    .from(deadLetters)
    .where(deadLetterWhere(f))
    .orderBy(desc(deadAt), desc(deadLetters.id))
    .limit(f.limit);
}

export type DeadLetterListRow = Awaited<ReturnType<typeof listDeadLetters>>[number];

/** The list's cursor: its order's (time of death to the microsecond, as text, id) of the last row shown. */
const listCursor = cursorCodec(z.object({ t: cursorMicroTime, id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }));

export function encodeListCursor(p: ListPosition): string {
  return listCursor.encode({ t: p.at, id: p.id });
}

/** The position a cursor of this API stands for; a ValidationError for anything else. */
export function decodeListCursor(cursor: string): ListPosition {
  const c = listCursor.decode(cursor);
  return { at: c.t, id: c.id };
}

/**
 * One page of the list and the cursor to the next (null on the last page). Paging follows the same order as the
 * list, on (time of death, id), so every row is on exactly one page even when many share a time.
 */
export async function listDeadLetterPage(db: Db, f: Omit<DeadLetterFilter, "after"> & { cursor?: string }) {
  const { cursor, ...filter } = f;
  const after = cursor ? decodeListCursor(cursor) : undefined;
  const rows = await listDeadLetters(db, { ...filter, after, limit: f.limit + 1 });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > f.limit && last ? encodeListCursor({ at: last.positionAt, id: last.id }) : null };
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
