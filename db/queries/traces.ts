import { asc, eq, getTableColumns, inArray, sql, type SQL } from "drizzle-orm";
import type { DeadLetterStatus } from "../../lib/dead-letters";
import { spanKindOf, spanStatusOf, type Span, type SpanKind } from "../../lib/traces/span";
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
  /** only traces whose id a captured dead letter carries (dead_letters.trace_id) */
  hasDeadLetters?: boolean;
  /** continue where the previous page said (its `next`) */
  after?: SearchCursor;
  limit: number;
  /** at most this many matching spans are read per call (default 20,000); see `searchTraces` */
  scanBudget?: number;
}

/** A matching span's place in the scan: newest first by (start time, trace id, span id); the time to the µs, as text. */
export interface ScanPosition {
  startTime: string;
  traceId: string;
  spanId: string;
}

/** Where a search continues: the scan starts below `scan` (or at the range's end), showing only traces below `below`. */
export interface SearchCursor {
  scan: ScanPosition | null;
  below: { startUnixNano: bigint; traceId: string } | null;
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
  rootKind: SpanKind;
  /** the root's (or the earliest span's) own attributes, for its label (HTTP route, messaging destination) */
  rootAttributes: Record<string, unknown>;
  rootIsTrueRoot: boolean;
  /** captured dead letters that carry this trace id */
  deadLetterCount: number;
}

export interface TraceSearchPage {
  rows: TraceSummaryRow[];
  /** where the next page continues; null when the time range holds no more matching traces */
  next: SearchCursor | null;
  /** true when the page stopped at the scan budget before it was full: more may match further back */
  budgetReached: boolean;
  /** with budgetReached: the start time (ISO, µs) of the last matching span read */
  scannedBackTo: string | null;
  /** matching spans read */
  scanned: number;
}

const byStartDesc = (a: TraceSummaryRow, b: TraceSummaryRow) =>
  a.startUnixNano === b.startUnixNano ? (a.traceId < b.traceId ? 1 : a.traceId > b.traceId ? -1 : 0) : a.startUnixNano < b.startUnixNano ? 1 : -1;

/** 2 ms in ns: start_time keeps milliseconds of start_unix_nano, so compare with room for either rounding. */
const startTimeSlackNs = 2_000_000n;

/**
 * Traces with a span in [from, to) that matches every span-level filter (service, operation, error status,
 * attributes, messaging destination, message id or key, dead letters), each summarised over all its spans; duration
 * filters apply to the whole trace. Newest first by the trace's start (its earliest span), the time the list shows.
 *
 * The cost follows the page, not the time range: matching spans are read newest first along an index on start time
 * (or on service and start time, errors, message id) in growing chunks, their traces summarised by key. A trace is
 * placed once the scan has passed below its start: every trace not met yet has all its matching spans below the scan,
 * so it started earlier. The next page scans the same stretch again, leaving out (in SQL) the traces that started at
 * or after the last one shown, so a trace whose matching span came long after its start (a slow consumer) is placed
 * by its start, once. A search whose spans match rarely stops after `scanBudget` matching spans and says so
 * (`budgetReached`): it shows what it found and continues below the last span it read, instead of reading a day of
 * spans to answer one page. Such a page holds every trace it met, some of them not yet placed: across it, a trace
 * that started earlier can come before one that started later.
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
  if (f.hasDeadLetters) match.push(sql`s.trace_id in (select d.trace_id from dead_letters d where d.trace_id is not null)`);
  const window = [sql`s.start_time >= ${f.from}`, sql`s.start_time < ${f.to}`];
  const before = (p: ScanPosition) =>
    sql`s.start_time <= ${p.startTime}::timestamptz and (s.start_time, s.trace_id, s.span_id) < (${p.startTime}::timestamptz, ${p.traceId}, ${p.spanId})`;
  const atOrAfter = (p: ScanPosition) =>
    sql`s.start_time >= ${p.startTime}::timestamptz and (s.start_time, s.trace_id, s.span_id) >= (${p.startTime}::timestamptz, ${p.traceId}, ${p.spanId})`;
  const scanFrom = f.after?.scan ?? null;
  const below = f.after?.below ?? null;
  // a trace started before `below` has a span that did (checked per matching span, along the trace's key)
  const startedBelow = below
    ? [sql`exists (select 1 from spans r where r.trace_id = s.trace_id and (r.start_unix_nano, r.trace_id) < (${below.startUnixNano.toString()}::bigint, ${below.traceId}))`]
    : [];
  const isBelow = (r: TraceSummaryRow) => !below || r.startUnixNano < below.startUnixNano || (r.startUnixNano === below.startUnixNano && r.traceId < below.traceId);

  const budget = f.scanBudget ?? 20_000;
  const candidates: TraceSummaryRow[] = [];
  const seen = new Set<string>();
  let position: ScanPosition | null = scanFrom;
  let scanned = 0;
  let chunk = Math.min(Math.max(4 * f.limit, 200), budget);
  const fullPage = (): TraceSearchPage => {
    const rows = candidates.slice(0, f.limit);
    const last = rows[rows.length - 1]!;
    return { rows, next: { scan: scanFrom, below: { startUnixNano: last.startUnixNano, traceId: last.traceId } }, budgetReached: false, scannedBackTo: null, scanned };
  };
  for (;;) {
    const where = [...window, ...match, ...startedBelow, ...(position ? [before(position)] : [])];
    const found = await db.execute<{ trace_id: string; span_id: string; at: string }>(sql`
      select s.trace_id, s.span_id, to_char(s.start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
      from spans s where ${sql.join(where, sql` and `)}
      order by s.start_time desc, s.trace_id desc, s.span_id desc limit ${chunk}`);
    scanned += found.rows.length;
    const fresh = new Set<string>();
    for (const r of found.rows) if (!seen.has(r.trace_id)) fresh.add(r.trace_id);
    for (const id of fresh) seen.add(id);
    // traces that matched at or above where this scan started were placed by the pages before it
    if (scanFrom && fresh.size) {
      const earlier = await db.execute<{ trace_id: string }>(sql`
        select distinct s.trace_id from spans s
        where s.trace_id = any(${sql.param([...fresh])}::text[]) and ${sql.join([...window, ...match, atOrAfter(scanFrom)], sql` and `)}`);
      for (const r of earlier.rows) fresh.delete(r.trace_id);
    }
    // outside the duration filters, or not below the previous page: left out
    for (const s of await summarise(db, [...fresh], f)) if (isBelow(s)) candidates.push(s);
    candidates.sort(byStartDesc);

    const last = found.rows[found.rows.length - 1];
    const exhausted = found.rows.length < chunk || !last;
    if (last) position = { traceId: last.trace_id, spanId: last.span_id, startTime: last.at };
    if (exhausted) {
      if (candidates.length > f.limit) return fullPage();
      return { rows: candidates, next: null, budgetReached: false, scannedBackTo: null, scanned };
    }
    // placed: started above the scan (any trace not met yet started below it)
    const scanNs = BigInt(Date.parse(position!.startTime)) * 1_000_000n + startTimeSlackNs;
    const placed = candidates.findIndex((c) => c.startUnixNano <= scanNs);
    if ((placed === -1 ? candidates.length : placed) >= f.limit) return fullPage();
    if (scanned >= budget) {
      // every trace met, placed or not (the next page cannot meet again those whose matching spans all lie above the
      // scan), and a scan that continues below the last span read; only here may a page hold more than `limit`
      return { rows: candidates, next: { scan: position, below: null }, budgetReached: true, scannedBackTo: position!.startTime, scanned };
    }
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
    root_kind: number;
    root_attributes: Record<string, unknown>;
    root_is_true_root: boolean;
    dead_letter_count: number;
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
    select summary.*, root.service as root_service, root.name as root_name, root.kind as root_kind,
      root.attributes as root_attributes, root.parent_span_id is null as root_is_true_root,
      (select count(*) from dead_letters d where d.trace_id = summary.trace_id)::int as dead_letter_count
    from summary
    cross join lateral (
      select r.service, r.name, r.kind, r.attributes, r.parent_span_id from spans r where r.trace_id = summary.trace_id
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
    rootKind: spanKindOf(Number(r.root_kind)),
    rootAttributes: r.root_attributes ?? {},
    rootIsTrueRoot: r.root_is_true_root,
    deadLetterCount: r.dead_letter_count,
  }));
}

/** Spans with their resource's attributes. */
const spanWithResource = { ...getTableColumns(spans), resourceAttributes: sql<Record<string, unknown>>`coalesce(${spanResources.attributes}, '{}'::jsonb)` };
type SpanRow = typeof spans.$inferSelect & { resourceAttributes: Record<string, unknown> };

/** A stored span as the model (lib/traces/span.ts): the one place OTLP's kind and status codes become names. */
export function spanOf(r: SpanRow): Span {
  return {
    traceId: r.traceId,
    spanId: r.spanId,
    parentSpanId: r.parentSpanId,
    service: r.service,
    name: r.name,
    kind: spanKindOf(r.kind),
    startUnixNano: r.startUnixNano.toString(),
    startTime: r.startTime.toISOString(),
    durationMs: r.durationMs,
    status: spanStatusOf(r.statusCode),
    statusMessage: r.statusMessage,
    attributes: r.attributes,
    resourceAttributes: r.resourceAttributes,
    // written by ingest from the span record (lib/otlp/spans.ts), in these shapes
    events: r.events as Span["events"],
    links: r.links as Span["links"],
    messagingSystem: r.messagingSystem,
    messagingDestination: r.messagingDestination,
    messagingOperation: r.messagingOperation,
    messagingConsumerGroup: r.messagingConsumerGroup,
    messagingMessageId: r.messagingMessageId,
    kafkaPartition: r.kafkaPartition,
    kafkaOffset: r.kafkaOffset,
    rabbitmqRoutingKey: r.rabbitmqRoutingKey,
  };
}

/** Whether any span of the trace is stored (one index probe: the trace page's 404 without reading the trace). */
export async function traceExists(db: Db, traceId: string): Promise<boolean> {
  const r = await db.select({ one: sql<number>`1` }).from(spans).where(eq(spans.traceId, traceId)).limit(1);
  return r.length > 0;
}

/** Every span of a trace, in start order. */
export async function traceSpans(db: Db, traceId: string): Promise<Span[]> {
  const rows = await db
    .select(spanWithResource)
    .from(spans)
    .leftJoin(spanResources, eq(spanResources.id, spans.resourceId))
    .where(eq(spans.traceId, traceId))
    .orderBy(asc(spans.startUnixNano), asc(spans.spanId));
  return rows.map(spanOf);
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

/**
 * The spans of several traces at once, in start order (stitching linked traces into one timeline): the earliest
 * `limit`, and whether there were more.
 */
export async function spansOfTraces(db: Db, traceIds: string[], limit: number): Promise<{ spans: Span[]; more: boolean }> {
  if (traceIds.length === 0) return { spans: [], more: false };
  const rows = await db
    .select(spanWithResource)
    .from(spans)
    .leftJoin(spanResources, eq(spanResources.id, spans.resourceId))
    .where(inArray(spans.traceId, traceIds))
    .orderBy(asc(spans.startUnixNano), asc(spans.traceId), asc(spans.spanId))
    .limit(limit + 1);
  return { spans: rows.slice(0, limit).map(spanOf), more: rows.length > limit };
}

/** Dead letters that carry this trace id (from `traceparent`), by id, at most 100; times as ISO text. */
export async function deadLettersOfTrace(db: Db, traceId: string) {
  const rows = await db
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
  // the status column's check constraint holds it to these (migration 0012)
  return rows.map((d) => ({ ...d, firstDeadAt: d.firstDeadAt?.toISOString() ?? null, status: d.status as DeadLetterStatus }));
}
