import "server-only";
import type { z } from "zod";
import type { consumerGroupDetailSchema, consumerGroupListSchema, groupDetailQuery, groupListQuery } from "@/lib/api/contracts/kafka";
import { getGroupStatus, groupLagSeries, latestPartitions, listGroupStatuses, recentTotals, statusHistory } from "@/db/queries/kafka";
import { timeRanges, type TimeRange } from "@/lib/charts/lag-series";
import { NotFoundError } from "@/lib/errors";
import type { GroupStatus } from "@/lib/kafka/group-health";
import type { LagMethod } from "@/lib/kafka/group-summary";
import { isStale } from "@/lib/staleness";
import { filterGroups, isInactive, ownerOf, sortGroups, type GroupSummary } from "@/lib/kafka/view";
import { serverContext } from "./context";

function summary(row: Awaited<ReturnType<typeof listGroupStatuses>>[number], pollMs: number, inactiveAfterMs: number, now: number): GroupSummary {
  return {
    cluster: row.cluster,
    groupId: row.groupId,
    state: row.state,
    status: row.status as GroupStatus,
    totalLag: row.totalLag,
    uncommittedBacklog: row.uncommittedBacklog ?? 0,
    maxLagSeconds: row.maxLagSeconds,
    etaSeconds: row.etaSeconds,
    consumeRate: row.consumeRate,
    produceRate: row.produceRate,
    members: row.members,
    emptySince: row.emptySince?.toISOString() ?? null,
    inactive: isInactive(row.emptySince, inactiveAfterMs, now),
    evaluatedAt: row.evaluatedAt.toISOString(),
    error: row.error,
    stale: isStale(row.evaluatedAt, pollMs, now),
  };
}

export async function listConsumerGroups(query: z.infer<typeof groupListQuery>): Promise<z.input<typeof consumerGroupListSchema>> {
  const { config, db } = serverContext();
  const now = Date.now();
  const [rows, totals] = await Promise.all([listGroupStatuses(db.db), recentTotals(db.db, new Date(now - 15 * 60_000))]);
  const spark = new Map<string, number[]>();
  for (const t of totals) {
    const k = `${t.cluster}\u0000${t.groupId}`;
    spark.set(k, [...(spark.get(k) ?? []), Number(t.totalLag)]);
  }
  const groups = rows.map((r) => ({ ...summary(r, config.KAFKA_POLL_INTERVAL_MS, config.KAFKA_INACTIVE_AFTER, now), sparkline: spark.get(`${r.cluster}\u0000${r.groupId}`) ?? [] }));
  const matching = filterGroups(groups, { q: query.q, status: query.status, cluster: query.cluster, inactive: true });
  const items = sortGroups(query.inactive ? matching : matching.filter((g) => !g.inactive), query.sort, query.dir);
  return { items, clusters: config.KAFKA_CLUSTERS.map((c) => c.name), inactiveCount: matching.filter((g) => g.inactive).length, pollIntervalMs: config.KAFKA_POLL_INTERVAL_MS };
}

export async function getConsumerGroup(cluster: string, groupId: string, query: z.infer<typeof groupDetailQuery>): Promise<z.input<typeof consumerGroupDetailSchema>> {
  const { config, db } = serverContext();
  const row = await getGroupStatus(db.db, cluster, groupId);
  if (!row) throw new NotFoundError(`no consumer group '${groupId}' on cluster '${cluster}'`);
  const now = Date.now();
  const [parts, history, changes] = await Promise.all([
    latestPartitions(db.db, cluster, groupId),
    groupLagSeries(db.db, cluster, groupId, new Date(now - timeRanges[query.range] * 1000), config.RETENTION_RAW_HOURS),
    statusHistory(db.db, cluster, groupId),
  ]);
  return {
    ...summary(row, config.KAFKA_POLL_INTERVAL_MS, config.KAFKA_INACTIVE_AFTER, now),
    memberDetails: row.memberDetails,
    partitions: parts.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      committedOffset: p.committedOffset,
      endOffset: p.endOffset,
      lag: p.lag,
      lagSeconds: p.lagSeconds,
      // both as the collectors wrote them: lagMethod from lib/kafka/lag-poll.ts, status under a check constraint
      lagMethod: p.lagMethod as LagMethod,
      uncommittedBacklog: p.committedOffset === null && p.endOffset !== null && p.logStartOffset !== null ? Math.max(0, p.endOffset - p.logStartOffset) : null,
      status: p.status as GroupStatus | null,
      note: p.endOffset === null ? "topic deleted" : p.committedOffset === null ? "no committed offset" : null,
      member: ownerOf(row.memberDetails, p.topic, p.partition),
    })),
    range: query.range,
    history: history.map((h) => ({ t: h.t.toISOString(), totalLag: Number(h.totalLag), maxLagSeconds: h.maxLagSeconds })),
    statusHistory: changes.map((c) => ({ status: c.status as GroupStatus, reason: c.reason, at: c.at.toISOString() })),
  };
}

/** Whether the collectors have seen this group: a page for a group they never saw is a 404. */
export async function consumerGroupExists(cluster: string, groupId: string): Promise<boolean> {
  const { db } = serverContext();
  return (await getGroupStatus(db.db, cluster, groupId)) !== null;
}
