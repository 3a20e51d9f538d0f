import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { bucketCount } from "../../lib/flows/histogram";
import type { DeadLetterCount, EdgeTotal, GroupLag, QueueInfo } from "../../lib/flows/graph";
import type { FlowEdgeKind, FlowNodeKind } from "../../lib/flows/model";
import type { EdgeSample, ServerCall } from "../../lib/flows/observe";

/**
 * The flow map's rollups (db/schema/flows.ts): written by the collectors as spans arrive, summed over a range by the
 * dashboard, and what the map shows beside them from the broker collectors' tables.
 */

/** Adds edge samples to their minutes' rows (one statement; the rows in key order, so two writers never deadlock). */
export async function addFlowSamples(db: Db, samples: readonly EdgeSample[]): Promise<void> {
  if (!samples.length) return;
  const rows = [...samples].sort((a, b) => a.minute - b.minute || a.source.localeCompare(b.source) || a.target.localeCompare(b.target) || a.edge.localeCompare(b.edge) || a.group.localeCompare(b.group) || a.method.localeCompare(b.method) || a.system.localeCompare(b.system) || a.sourceKind.localeCompare(b.sourceKind) || a.targetKind.localeCompare(b.targetKind));
  const col = <T>(f: (s: EdgeSample) => T) => sql.param(rows.map(f));
  await db.execute(sql`
    insert into flow_edge_minutes as f (minute, source, source_kind, target, target_kind, edge, system, group_name, method, count, errors, duration_sum_ms, max_ms, buckets)
    select to_timestamp(m / 1000.0), s, sk, t, tk, e, sy, g, me, c, er, d, mx, b::int[]
    from unnest(${col((s) => s.minute)}::bigint[], ${col((s) => s.source)}::text[], ${col((s) => s.sourceKind)}::text[], ${col((s) => s.target)}::text[],
      ${col((s) => s.targetKind)}::text[], ${col((s) => s.edge)}::text[], ${col((s) => s.system)}::text[], ${col((s) => s.group)}::text[], ${col((s) => s.method)}::text[],
      ${col((s) => s.count)}::bigint[], ${col((s) => s.errors)}::bigint[], ${col((s) => s.durationSumMs)}::float8[], ${col((s) => s.maxMs)}::float8[],
      ${col((s) => `{${s.buckets.join(",")}}`)}::text[]) as x(m, s, sk, t, tk, e, sy, g, me, c, er, d, mx, b)
    on conflict on constraint flow_edge_minutes_pk do update set
      count = f.count + excluded.count, errors = f.errors + excluded.errors, duration_sum_ms = f.duration_sum_ms + excluded.duration_sum_ms,
      max_ms = greatest(f.max_ms, excluded.max_ms),
      buckets = (select array_agg(coalesce(a, 0) + coalesce(b, 0) order by i) from unnest(f.buckets, excluded.buckets) with ordinality as u(a, b, i))`);
}

/** The edges of a range, each summed over its minutes (the minute holding `from` counts whole). */
export async function flowEdgeTotals(db: Db, from: Date, to: Date): Promise<EdgeTotal[]> {
  const sums = sql.raw(Array.from({ length: bucketCount }, (_, i) => `coalesce(sum(buckets[${i + 1}]), 0)::bigint`).join(", "));
  const r = await db.execute<{ source: string; source_kind: FlowNodeKind; target: string; target_kind: FlowNodeKind; edge: FlowEdgeKind; system: string; group_name: string; method: string; count: string; errors: string; duration_sum_ms: number; max_ms: number; buckets: number[] }>(sql`
    select source, source_kind, target, target_kind, edge, system, group_name, method, sum(count)::text as count, sum(errors)::text as errors,
      sum(duration_sum_ms)::float8 as duration_sum_ms, max(max_ms)::float8 as max_ms, array[${sums}] as buckets
    from flow_edge_minutes where minute >= date_trunc('minute', ${from.toISOString()}::timestamptz) and minute <= ${to.toISOString()}::timestamptz
    group by source, source_kind, target, target_kind, edge, system, group_name, method`);
  return r.rows.map((x) => ({
    source: x.source,
    sourceKind: x.source_kind,
    target: x.target,
    targetKind: x.target_kind,
    edge: x.edge,
    system: x.system,
    group: x.group_name,
    method: x.method,
    count: Number(x.count),
    errors: Number(x.errors),
    durationSumMs: Number(x.duration_sum_ms),
    maxMs: Number(x.max_ms),
    buckets: x.buckets.map(Number), // bigint sums come as text
  }));
}

/** The services of the spans these server spans name as parent (their callers, when no client span of theirs came). */
export async function callerServices(db: Db, calls: readonly ServerCall[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!calls.length) return out;
  const r = await db.execute<{ trace_id: string; span_id: string; service: string }>(sql`
    select s.trace_id, s.span_id, s.service from spans s
    join unnest(${sql.param(calls.map((c) => c.traceId))}::text[], ${sql.param(calls.map((c) => c.parentSpanId))}::text[]) as x(t, p)
      on s.trace_id = x.t and s.span_id = x.p`);
  for (const x of r.rows) out.set(`${x.trace_id}:${x.span_id}`, x.service);
  return out;
}

/** Each consumer group's lag on each topic at its latest poll (in the last 15 minutes), with the group's status. */
export async function latestTopicLag(db: Db): Promise<GroupLag[]> {
  const r = await db.execute<{ cluster: string; group_id: string; topic: string; lag: string | null; lag_seconds: number | null; status: string; client_ids: string[] | null }>(sql`
    select s.cluster, s.group_id, s.topic, sum(s.lag)::text as lag, max(s.lag_seconds)::float8 as lag_seconds, g.status,
      (select array_agg(distinct m->>'clientId') from jsonb_array_elements(g.member_details) m) as client_ids
    from kafka_group_status g
    join lateral (select max(sampled_at) as at from kafka_lag_samples x where x.cluster = g.cluster and x.group_id = g.group_id and x.sampled_at > now() - interval '15 minutes') l on l.at is not null
    join kafka_lag_samples s on s.cluster = g.cluster and s.group_id = g.group_id and s.sampled_at = l.at
    group by s.cluster, s.group_id, s.topic, g.status, g.member_details`);
  return r.rows.map((x) => ({ cluster: x.cluster, group: x.group_id, topic: x.topic, messages: x.lag === null ? null : Number(x.lag), seconds: x.lag_seconds === null ? null : Number(x.lag_seconds), status: x.status, clientIds: (x.client_ids ?? []).filter(Boolean) }));
}

/** Every known queue with its latest depth (in the last hour), the exchanges routing to it and where it dead-letters to. */
export async function queueFlowInfo(db: Db): Promise<QueueInfo[]> {
  const r = await db.execute<{ broker: string; vhost: string; name: string; ready: string | null; unacked: string | null; consumers: number | null; is_dead_letter_queue: boolean; dead_letter_targets: string[]; bound_from: { exchange: string; routingKey: string }[] }>(sql`
    select q.broker, q.vhost, q.name, s.ready::text as ready, s.unacked::text as unacked, s.consumers, q.is_dead_letter_queue, q.dead_letter_targets, q.bound_from
    from rabbitmq_queues q
    left join lateral (select ready, unacked, consumers from rabbitmq_queue_samples x where x.broker = q.broker and x.vhost = q.vhost and x.queue = q.name and x.sampled_at > now() - interval '1 hour' order by x.sampled_at desc limit 1) s on true`);
  return r.rows.map((x) => ({ broker: x.broker, vhost: x.vhost, name: x.name, ready: x.ready === null ? null : Number(x.ready), unacked: x.unacked === null ? null : Number(x.unacked), consumers: x.consumers, isDeadLetterQueue: x.is_dead_letter_queue, deadLetterTargets: x.dead_letter_targets ?? [], boundFrom: x.bound_from ?? [] }));
}

/** Dead letters that died in the range (the list's order index, dead_letters_dead_at), by where they were caught and where they had been going. */
export async function deadLetterFlows(db: Db, from: Date, to: Date): Promise<DeadLetterCount[]> {
  const r = await db.execute<{ system: string; source_name: string; vhost: string | null; source: string; original_destination: string | null; n: string }>(sql`
    select system, source_name, vhost, source, original_destination, count(*)::text as n from dead_letters
    where coalesce(last_dead_at, first_dead_at, captured_at) >= ${from.toISOString()}::timestamptz
      and coalesce(last_dead_at, first_dead_at, captured_at) <= ${to.toISOString()}::timestamptz
    group by system, source_name, vhost, source, original_destination`);
  return r.rows.map((x) => ({ system: x.system, sourceName: x.source_name, vhost: x.vhost, source: x.source, originalDestination: x.original_destination, count: Number(x.n) }));
}

/** Rollups older than the spans they came from are dropped with them. */
export async function applyFlowRetention(db: Db, days: number): Promise<void> {
  await db.execute(sql`delete from flow_edge_minutes where minute < now() - make_interval(days => ${days})`);
}
