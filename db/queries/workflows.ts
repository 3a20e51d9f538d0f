import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../client";
import { cursorCodec, cursorMicroTime } from "../../lib/cursor";
import type { WorkflowState } from "../../lib/workflow-states";
import type { ConsumerGroup, DerivedWorkflow, Evidence, WaitingOn, WorkflowDeadLetter, WorkflowSpan } from "../../lib/workflows/derive";

/** Traces one workflow joins at most (a key reused by every request of a day must not grow without bound). */
export const MAX_WORKFLOW_TRACES = 100;

/**
 * The collectors' side: what arrived. Each key value is a workflow; the traces carrying it join it (new ones are made
 * dirty, to be derived) and are noted in workflow_traces. Rows in key order, so two writers never deadlock.
 */
export async function addWorkflowKeys(db: Db, keys: readonly { traceId: string; key: string; keyName: string }[]): Promise<void> {
  if (!keys.length) return;
  const byKey = new Map<string, { keyName: string; traces: Set<string> }>();
  for (const k of keys) {
    const e = byKey.get(k.key) ?? { keyName: k.keyName, traces: new Set<string>() };
    e.traces.add(k.traceId);
    byKey.set(k.key, e);
  }
  const rows = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await db.execute(sql`
    with up as (
      insert into workflows as w (key, key_name, trace_ids, started_at, last_activity_at, touched_at, dirty)
      select k, kn, (select array_agg(t) from (select distinct unnest(string_to_array(ts, ',')) t limit ${MAX_WORKFLOW_TRACES}) x), now(), now(), now(), true
      from unnest(${sql.param(rows.map(([k]) => k))}::text[], ${sql.param(rows.map(([, v]) => v.keyName))}::text[], ${sql.param(rows.map(([, v]) => [...v.traces].join(",")))}::text[]) as u(k, kn, ts)
      on conflict (key) do update set
        trace_ids = (select array_agg(t) from (select distinct unnest(w.trace_ids || excluded.trace_ids) t limit ${MAX_WORKFLOW_TRACES}) x),
        touched_at = now(), dirty = true
      returning w.id, w.trace_ids)
    insert into workflow_traces (trace_id, workflow_id) select distinct unnest(up.trace_ids), up.id from up order by 1, 2 on conflict do nothing`);
}

/** Traces that link to a trace of a workflow join it; every workflow holding a trace seen now has new evidence. */
export async function touchWorkflows(db: Db, links: readonly { traceId: string; linkedTraceId: string }[], traces: readonly string[]): Promise<void> {
  if (links.length) {
    // each link's linked trace looked up by its key (workflow_traces), never by scanning the workflows' arrays
    await db.execute(sql`
      with l as (select distinct t, lt from unnest(${sql.param(links.map((l) => l.traceId))}::text[], ${sql.param(links.map((l) => l.linkedTraceId))}::text[]) as u(t, lt)),
      j as (select wt.workflow_id as id, array_agg(distinct l.t) as ts from l join workflow_traces wt on wt.trace_id = l.lt group by wt.workflow_id),
      up as (
        update workflows w set trace_ids = (select array_agg(t) from (select distinct unnest(w.trace_ids || j.ts) t limit ${MAX_WORKFLOW_TRACES}) x), touched_at = now(), dirty = true
        from j where w.id = j.id
        returning w.id, w.trace_ids)
      insert into workflow_traces (trace_id, workflow_id) select distinct unnest(up.trace_ids), up.id from up order by 1, 2 on conflict do nothing`);
  }
  if (traces.length) {
    await db.execute(sql`
      update workflows set touched_at = now(), dirty = true
      where id in (select workflow_id from workflow_traces where trace_id = any(${sql.param([...new Set(traces)])}::text[]))`);
  }
}

/**
 * Workflows whose traces have dead letters captured since `since`: dirty again (a replay's own span in the trace
 * touches its workflow as any span does).
 */
export async function touchByDeadLetters(db: Db, since: Date): Promise<void> {
  await db.execute(sql`
    update workflows set touched_at = now(), dirty = true
    where id in (select wt.workflow_id from workflow_traces wt
      where wt.trace_id in (select trace_id from dead_letters where captured_at > ${since.toISOString()}::timestamptz and trace_id is not null))`);
}

/** Workflows quiet for longer than the spans they are made of are kept: dropped with them (their traces with them). */
export async function applyWorkflowRetention(db: Db, days: number): Promise<number> {
  const r = await db.execute(sql`delete from workflows where last_activity_at < now() - make_interval(days => ${days})`);
  return r.rowCount ?? 0;
}

export interface WorkflowToDerive {
  id: number;
  key: string;
  traceIds: string[];
}

/** Workflows with new evidence, and active ones not derived for `staleMs` (time moves them: running → completed, stuck). */
export async function workflowsToDerive(db: Db, limit: number, staleMs: number): Promise<WorkflowToDerive[]> {
  const r = await db.execute<{ id: string; key: string; trace_ids: string[] }>(sql`
    (select id, key, trace_ids from workflows where dirty order by touched_at limit ${limit})
    union
    (select id, key, trace_ids from workflows where state in ('pending', 'running', 'retrying') and not dirty and evaluated_at < now() - make_interval(secs => ${staleMs / 1000}) order by evaluated_at limit ${limit})`);
  return r.rows.map((x) => ({ id: Number(x.id), key: x.key, traceIds: x.trace_ids }));
}

/**
 * The spans of these traces the derivation reads, at most `limit` (the earliest); one statement for many workflows.
 * `anyOrder`: any `limit` of them, unsorted (a batch that only needs to know whether it passed the bound).
 */
export async function workflowSpans(db: Db, traceIds: readonly string[], limit = 5000, anyOrder = false): Promise<WorkflowSpan[]> {
  if (!traceIds.length) return [];
  const r = await db.execute<{ trace_id: string; span_id: string; parent_span_id: string | null; service: string; name: string; kind: number; start_ms: number; duration_ms: number; status_code: number; messaging_system: string | null; messaging_destination: string | null; messaging_operation: string | null; messaging_message_id: string | null; messaging_consumer_group: string | null; links: { traceId: string; spanId: string }[] }>(sql`
    select trace_id, span_id, parent_span_id, service, name, kind, (extract(epoch from start_time) * 1000)::float8 as start_ms, duration_ms, status_code,
      messaging_system, messaging_destination, messaging_operation, messaging_message_id, messaging_consumer_group, links
    from spans where trace_id = any(${sql.param([...traceIds])}::text[]) ${anyOrder ? sql`` : sql`order by start_time`} limit ${limit}`);
  return r.rows.map((x) => ({
    traceId: x.trace_id,
    spanId: x.span_id,
    parentSpanId: x.parent_span_id,
    service: x.service,
    name: x.name,
    kind: Number(x.kind),
    startMs: Number(x.start_ms),
    endMs: Number(x.start_ms) + Number(x.duration_ms),
    error: Number(x.status_code) === 2,
    messagingSystem: x.messaging_system,
    destination: x.messaging_destination,
    operation: x.messaging_operation?.toLowerCase() ?? null,
    messageId: x.messaging_message_id,
    consumerGroup: x.messaging_consumer_group,
    links: Array.isArray(x.links) ? x.links.filter((l) => l && typeof l.traceId === "string" && typeof l.spanId === "string").map((l) => ({ traceId: l.traceId, spanId: l.spanId })) : [],
  }));
}

/** The dead letters carrying these traces' ids (each with its trace), at most `limit`. */
export async function workflowDeadLetters(db: Db, traceIds: readonly string[], limit = 100): Promise<(WorkflowDeadLetter & { traceId: string })[]> {
  if (!traceIds.length) return [];
  const r = await db.execute<{ id: string; trace_id: string; status: string; system: string; source: string; original_destination: string | null; reason: string | null; at_ms: number }>(sql`
    select id::text as id, trace_id, status, system, source, original_destination, reason, (extract(epoch from coalesce(last_dead_at, first_dead_at, captured_at)) * 1000)::float8 as at_ms
    from dead_letters where trace_id = any(${sql.param([...traceIds])}::text[]) order by dead_letters.id limit ${limit}`);
  return r.rows.map((x) => ({ id: Number(x.id), traceId: x.trace_id, status: x.status, system: x.system, source: x.source, destination: x.original_destination, reason: x.reason, atMs: Number(x.at_ms) }));
}

/** Kafka consumer groups with the topics their members are assigned and their client ids (but `except`, Switchyard's own). */
export async function consumerGroups(db: Db, except: readonly string[]): Promise<ConsumerGroup[]> {
  const r = await db.execute<{ group_id: string; member_details: { clientId?: string; assignment?: Record<string, number[]> }[] }>(sql`select group_id, member_details from kafka_group_status`);
  return r.rows
    .filter((x) => !except.includes(x.group_id))
    .map((x) => ({
      group: x.group_id,
      topics: [...new Set((x.member_details ?? []).flatMap((m) => Object.keys(m.assignment ?? {})))],
      clientIds: [...new Set((x.member_details ?? []).map((m) => m.clientId ?? "").filter(Boolean))],
    }))
    .filter((g) => g.topics.length > 0);
}

/** Many derivations' answers in one statement, each kept unless newer evidence came while it was made. */
export async function saveDerivedMany(db: Db, startedAt: Date, rows: readonly { id: number; d: DerivedWorkflow }[]): Promise<void> {
  if (!rows.length) return;
  const json = JSON.stringify(
    rows.map(({ id, d }) => ({ id, name: d.name, state: d.state, stuck: d.stuck, dead_letter_ids: d.deadLetterIds, waiting_on: d.waitingOn, evidence: d.evidence, started_ms: d.startedMs, last_ms: d.lastActivityMs })),
  );
  await db.execute(sql`
    update workflows w set name = x.name, state = x.state, stuck = x.stuck,
      dead_letter_ids = array(select jsonb_array_elements_text(x.dead_letter_ids)::bigint), waiting_on = nullif(x.waiting_on, 'null'::jsonb), evidence = x.evidence,
      started_at = to_timestamp(x.started_ms / 1000), last_activity_at = to_timestamp(x.last_ms / 1000),
      evaluated_at = ${startedAt.toISOString()}::timestamptz, dirty = w.dirty and w.touched_at > ${startedAt.toISOString()}::timestamptz
    from jsonb_to_recordset(${json}::jsonb) as x(id bigint, name text, state text, stuck boolean, dead_letter_ids jsonb, waiting_on jsonb, evidence jsonb, started_ms float8, last_ms float8)
    where w.id = x.id`);
}

/** A derivation's answer, kept unless newer evidence came while it was made (then it is derived again). */
export async function saveDerived(db: Db, id: number, startedAt: Date, d: DerivedWorkflow): Promise<void> {
  await db.execute(sql`
    update workflows set name = ${d.name}, state = ${d.state}, stuck = ${d.stuck}, dead_letter_ids = ${sql.param(d.deadLetterIds)}::bigint[],
      waiting_on = ${d.waitingOn === null ? null : JSON.stringify(d.waitingOn)}::jsonb, evidence = ${JSON.stringify(d.evidence)}::jsonb,
      started_at = to_timestamp(${d.startedMs / 1000}), last_activity_at = to_timestamp(${d.lastActivityMs / 1000}),
      evaluated_at = ${startedAt.toISOString()}::timestamptz, dirty = dirty and touched_at > ${startedAt.toISOString()}::timestamptz
    where id = ${id}`);
}

// ---- the dashboard's side ----

export interface WorkflowRow {
  id: number;
  key: string;
  keyName: string;
  name: string;
  state: WorkflowState;
  stuck: boolean;
  traceIds: string[];
  deadLetterIds: number[];
  waitingOn: WaitingOn | null;
  evidence: Evidence[];
  startedAt: Date;
  lastActivityAt: Date;
  evaluatedAt: Date | null;
}

const listCursor = cursorCodec(z.object({ t: cursorMicroTime, id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }));

export interface WorkflowFilter {
  state?: WorkflowState;
  name?: string;
  key?: string;
  stuck?: boolean;
  /** started longer ago than this */
  olderThan?: number;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
}

type Raw = { id: string; key: string; key_name: string; name: string; state: WorkflowState; stuck: boolean; trace_ids: string[]; dead_letter_ids: string[]; waiting_on: WaitingOn | null; evidence: Evidence[]; started_at: Date; last_activity_at: Date; evaluated_at: Date | null; t: string };
const toRow = (x: Raw): WorkflowRow => ({
  id: Number(x.id),
  key: x.key,
  keyName: x.key_name,
  name: x.name,
  state: x.state,
  stuck: x.stuck,
  traceIds: x.trace_ids,
  deadLetterIds: x.dead_letter_ids.map(Number),
  waitingOn: x.waiting_on,
  evidence: x.evidence,
  startedAt: new Date(x.started_at),
  lastActivityAt: new Date(x.last_activity_at),
  evaluatedAt: x.evaluated_at ? new Date(x.evaluated_at) : null,
});
const columns = sql.raw(`id::text as id, key, key_name, name, state, stuck, trace_ids, dead_letter_ids::text[] as dead_letter_ids, waiting_on, evidence, started_at, last_activity_at, evaluated_at,
  to_char(last_activity_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t`);

/** Workflows, last activity first (derived ones only: one not derived yet has no state to show). */
export async function listWorkflows(db: Db, f: WorkflowFilter): Promise<{ items: WorkflowRow[]; nextCursor: string | null }> {
  const where: SQL[] = [sql`evaluated_at is not null`];
  if (f.state) where.push(sql`state = ${f.state}`);
  if (f.name) where.push(sql`name = ${f.name}`);
  if (f.key) where.push(sql`key = ${f.key}`);
  if (f.stuck !== undefined) where.push(sql`stuck = ${f.stuck}`);
  if (f.olderThan !== undefined) where.push(sql`started_at <= now() - make_interval(secs => ${f.olderThan / 1000})`);
  if (f.from) where.push(sql`last_activity_at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) where.push(sql`started_at <= ${f.to.toISOString()}::timestamptz`);
  if (f.cursor) {
    const c = listCursor.decode(f.cursor);
    where.push(sql`(last_activity_at, id) < (${c.t}::timestamptz, ${c.id})`);
  }
  const r = await db.execute<Raw>(sql`select ${columns} from workflows where ${sql.join(where, sql` and `)} order by last_activity_at desc, id desc limit ${f.limit + 1}`);
  const rows = r.rows.slice(0, f.limit);
  const last = r.rows.length > f.limit ? r.rows[f.limit - 1]! : null;
  return { items: rows.map(toRow), nextCursor: last ? listCursor.encode({ t: last.t, id: Number(last.id) }) : null };
}

export async function getWorkflow(db: Db, id: number): Promise<WorkflowRow | null> {
  const r = await db.execute<Raw>(sql`select ${columns} from workflows where id = ${id}`);
  return r.rows[0] ? toRow(r.rows[0]) : null;
}

/** Counts by state and name of the workflows active in the range, and started per bucket by state (a stacked chart). */
export async function workflowSummary(db: Db, from: Date, to: Date, bucketSeconds: number) {
  const range = sql`evaluated_at is not null and last_activity_at >= ${from.toISOString()}::timestamptz and started_at <= ${to.toISOString()}::timestamptz`;
  const [byName, series, stuck] = await Promise.all([
    db.execute<{ name: string; state: WorkflowState; n: string }>(sql`select name, state, count(*)::text as n from workflows where ${range} group by name, state order by name, state`),
    db.execute<{ t: Date; name: string; state: WorkflowState; n: string }>(sql`
      select to_timestamp(floor(extract(epoch from started_at) / ${bucketSeconds}) * ${bucketSeconds}) as t, name, state, count(*)::text as n
      from workflows where ${range} group by 1, 2, 3 order by 1, 2, 3`),
    db.execute<{ n: string }>(sql`select count(*)::text as n from workflows where ${range} and stuck`),
  ]);
  return {
    byName: byName.rows.map((x) => ({ name: x.name, state: x.state, count: Number(x.n) })),
    series: series.rows.map((x) => ({ t: new Date(x.t), name: x.name, state: x.state, count: Number(x.n) })),
    stuck: Number(stuck.rows[0]?.n ?? 0),
  };
}
