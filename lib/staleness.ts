/**
 * When a figure a collector stores stops being current: after three of its intervals without a fresh one (two missed
 * polls are noise, three are a collector that stopped), and never sooner than 30 s, so that a short interval does not
 * make a slow poll look dead. The one rule for consumer groups, queues and the health of each source.
 */
export const staleAfterMs = (intervalMs: number): number => Math.max(3 * intervalMs, 30_000);

/** Whether a figure taken at `at` (ms since the epoch, or a Date) is stale at `now` for a collector of this interval. */
export function isStale(at: Date | number | null | undefined, intervalMs: number, now: number): boolean {
  if (at === null || at === undefined) return true;
  return now - (typeof at === "number" ? at : at.getTime()) > staleAfterMs(intervalMs);
}
