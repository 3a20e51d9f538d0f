/**
 * Latency histograms that add up: fixed bucket bounds in milliseconds, so per-minute rollups of any range sum bucket by
 * bucket and still give p50/p95 (within a bucket's width: the answer is the bucket's upper bound, never a value
 * lower than any observation in it).
 */
export const bucketBoundsMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000] as const;
/** one bucket per bound, and the last for anything above the largest */
export const bucketCount = bucketBoundsMs.length + 1;

export const emptyBuckets = (): number[] => new Array<number>(bucketCount).fill(0);

export function bucketOf(ms: number): number {
  for (let i = 0; i < bucketBoundsMs.length; i++) if (ms <= bucketBoundsMs[i]!) return i;
  return bucketBoundsMs.length;
}

export function addInto(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < bucketCount; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
  return into;
}

/**
 * The q-quantile (0 < q ≤ 1) of the observations: the upper bound of the bucket holding it; null when there are
 * none. Above the largest bound the answer is `maxMs` (the largest observation, when known) or the largest bound.
 */
export function quantileMs(buckets: readonly number[], q: number, maxMs?: number | null): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < bucketCount; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) return i < bucketBoundsMs.length ? bucketBoundsMs[i]! : (maxMs ?? bucketBoundsMs[bucketBoundsMs.length - 1]!);
  }
  return maxMs ?? bucketBoundsMs[bucketBoundsMs.length - 1]!;
}
