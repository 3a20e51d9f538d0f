import { and, asc, desc, eq, gte, lt, notInArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { pgText } from "../../lib/pg-safe";
import { bulkInsert } from "./bulk";
import { kafkaGroupStatus, kafkaGroupStatusHistory, kafkaLagRollups, kafkaLagSamples, type GroupMember } from "../schema";

export type LagSampleRow = typeof kafkaLagSamples.$inferInsert;
export type GroupStatusRow = typeof kafkaGroupStatus.$inferSelect;

/** Everything one poll of one cluster learned, written in one transaction. */
export async function writeLagPoll(
  db: Db,
  cluster: string,
  samples: LagSampleRow[],
  groups: (typeof kafkaGroupStatus.$inferInsert)[],
  changes: { groupId: string; status: string; reason: string }[],
  at: Date,
): Promise<void> {
  // Two group ids that differ only in what Postgres cannot hold (`g\0` and `g\uFFFD`) are stored under the same
  // name: keep the first, or the upsert below would meet its own row twice and fail the whole poll.
  const seen = new Set<string>();
  groups = groups.filter((g) => {
    const k = pgText(g.groupId);
    return seen.has(k) ? false : (seen.add(k), true);
  });
  await db.transaction(async (tx) => {
    if (samples.length) await tx.execute(bulkInsert(kafkaLagSamples, samples));
    if (groups.length) {
      await tx.execute(sql`${bulkInsert(kafkaGroupStatus, groups)}
        on conflict (cluster, group_id) do update set
          state = excluded.state, status = excluded.status, total_lag = excluded.total_lag, uncommitted_backlog = excluded.uncommitted_backlog,
          empty_since = case when excluded.members = 0 then coalesce(kafka_group_status.empty_since, excluded.empty_since) else null end,
          max_lag_seconds = excluded.max_lag_seconds, eta_seconds = excluded.eta_seconds,
          consume_rate = excluded.consume_rate, produce_rate = excluded.produce_rate, members = excluded.members,
          member_details = excluded.member_details, error = null, evaluated_at = excluded.evaluated_at`);
      // per-minute rollup kept current on every poll, so long ranges never scan raw samples
      const bucket = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
      const rollups = groups.map((g) => ({ cluster, groupId: g.groupId, bucket, totalLag: g.totalLag ?? 0, maxLagSeconds: g.maxLagSeconds ?? null, samples: 1 }));
      await tx.execute(sql`${bulkInsert(kafkaLagRollups, rollups)}
        on conflict (cluster, group_id, bucket) do update set
          total_lag = greatest(kafka_lag_rollups.total_lag, excluded.total_lag),
          max_lag_seconds = greatest(kafka_lag_rollups.max_lag_seconds, excluded.max_lag_seconds),
          samples = kafka_lag_rollups.samples + 1`);
    }
    // groups that no longer exist on the cluster leave the overview (their history stays)
    const live = groups.map((g) => pgText(g.groupId));
    await tx
      .delete(kafkaGroupStatus)
      .where(live.length ? and(eq(kafkaGroupStatus.cluster, cluster), notInArray(kafkaGroupStatus.groupId, live)) : eq(kafkaGroupStatus.cluster, cluster));
    if (changes.length) await tx.insert(kafkaGroupStatusHistory).values(changes.map((c) => ({ cluster, groupId: pgText(c.groupId), status: c.status, reason: c.reason, at })));
  });
}

/** The cluster could not be polled: keep the last figures but say why they are old. */
export async function markClusterError(db: Db, cluster: string, error: string): Promise<void> {
  await db.update(kafkaGroupStatus).set({ error }).where(eq(kafkaGroupStatus.cluster, cluster));
}

export async function lastStatuses(db: Db, cluster: string): Promise<Map<string, string>> {
  const rows = await db.select({ groupId: kafkaGroupStatus.groupId, status: kafkaGroupStatus.status }).from(kafkaGroupStatus).where(eq(kafkaGroupStatus.cluster, cluster));
  return new Map(rows.map((r) => [r.groupId, r.status]));
}

export async function applyKafkaRetention(db: Db, rawHours: number, rollupDays: number): Promise<void> {
  const now = Date.now();
  await db.delete(kafkaLagSamples).where(lt(kafkaLagSamples.sampledAt, new Date(now - rawHours * 3600_000)));
  await db.delete(kafkaLagRollups).where(lt(kafkaLagRollups.bucket, new Date(now - rollupDays * 86_400_000)));
  await db.delete(kafkaGroupStatusHistory).where(lt(kafkaGroupStatusHistory.at, new Date(now - rollupDays * 86_400_000)));
}

// ---- reads for the API ----

export async function listGroupStatuses(db: Db): Promise<GroupStatusRow[]> {
  return db.select().from(kafkaGroupStatus).orderBy(asc(kafkaGroupStatus.cluster), asc(kafkaGroupStatus.groupId));
}

export async function getGroupStatus(db: Db, cluster: string, groupId: string): Promise<GroupStatusRow | null> {
  const rows = await db.select().from(kafkaGroupStatus).where(and(eq(kafkaGroupStatus.cluster, cluster), eq(kafkaGroupStatus.groupId, groupId)));
  return rows[0] ?? null;
}

/** The partitions of the group's latest poll. */
export async function latestPartitions(db: Db, cluster: string, groupId: string) {
  return db
    .select()
    .from(kafkaLagSamples)
    .where(
      and(
        eq(kafkaLagSamples.cluster, cluster),
        eq(kafkaLagSamples.groupId, groupId),
        sql`${kafkaLagSamples.sampledAt} = (select max(sampled_at) from kafka_lag_samples where cluster = ${cluster} and group_id = ${groupId})`,
      ),
    )
    .orderBy(asc(kafkaLagSamples.topic), asc(kafkaLagSamples.partition));
}

export interface LagPoint {
  t: Date;
  totalLag: number;
  maxLagSeconds: number | null;
}

/** Total lag and max lag in seconds over time: raw polls while they are kept, per-minute rollups beyond. */
export async function groupLagSeries(db: Db, cluster: string, groupId: string, from: Date, rawHours: number): Promise<LagPoint[]> {
  const rawFrom = new Date(Date.now() - rawHours * 3600_000);
  const out: LagPoint[] = [];
  if (from < rawFrom) {
    const rolled = await db
      .select({ t: kafkaLagRollups.bucket, totalLag: kafkaLagRollups.totalLag, maxLagSeconds: kafkaLagRollups.maxLagSeconds })
      .from(kafkaLagRollups)
      .where(and(eq(kafkaLagRollups.cluster, cluster), eq(kafkaLagRollups.groupId, groupId), gte(kafkaLagRollups.bucket, from), lt(kafkaLagRollups.bucket, rawFrom)))
      .orderBy(asc(kafkaLagRollups.bucket));
    out.push(...rolled);
  }
  const raw = await db
    .select({
      t: kafkaLagSamples.sampledAt,
      totalLag: sql<number>`coalesce(sum(${kafkaLagSamples.lag}), 0)::float8`,
      maxLagSeconds: sql<number | null>`max(${kafkaLagSamples.lagSeconds})`,
    })
    .from(kafkaLagSamples)
    .where(and(eq(kafkaLagSamples.cluster, cluster), eq(kafkaLagSamples.groupId, groupId), gte(kafkaLagSamples.sampledAt, from > rawFrom ? from : rawFrom)))
    .groupBy(kafkaLagSamples.sampledAt)
    .orderBy(asc(kafkaLagSamples.sampledAt));
  out.push(...raw);
  return out;
}

/** Recent total lag of every group, for the overview's sparklines. */
export async function recentTotals(db: Db, since: Date): Promise<{ cluster: string; groupId: string; t: Date; totalLag: number }[]> {
  return db
    .select({
      cluster: kafkaLagSamples.cluster,
      groupId: kafkaLagSamples.groupId,
      t: kafkaLagSamples.sampledAt,
      totalLag: sql<number>`coalesce(sum(${kafkaLagSamples.lag}), 0)::float8`,
    })
    .from(kafkaLagSamples)
    .where(gte(kafkaLagSamples.sampledAt, since))
    .groupBy(kafkaLagSamples.cluster, kafkaLagSamples.groupId, kafkaLagSamples.sampledAt)
    .orderBy(asc(kafkaLagSamples.sampledAt));
}

export async function statusHistory(db: Db, cluster: string, groupId: string, limit = 50) {
  return db
    .select({ status: kafkaGroupStatusHistory.status, reason: kafkaGroupStatusHistory.reason, at: kafkaGroupStatusHistory.at })
    .from(kafkaGroupStatusHistory)
    .where(and(eq(kafkaGroupStatusHistory.cluster, cluster), eq(kafkaGroupStatusHistory.groupId, groupId)))
    .orderBy(desc(kafkaGroupStatusHistory.at))
    .limit(limit);
}

export type { GroupMember };
