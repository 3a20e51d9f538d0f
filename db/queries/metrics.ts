import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { knownDeathReasons } from "../../lib/dead-letters";

/**
 * What the collectors' /metrics reads from Postgres at each scrape (collectors/store-metrics.ts): the figures the
 * API gives, so Prometheus and the dashboard agree. Each is one grouped statement over a bounded set.
 */

export interface GroupStatusMetric {
  cluster: string;
  group: string;
  status: string;
  members: number;
  uncommittedBacklog: number;
  inactive: boolean;
}

/** Every group's status, members and backlog where never committed, as the last poll left them. */
export async function groupStatusMetrics(db: Db, inactiveAfterMs: number): Promise<GroupStatusMetric[]> {
  const r = await db.execute<{ cluster: string; group_id: string; status: string; members: number; backlog: string | null; inactive: boolean }>(sql`
    select cluster, group_id, status, members, uncommitted_backlog::text as backlog,
      coalesce(empty_since < now() - make_interval(secs => ${inactiveAfterMs / 1000}), false) as inactive
    from kafka_group_status`);
  return r.rows.map((x) => ({ cluster: x.cluster, group: x.group_id, status: x.status, members: Number(x.members), uncommittedBacklog: Number(x.backlog ?? 0), inactive: x.inactive }));
}

/** Each group's lag per partition at its latest poll (the switch METRICS_KAFKA_PARTITIONS). */
export async function partitionLagMetrics(db: Db): Promise<{ cluster: string; group: string; topic: string; partition: number; messages: number | null; seconds: number | null }[]> {
  const r = await db.execute<{ cluster: string; group_id: string; topic: string; partition: number; lag: string | null; lag_seconds: number | null }>(sql`
    select s.cluster, s.group_id, s.topic, s.partition, s.lag::text as lag, s.lag_seconds
    from kafka_group_status g
    join lateral (select max(sampled_at) as at from kafka_lag_samples x where x.cluster = g.cluster and x.group_id = g.group_id and x.sampled_at > now() - interval '15 minutes') l on l.at is not null
    join kafka_lag_samples s on s.cluster = g.cluster and s.group_id = g.group_id and s.sampled_at = l.at`);
  return r.rows.map((x) => ({ cluster: x.cluster, group: x.group_id, topic: x.topic, partition: Number(x.partition), messages: x.lag === null ? null : Number(x.lag), seconds: x.lag_seconds === null ? null : Number(x.lag_seconds) }));
}

/** Dead letters stored, by system, source, reason (a known one, or `other`: lib/dead-letters.ts) and status. */
export async function deadLetterMetrics(db: Db): Promise<{ system: string; source: string; reason: string; status: string; count: number }[]> {
  const r = await db.execute<{ system: string; source: string; reason: string | null; status: string; n: string }>(sql`
    select system, source, case when reason is null then null when reason = any(${sql.param([...knownDeathReasons])}::text[]) then reason else 'other' end as reason,
      status, count(*)::text as n from dead_letters group by 1, 2, 3, 4`);
  return r.rows.map((x) => ({ system: x.system, source: x.source, reason: x.reason ?? "", status: x.status, count: Number(x.n) }));
}

/** Workflows active in the last day, by name and state, and those stuck. */
export async function workflowMetrics(db: Db): Promise<{ name: string; state: string; count: number; stuck: number }[]> {
  const r = await db.execute<{ name: string; state: string; n: string; stuck: string }>(sql`
    select name, state, count(*)::text as n, (count(*) filter (where stuck))::text as stuck from workflows
    where evaluated_at is not null and last_activity_at > now() - interval '1 day' group by 1, 2`);
  return r.rows.map((x) => ({ name: x.name, state: x.state, count: Number(x.n), stuck: Number(x.stuck) }));
}

/** Items of the replays still under way (pending, running, paused), by item status. */
export async function replayProgressMetrics(db: Db): Promise<{ status: string; count: number }[]> {
  const r = await db.execute<{ status: string; n: string }>(sql`
    select i.status, count(*)::text as n from replay_items i join replays r on r.id = i.replay_id
    where r.status in ('pending', 'running', 'paused') and not r.dry_run group by 1`);
  return r.rows.map((x) => ({ status: x.status, count: Number(x.n) }));
}
