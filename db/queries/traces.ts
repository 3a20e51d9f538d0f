import { asc, eq, getTableColumns, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { deadLetters, spanResources, spans } from "../schema";

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
  /** continue after this matching span (the `next` of the previous page) */
  after?: SearchPosition;
  limit: number;
  /** at most this many matching spans are read per call (default 20,000); see `searchTraces` */
  scanBudget?: number;
}

/** A matching span's place in the scan: newest first by (start time, trace id, span id). */
export interface SearchPosition {
  startTime: Date;
  traceId: string;
  spanId: string;
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

export interface TraceSearchPage {
  rows: TraceSummaryRow[];
  /** where the next page continues; null when the time range holds no more matching spans */
  next: SearchPosition | null;
  /** true when the page stopped at the scan budget before it was full: more may match further back */
  budgetReached: boolean;
  /** matching spans read */
  scanned: number;
}

/**
 * Traces with a span in [from, to) that matches every span-level filter (service, operation, error status,
 * attributes, messaging destination, message id or key), each summarised over all its spans; duration filters apply
 * to the whole trace. Newest first by the trace's newest matching span.
 *
 * The cost follows the page, not the time range: matching spans are read newest first along an index on start time
 * (or on service and start time, errors, message id) in growing chunks, their traces summarised by key, until the
 * page is full. A search whose spans match rarely (an attribute value, a duration no trace has) stops after
 * `scanBudget` matching spans and says so (`budgetReached`), with a position to continue from, instead of reading a
 * day of spans to answer one page. A trace appears on one page only: the page after `after` leaves out traces that
 * have a matching span at or before it in the scan.
 */
export async function searchTraces(db: Db, f: TraceSearch): Promise<TraceSearchPage> {
  const match: SQL[] = [];
  if (f.service) match.push(sql`s.service = ${f.service}`);
  if (f.operation) match.push(sql`s.name = ${f.operation}`);
  if (f.errorsOnly) match.push(sql`s.status_code = 2`);
  if (f.destination) match.push(sql`s.messaging_destination = ${f.destination}`);
  // the receiver lifts messaging.message.id (and the deprecated messaging.message_id) into this indexed column
  if (f.messageId) match.push(sql`s.messaging_message_id = ${f.messageId}`);
  if (f.messageKey) {
    match.push(sql`(s.attributes ->> 'messaging.kafka.message.key' = ${f.messageKey} or s.attributes ->> 'messaging.kafka.message_key' = ${f.messageKey})`);
  }
  for (const a of f.attrs ?? []) {
    match.push(sql`(s.attributes ->> ${a.key} = ${a.value} or s.resource_id in (select r.id from span_resources r where r.attributes ->> ${a.key} = ${a.value}))`);
  }
  const window = [sql`s.start_time >= ${f.from}`, sql`s.start_time < ${f.to}`];
  const before = (p: SearchPosition) => sql`s.start_time <= ${p.startTime} and (s.start_time, s.trace_id, s.span_id) < (${p.startTime}, ${p.traceId}, ${p.spanId})`;
  const atOrAfter = (p: SearchPosition) => sql`s.start_time >= ${p.startTime} and (s.start_time, s.trace_id, s.span_id) >= (${p.startTime}, ${p.traceId}, ${p.spanId})`;

  const budget = f.scanBudget ?? 20_000;
  const rows: TraceSummaryRow[] = [];
  const seen = new Set<string>();
  let position = f.after;
  let scanned = 0;
  let chunk = Math.min(Math.max(4 * f.limit, 200), budget);
  for (;;) {
    const where = [...window, ...match, ...(position ? [before(position)] : [])];
    const found = await db.execute<{ trace_id: string; span_id: string; start_time: Date | string }>(sql`
      select s.trace_id, s.span_id, s.start_time from spans s where ${sql.join(where, sql` and `)}
      order by s.start_time desc, s.trace_id desc, s.span_id desc limit ${chunk}`);
    scanned += found.rows.length;
    // each trace where it first matches in this chunk
    const firsts = new Map<string, SearchPosition>();
    for (const r of found.rows) {
      if (seen.has(r.trace_id) || firsts.has(r.trace_id)) continue;
      firsts.set(r.trace_id, { traceId: r.trace_id, spanId: r.span_id, startTime: new Date(r.start_time) });
    }
    for (const id of firsts.keys()) seen.add(id);
    // traces that matched at or before where this search started (earlier pages) are not shown again
    if (f.after && firsts.size) {
      const earlier = await db.execute<{ trace_id: string }>(sql`
        select distinct s.trace_id from spans s
        where s.trace_id = any(${sql.param([...firsts.keys()])}::text[]) and ${sql.join([...window, ...match, atOrAfter(f.after)], sql` and `)}`);
      for (const r of earlier.rows) firsts.delete(r.trace_id);
    }
    const summaries = new Map((await summarise(db, [...firsts.keys()], f)).map((r) => [r.traceId, r]));
    for (const [id, at] of firsts) {
      const summary = summaries.get(id);
      position = at;
      if (!summary) continue; // outside the duration filters
      rows.push(summary);
      if (rows.length === f.limit) return { rows, next: position, budgetReached: false, scanned };
    }
    const last = found.rows[found.rows.length - 1];
    if (found.rows.length < chunk || !last) return { rows, next: null, budgetReached: false, scanned };
    position = { traceId: last.trace_id, spanId: last.span_id, startTime: new Date(last.start_time) };
    if (scanned >= budget) return { rows, next: position, budgetReached: true, scanned };
    chunk = Math.min(chunk * 4, budget - scanned);
  }
}

/** Summaries of these traces (all their spans), those outside the duration filters left out. */
async function summarise(db: Db, traceIds: string[], f: Pick<TraceSearch, "minDurationMs" | "maxDurationMs">): Promise<TraceSummaryRow[]> {
  if (traceIds.length === 0) return [];
  const having: SQL[] = [];
  if (f.minDurationMs !== undefined) having.push(sql`duration_ms >= ${f.minDurationMs}`);
  if (f.maxDurationMs !== undefined) having.push(sql`duration_ms <= ${f.maxDurationMs}`);
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
    with summary as (
      select a.trace_id,
        min(a.start_unix_nano) as start_unix_nano,
        (max(a.start_unix_nano + (a.duration_ms * 1e6)::bigint) - min(a.start_unix_nano)) / 1e6 as duration_ms,
        count(*)::int as span_count,
        (count(*) filter (where a.status_code = 2))::int as error_count,
        array_agg(distinct a.service order by a.service) as services
      from spans a where a.trace_id = any(${sql.param(traceIds)}::text[])
      group by a.trace_id
    )
    select summary.*, root.service as root_service, root.name as root_name, root.parent_span_id is null as root_is_true_root
    from summary
    cross join lateral (
      select r.service, r.name, r.parent_span_id from spans r where r.trace_id = summary.trace_id
      order by (r.parent_span_id is null) desc, r.start_unix_nano asc limit 1
    ) root
    ${having.length ? sql`where ${sql.join(having, sql` and `)}` : sql``}`);
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

/** Spans with their resource's attributes. */
const spanWithResource = { ...getTableColumns(spans), resourceAttributes: sql<Record<string, unknown>>`coalesce(${spanResources.attributes}, '{}'::jsonb)` };
export type SpanRow = typeof spans.$inferSelect & { resourceAttributes: Record<string, unknown> };

/** Every span of a trace, in start order. */
export async function traceSpans(db: Db, traceId: string): Promise<SpanRow[]> {
  return db
    .select(spanWithResource)
    .from(spans)
    .leftJoin(spanResources, eq(spanResources.id, spans.resourceId))
    .where(eq(spans.traceId, traceId))
    .orderBy(asc(spans.startUnixNano), asc(spans.spanId));
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
  return db
    .select(spanWithResource)
    .from(spans)
    .leftJoin(spanResources, eq(spanResources.id, spans.resourceId))
    .where(inArray(spans.traceId, traceIds))
    .orderBy(asc(spans.startUnixNano));
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

