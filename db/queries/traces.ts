import { asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { deadLetters, spans } from "../schema";

export interface TraceSearch {
  from: Date;
  to: Date;
  service?: string;
  operation?: string;
  /** only traces with at least one span in error */
  errorsOnly?: boolean;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** span attribute (or resource attribute) key = value, all of them on one span */
  attrs?: { key: string; value: string }[];
  destination?: string;
  messageId?: string;
  messageKey?: string;
  /** continue below this (trace start, trace id) */
  before?: { startUnixNano: bigint; traceId: string };
  limit: number;
}

export interface TraceSummaryRow {
  traceId: string;
  startUnixNano: bigint;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
  rootService: string;
  rootName: string;
  rootIsTrueRoot: boolean;
}

/**
 * Traces with a span in [from, to) that matches every span-level filter (service, operation, error status, attributes,
 * messaging destination, message id or key), summarised over all their spans; duration filters apply to the whole
 * trace. Newest first, keyset-paginated on (trace start, trace id).
 */
export async function searchTraces(db: Db, f: TraceSearch): Promise<TraceSummaryRow[]> {
  const where: SQL[] = [sql`s.start_time >= ${f.from}`, sql`s.start_time < ${f.to}`];
  if (f.service) where.push(sql`s.service = ${f.service}`);
  if (f.operation) where.push(sql`s.name = ${f.operation}`);
  if (f.errorsOnly) where.push(sql`s.status_code = 2`);
  if (f.destination) where.push(sql`s.messaging_destination = ${f.destination}`);
  if (f.messageId) where.push(sql`(s.messaging_message_id = ${f.messageId} or s.attributes ->> 'messaging.message.id' = ${f.messageId})`);
  if (f.messageKey) {
    where.push(sql`(s.attributes ->> 'messaging.kafka.message.key' = ${f.messageKey} or s.attributes ->> 'messaging.kafka.message_key' = ${f.messageKey})`);
  }
  for (const a of f.attrs ?? []) where.push(sql`(s.attributes ->> ${a.key} = ${a.value} or s.resource_attributes ->> ${a.key} = ${a.value})`);

  const having: SQL[] = [];
  if (f.minDurationMs !== undefined) having.push(sql`duration_ms >= ${f.minDurationMs}`);
  if (f.maxDurationMs !== undefined) having.push(sql`duration_ms <= ${f.maxDurationMs}`);
  if (f.before) having.push(sql`(start_unix_nano, trace_id) < (${f.before.startUnixNano.toString()}::bigint, ${f.before.traceId})`);

  const result = await db.execute<{
    trace_id: string;
    start_unix_nano: string;
    duration_ms: number;
    span_count: number;
    error_count: number;
    services: string[];
    root_service: string;
    root_name: string;
    root_is_true_root: boolean;
  }>(sql`
    with matched as (
      select distinct s.trace_id from spans s where ${sql.join(where, sql` and `)}
    ),
    summary as (
      select a.trace_id,
        min(a.start_unix_nano) as start_unix_nano,
        (max(a.start_unix_nano + (a.duration_ms * 1e6)::bigint) - min(a.start_unix_nano)) / 1e6 as duration_ms,
        count(*)::int as span_count,
        (count(*) filter (where a.status_code = 2))::int as error_count,
        array_agg(distinct a.service order by a.service) as services
      from spans a join matched m on m.trace_id = a.trace_id
      group by a.trace_id
    )
    select summary.*, root.service as root_service, root.name as root_name, root.parent_span_id is null as root_is_true_root
    from summary
    cross join lateral (
      select r.service, r.name, r.parent_span_id from spans r where r.trace_id = summary.trace_id
      order by (r.parent_span_id is null) desc, r.start_unix_nano asc limit 1
    ) root
    ${having.length ? sql`where ${sql.join(having, sql` and `)}` : sql``}
    order by start_unix_nano desc, trace_id desc
    limit ${f.limit}`);
  return result.rows.map((r) => ({
    traceId: r.trace_id,
    startUnixNano: BigInt(r.start_unix_nano),
    durationMs: Number(r.duration_ms),
    spanCount: r.span_count,
    errorCount: r.error_count,
    services: r.services,
    rootService: r.root_service,
    rootName: r.root_name,
    rootIsTrueRoot: r.root_is_true_root,
  }));
}

export type SpanRow = typeof spans.$inferSelect;

/** Every span of a trace, in start order. */
export async function traceSpans(db: Db, traceId: string): Promise<SpanRow[]> {
  return db.select().from(spans).where(eq(spans.traceId, traceId)).orderBy(asc(spans.startUnixNano), asc(spans.spanId));
}

/** Traces linked to this one, either way: its spans link to them, or their spans link to it. */
export async function linkedTraceIds(db: Db, traceId: string): Promise<string[]> {
  const r = await db.execute<{ id: string }>(sql`
    select linked_trace_id as id from span_links where trace_id = ${traceId} and linked_trace_id <> ${traceId}
    union
    select trace_id as id from span_links where linked_trace_id = ${traceId} and trace_id <> ${traceId}
    order by id`);
  return r.rows.map((x) => x.id);
}

/** The spans of several traces at once (stitching linked traces into one timeline). */
export async function spansOfTraces(db: Db, traceIds: string[]): Promise<SpanRow[]> {
  if (traceIds.length === 0) return [];
  return db.select().from(spans).where(inArray(spans.traceId, traceIds)).orderBy(asc(spans.startUnixNano));
}

/** Dead letters that carry this trace id (from `traceparent`). */
export async function deadLettersOfTrace(db: Db, traceId: string) {
  return db
    .select({
      id: deadLetters.id,
      system: deadLetters.system,
      source: deadLetters.source,
      originalDestination: deadLetters.originalDestination,
      reason: deadLetters.reason,
      errorMessage: deadLetters.errorMessage,
      firstDeadAt: deadLetters.firstDeadAt,
      status: deadLetters.status,
    })
    .from(deadLetters)
    .where(eq(deadLetters.traceId, traceId))
    .orderBy(asc(deadLetters.id))
    .limit(100);
}

