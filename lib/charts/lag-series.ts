/**
 * Prepares history for recharts (data → prepare → visualise): a fixed time axis for the chosen range, points
 * bucketed so a week never draws more than `maxPoints`, each bucket keeping its worst (max) value per series.
 */
import { rangeSpansDays, timeRanges, type TimeRange } from "../time-range";

// the one list of ranges is lib/time-range.ts; re-exported for the chart code that reads it from here
export { timeRanges, type TimeRange };

export interface ChartData<K extends string> {
  points: ({ t: number } & Record<K, number | null>)[];
  domain: [number, number];
  ticks: number[];
}

export function prepareTimeSeries<K extends string>(
  history: readonly ({ t: string | Date } & Record<K, number | null>)[],
  keys: readonly K[],
  range: TimeRange,
  nowMs: number,
  maxPoints = 300,
): ChartData<K> {
  const spanMs = timeRanges[range] * 1000;
  const from = nowMs - spanMs;
  const bucketMs = Math.max(1, Math.ceil(spanMs / maxPoints));
  const buckets = new Map<number, { t: number } & Record<K, number | null>>();
  for (const p of history) {
    const t = typeof p.t === "string" ? Date.parse(p.t) : p.t.getTime();
    if (t < from || t > nowMs) continue;
    const b = from + Math.floor((t - from) / bucketMs) * bucketMs;
    const cur = buckets.get(b);
    if (!cur) {
      const point = { t } as { t: number } & Record<K, number | null>;
      for (const k of keys) (point as Record<K, number | null>)[k] = p[k];
      buckets.set(b, point);
    } else {
      cur.t = Math.max(cur.t, t);
      for (const k of keys) {
        const v = p[k];
        const c = cur[k];
        (cur as Record<K, number | null>)[k] = v === null ? c : c === null ? v : Math.max(c, v);
      }
    }
  }
  const points = [...buckets.values()].sort((a, b) => a.t - b.t);
  const tickCount = 6;
  const ticks = Array.from({ length: tickCount + 1 }, (_, i) => Math.round(from + (i * spanMs) / tickCount));
  return { points, domain: [from, nowMs], ticks };
}

export interface LagHistoryPoint {
  t: string | Date;
  totalLag: number;
  maxLagSeconds: number | null;
}

export type LagChartData = ChartData<"lag" | "lagSeconds">;

export function prepareLagSeries(history: readonly LagHistoryPoint[], range: TimeRange, nowMs: number, maxPoints = 300): LagChartData {
  return prepareTimeSeries(
    history.map((h) => ({ t: h.t, lag: h.totalLag, lagSeconds: h.maxLagSeconds })),
    ["lag", "lagSeconds"] as const,
    range,
    nowMs,
    maxPoints,
  );
}

/** Tick label for a time axis: clock time for short ranges, day and time for long ones. */
export function formatTick(ms: number, range: TimeRange): string {
  const d = new Date(ms);
  const hm = `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  return rangeSpansDays(range) ? `${String(d.getUTCMonth() + 1).padStart(2, "0")}-${String(d.getUTCDate()).padStart(2, "0")} ${hm}` : hm;
}

/** Sparkline values (oldest first) from recent totals, at most `max` points. */
export function sparkline(values: readonly number[], max = 30): number[] {
  if (values.length <= max) return [...values];
  const step = values.length / max;
  return Array.from({ length: max }, (_, i) => values[Math.min(values.length - 1, Math.floor((i + 1) * step) - 1)]!);
}
