import { evaluatePartition, groupRates, worstStatus, type GroupStatus, type PartitionSample } from "./group-health";
import type { GroupMember, LagMethod } from "./group-summary";

/**
 * The arithmetic of one lag poll, apart from the I/O that feeds it (collectors/kafka/lag-collector.ts reads Kafka and
 * writes Postgres; everything between is here): which topics a group consumes, lag per partition, which partitions
 * get exact lag in seconds, and each group's health over its window.
 */

/** A member of a consumer group as the overview shows it (the model is lib/kafka/group-summary.ts). */
export type { GroupMember };

/** Committed offsets of one group, as OffsetFetch answers them (-1: none). */
export interface CommittedOffsets {
  groupId: string;
  topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
}

export interface PartitionOffsets {
  low: number;
  high: number;
}

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
export const positionKey = (topic: string, partition: number, offset: number) => `${tpKey(topic, partition)}\u0000${offset}`;

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number | null;
  endOffset: number | null;
  lag: number | null;
  lagSeconds: number | null;
  lagMethod: LagMethod;
  status: GroupStatus;
  note?: string;
}

export interface PartitionRow extends PartitionLag {
  groupId: string;
  /** log start offset: records below it are gone */
  low: number;
  /** a member of the group is assigned this partition */
  owned: boolean;
}

/** Topics each group consumes: those it has committed offsets for, plus those its members are assigned. */
export function topicsOfGroups(committed: readonly CommittedOffsets[], members: ReadonlyMap<string, readonly GroupMember[]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const c of committed) {
    const set = new Set(c.topics.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((t) => t.topic));
    for (const m of members.get(c.groupId) ?? []) for (const t of Object.keys(m.assignment)) set.add(t);
    out.set(c.groupId, set);
  }
  return out;
}

/** One row per group and partition, with lag in messages; lag in seconds is known here only where lag is 0. */
export function partitionRows(
  committed: readonly CommittedOffsets[],
  members: ReadonlyMap<string, readonly GroupMember[]>,
  groupTopics: ReadonlyMap<string, ReadonlySet<string>>,
  existingTopics: ReadonlySet<string>,
  partitions: ReadonlyMap<string, readonly number[]>,
  offsets: ReadonlyMap<string, PartitionOffsets>,
): PartitionRow[] {
  const rows: PartitionRow[] = [];
  for (const c of committed) {
    const owned = new Set((members.get(c.groupId) ?? []).flatMap((m) => Object.entries(m.assignment).flatMap(([t, ps]) => ps.map((p) => tpKey(t, p)))));
    const committedAt = new Map(c.topics.flatMap((t) => t.partitions.map((p) => [tpKey(t.topic, p.partition), Number(p.offset)] as const)));
    for (const topic of groupTopics.get(c.groupId) ?? []) {
      if (!existingTopics.has(topic)) {
        for (const t of c.topics.filter((x) => x.topic === topic)) {
          for (const p of t.partitions.filter((x) => Number(x.offset) >= 0)) {
            rows.push({ groupId: c.groupId, topic, partition: p.partition, committedOffset: Number(p.offset), endOffset: null, lag: null, lagSeconds: null, lagMethod: "none", status: "OK", note: "topic deleted", low: 0, owned: false });
          }
        }
        continue;
      }
      for (const partition of partitions.get(topic) ?? []) {
        const key = tpKey(topic, partition);
        const o = offsets.get(key);
        if (!o) continue;
        const raw = committedAt.get(key);
        const committedOffset = raw !== undefined && raw >= 0 ? raw : null;
        const lag = committedOffset === null ? null : Math.max(0, o.high - committedOffset);
        rows.push({
          groupId: c.groupId,
          topic,
          partition,
          committedOffset,
          endOffset: o.high,
          lag,
          lagSeconds: lag === 0 ? 0 : null,
          lagMethod: lag === 0 ? "exact" : "none",
          status: "OK",
          ...(committedOffset === null ? { note: "no committed offset" } : {}),
          low: o.low,
          owned: owned.has(key),
        });
      }
    }
  }
  return rows;
}

/** The offset whose record's timestamp gives exact lag in seconds: the next unconsumed one, or the oldest left. */
export const unconsumedOffset = (r: PartitionRow): number => Math.max(r.committedOffset!, r.low);

/** The partitions behind the most, up to the budget, get exact lag in seconds (one record read each). */
export function exactLagTargets(rows: readonly PartitionRow[], budget: number): PartitionRow[] {
  return rows
    .filter((r) => r.lag !== null && r.lag > 0)
    .sort((a, b) => b.lag! - a.lag!)
    .slice(0, budget);
}

/**
 * Lag in seconds for every lagging row: exact from the timestamp of its oldest unconsumed record where one was read
 * (`stamps`, keyed by positionKey), else interpolated from the times end offsets were seen (`timeOf`), else unknown.
 */
export function applyLagSeconds(
  rows: PartitionRow[],
  exact: ReadonlySet<PartitionRow>,
  stamps: ReadonlyMap<string, number>,
  timeOf: (topic: string, partition: number, offset: number) => number | null,
  nowMs: number,
): void {
  for (const r of rows) {
    if (r.lag === null || r.lag <= 0) continue;
    const ts = exact.has(r) ? stamps.get(positionKey(r.topic, r.partition, unconsumedOffset(r))) : undefined;
    if (ts !== undefined) {
      r.lagSeconds = Math.max(0, (nowMs - ts) / 1000);
      r.lagMethod = "exact";
      continue;
    }
    const t = timeOf(r.topic, r.partition, r.committedOffset!);
    if (t !== null) {
      r.lagSeconds = Math.max(0, (nowMs - t) / 1000);
      r.lagMethod = "interpolated";
    }
  }
}

export interface GroupSummary {
  groupId: string;
  state: string;
  status: GroupStatus;
  totalLag: number | null;
  /** messages on the partitions it never committed on (end − log start): what it would face on joining, not lag */
  uncommittedBacklog: number;
  maxLagSeconds: number | null;
  etaSeconds: number | null;
  consumeRate: number | null;
  produceRate: number | null;
  members: GroupMember[];
}

/** Why a partition with lag is STOP at once when its group has no member (Burrow, which sees no members, cannot). */
export const noMembersReason = "no active members";

/** The backlog a group would face on a partition it never committed on: the records still in the log. */
export const uncommittedBacklogOf = (r: Pick<PartitionRow, "committedOffset" | "endOffset" | "low">): number | null =>
  r.committedOffset === null && r.endOffset !== null ? Math.max(0, r.endOffset - r.low) : null;

export interface StatusChange {
  groupId: string;
  status: GroupStatus;
  reason: string;
}

export interface GroupEvaluationInput {
  groupIds: readonly string[];
  rows: PartitionRow[];
  /** per group and partition, the samples of the sliding window; updated in place, entries of gone partitions removed */
  windows: Map<string, PartitionSample[]>;
  windowSamples: number;
  intervalMs: number;
  nowMs: number;
  /** each group's last recorded status; updated in place */
  lastStatus: Map<string, string>;
  states: ReadonlyMap<string, string>;
  members: ReadonlyMap<string, readonly GroupMember[]>;
}

/** Each group's health over its window (partition statuses set on `rows`), and the status changes to record. */
export function evaluateGroups(input: GroupEvaluationInput): { groups: GroupSummary[]; changes: StatusChange[] } {
  const { rows, windows, windowSamples, nowMs, lastStatus } = input;
  const windowMs = input.intervalMs * (windowSamples - 1);
  const byGroup = new Map<string, PartitionRow[]>();
  for (const r of rows) {
    const list = byGroup.get(r.groupId);
    if (list) list.push(r);
    else byGroup.set(r.groupId, [r]);
  }
  const live = new Set<string>();
  const groups: GroupSummary[] = [];
  const changes: StatusChange[] = [];
  for (const groupId of input.groupIds) {
    const prs = byGroup.get(groupId) ?? [];
    const groupWindows: PartitionSample[][] = [];
    const reasons: string[] = [];
    // no member at all (Kafka's state Empty): lag left is lag nobody will work off, STOP now, not after a window
    const state = input.states.get(groupId) ?? "Unknown";
    const idle = (input.members.get(groupId) ?? []).length === 0 && state !== "PreparingRebalance" && state !== "CompletingRebalance";
    for (const r of prs) {
      const wkey = `${groupId}\u0000${tpKey(r.topic, r.partition)}`;
      live.add(wkey);
      if (r.endOffset === null) continue;
      const w = windows.get(wkey) ?? [];
      w.push({ timeMs: nowMs, committed: r.committedOffset, end: r.endOffset });
      if (w.length > windowSamples) w.splice(0, w.length - windowSamples);
      windows.set(wkey, w);
      groupWindows.push(w);
      // (a rewind, which Kafka allows only while a group is empty, still says REWIND: it explains the lag)
      const windowed = evaluatePartition(w, r.owned, windowMs);
      const ev = idle && r.lag !== null && r.lag > 0 && windowed.status !== "REWIND" ? { status: "STOP" as const, reason: noMembersReason } : windowed;
      r.status = ev.status;
      if (ev.status !== "OK") reasons.push(`${r.topic}[${r.partition}]: ${ev.reason}`);
    }
    const lags = prs.map((r) => r.lag).filter((l): l is number => l !== null);
    const totalLag = lags.length ? lags.reduce((a, b) => a + b, 0) : null;
    const secs = prs.map((r) => r.lagSeconds).filter((s): s is number => s !== null);
    const status = worstStatus(prs.map((r) => r.status));
    const rates = groupRates(groupWindows, totalLag ?? 0);
    const uncommittedBacklog = prs.reduce((a, r) => a + (uncommittedBacklogOf(r) ?? 0), 0);
    groups.push({
      groupId,
      state,
      status,
      totalLag,
      uncommittedBacklog,
      maxLagSeconds: secs.length ? Math.max(...secs) : null,
      etaSeconds: totalLag === null ? null : rates.etaSeconds,
      consumeRate: rates.consumeRate,
      produceRate: rates.produceRate,
      members: [...(input.members.get(groupId) ?? [])],
    });
    if (lastStatus.get(groupId) !== status) {
      const why = idle && status === "STOP" ? [noMembersReason, ...reasons.filter((r) => !r.endsWith(noMembersReason))] : reasons;
      changes.push({ groupId, status, reason: why.slice(0, 3).join("; ") || "all partitions OK" });
      lastStatus.set(groupId, status);
    }
  }
  for (const k of windows.keys()) if (!live.has(k)) windows.delete(k);
  return { groups, changes };
}
