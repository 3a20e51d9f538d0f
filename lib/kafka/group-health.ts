/**
 * Consumer group health over a sliding window of samples per partition, after Burrow's evaluation rules:
 *   REWIND  the committed offset went backwards within the window
 *   STOP    lag > 0, the committed offset has not moved for longer than the window, and no member owns the partition
 *           (Burrow reads "no commits" from commit timestamps; kafkajs does not expose them, so a partition nobody
 *           consumes stands in for "nobody is committing")
 *   STALL   lag > 0 and the committed offset did not move across the whole window while a member owns the partition
 *   WARN    lag > 0 and it grew across the window (never shrank, ended higher than it started)
 *   OK      anything else, including a window in which the lag touched zero, and a window still filling
 * Group status is the worst partition status.
 */
export const groupStatuses = ["OK", "WARN", "STALL", "STOP", "REWIND"] as const;
export type GroupStatus = (typeof groupStatuses)[number];

export const statusSeverity: Record<GroupStatus, number> = { OK: 0, WARN: 1, REWIND: 2, STALL: 3, STOP: 4 };

export interface PartitionSample {
  timeMs: number;
  /** null: no committed offset for this partition */
  committed: number | null;
  end: number;
}

export interface PartitionEvaluation {
  status: GroupStatus;
  reason: string;
}

export function lagOf(s: PartitionSample): number | null {
  return s.committed === null ? null : Math.max(0, s.end - s.committed);
}

export function evaluatePartition(window: readonly PartitionSample[], owned: boolean, windowMs: number, minSamples = 3): PartitionEvaluation {
  const withOffsets = window.filter((s) => s.committed !== null);
  const last = window[window.length - 1];
  if (!last || last.committed === null) return { status: "OK", reason: "no committed offset" };
  for (let i = 1; i < withOffsets.length; i++) {
    if (withOffsets[i]!.committed! < withOffsets[i - 1]!.committed!) {
      return { status: "REWIND", reason: `committed offset went back from ${withOffsets[i - 1]!.committed} to ${withOffsets[i]!.committed}` };
    }
  }
  const lags = withOffsets.map((s) => lagOf(s)!);
  const lastLag = lags[lags.length - 1]!;
  if (lastLag === 0) return { status: "OK", reason: "caught up" };
  if (withOffsets.length < minSamples) return { status: "OK", reason: "window still filling" };
  if (lags.some((l) => l === 0)) return { status: "OK", reason: "lag reached zero within the window" };

  const first = withOffsets[0]!;
  const unmoved = withOffsets.every((s) => s.committed === first.committed);
  if (unmoved) {
    // how long has it stood still? at least the window; longer when the window covers more than windowMs
    const stillFor = last.timeMs - first.timeMs;
    if (!owned && stillFor >= windowMs) return { status: "STOP", reason: `no consumer and no progress for ${Math.round(stillFor / 1000)} s with lag ${lastLag}` };
    if (owned) return { status: "STALL", reason: `committed offset stuck at ${first.committed} with lag ${lastLag}` };
    return { status: "OK", reason: "no consumer, window still filling" };
  }
  let growing = lags[lags.length - 1]! > lags[0]!;
  for (let i = 1; i < lags.length && growing; i++) if (lags[i]! < lags[i - 1]!) growing = false;
  if (growing) return { status: "WARN", reason: `lag grew from ${lags[0]} to ${lastLag}` };
  return { status: "OK", reason: "consuming" };
}

export function worstStatus(statuses: readonly GroupStatus[]): GroupStatus {
  return statuses.reduce<GroupStatus>((w, s) => (statusSeverity[s] > statusSeverity[w] ? s : w), "OK");
}

export interface Rates {
  /** messages per second the group committed over the window */
  consumeRate: number | null;
  /** messages per second produced to its partitions over the window */
  produceRate: number | null;
  /** seconds until caught up at these rates; null when not catching up */
  etaSeconds: number | null;
}

/** Rates over the window from the first and last sample of every partition, summed. */
export function groupRates(windows: readonly (readonly PartitionSample[])[], totalLag: number): Rates {
  let consumed = 0;
  let produced = 0;
  let spanMs = 0;
  for (const w of windows) {
    const a = w.find((s) => s.committed !== null);
    const b = w[w.length - 1];
    if (!a || !b || b.committed === null || b.timeMs <= a.timeMs) continue;
    consumed += Math.max(0, b.committed - a.committed!);
    produced += Math.max(0, b.end - a.end);
    spanMs = Math.max(spanMs, b.timeMs - a.timeMs);
  }
  if (spanMs === 0) return { consumeRate: null, produceRate: null, etaSeconds: totalLag === 0 ? 0 : null };
  const consumeRate = consumed / (spanMs / 1000);
  const produceRate = produced / (spanMs / 1000);
  const net = consumeRate - produceRate;
  const etaSeconds = totalLag === 0 ? 0 : net > 0 ? totalLag / net : null;
  return { consumeRate, produceRate, etaSeconds };
}
