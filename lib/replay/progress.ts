import type { ReplayStatus } from "../replay-states";

/**
 * A replay's progress as the bar draws it: the replay's items split into parts that do not overlap, each with its
 * share of the bar. Prepared here (pure, unit-tested); the page only draws the parts.
 */

/** What the bar reads of a replay (the API's Replay, lib/api/contracts/replays.ts). */
export interface ReplayCounts {
  status: ReplayStatus;
  dryRun: boolean;
  total: number;
  sent: number;
  confirmed: number;
  processed: number;
  failedAgain: number;
  skipped: number;
  cancelled: number;
  remaining: number;
  notObserved: number;
}

export const segmentKinds = ["processed", "failedAgain", "notObserved", "sentUnconfirmed", "skipped", "cancelled", "remaining"] as const;
export type SegmentKind = (typeof segmentKinds)[number];

export const segmentLabels: Record<SegmentKind, string> = {
  processed: "processed",
  failedAgain: "failed again",
  notObserved: "confirmed, processing not observed",
  sentUnconfirmed: "sent, not yet confirmed",
  skipped: "skipped",
  cancelled: "cancelled",
  remaining: "remaining",
};

export interface ProgressSegment {
  kind: SegmentKind;
  label: string;
  count: number;
  /** share of the bar in percent, one decimal; the parts of a replay with items add up to exactly 100 */
  percent: number;
}

export interface ReplayProgress {
  segments: ProgressSegment[];
  /** items the bar is made of (the replay's total, or the sum of its parts when they count more) */
  total: number;
  /** items no longer waiting or in flight: processed, failed again, confirmed, skipped, cancelled */
  finished: number;
  /** finished as a share of total, in whole percent (rounded down, so 100 only when nothing is left) */
  percentFinished: number;
  label: string;
}

/** Statuses a replay may still change from: the pages poll while a replay is in one. */
export function isActive(status: ReplayStatus): boolean {
  return status === "pending" || status === "running" || status === "paused";
}

const n = (x: number) => (Number.isFinite(x) && x > 0 ? Math.floor(x) : 0);
const fmt = (x: number) => x.toLocaleString("en-US");

/**
 * Shares of `counts` in tenths of a percent that add up to exactly 1,000 (largest remainder: each part gets its
 * floor, the tenths left over go to the parts that lost the most by rounding, earlier parts first on ties).
 */
export function tenthsOf(counts: readonly number[]): number[] {
  const total = counts.reduce((a, c) => a + c, 0);
  if (total <= 0) return counts.map(() => 0);
  const exact = counts.map((c) => (c * 1000) / total);
  const out = exact.map(Math.floor);
  let left = 1000 - out.reduce((a, c) => a + c, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left -= 1;
  }
  return out;
}

/**
 * The bar of one replay. Items in flight (sent, the broker's confirm not yet back) are taken out of "remaining" (the
 * API counts them there); a replay whose parts count fewer items than its total (a dry run has no items) shows the
 * difference as remaining.
 */
export function replayProgress(r: ReplayCounts): ReplayProgress {
  const remainingAll = n(r.remaining);
  const inFlight = Math.min(remainingAll, Math.max(0, n(r.sent) - n(r.confirmed)));
  const parts: Record<SegmentKind, number> = {
    processed: n(r.processed),
    failedAgain: n(r.failedAgain),
    notObserved: n(r.notObserved),
    sentUnconfirmed: inFlight,
    skipped: n(r.skipped),
    cancelled: n(r.cancelled),
    remaining: remainingAll - inFlight,
  };
  const counted = segmentKinds.reduce((a, k) => a + parts[k], 0);
  const total = Math.max(n(r.total), counted);
  parts.remaining += total - counted;
  const tenths = tenthsOf(segmentKinds.map((k) => parts[k]));
  const segments = segmentKinds.map((kind, i) => ({ kind, label: segmentLabels[kind], count: parts[kind], percent: tenths[i]! / 10 }));
  const finished = total - parts.remaining - parts.sentUnconfirmed;
  const percentFinished = total === 0 ? 0 : Math.floor((finished * 100) / total);
  return { segments, total, finished, percentFinished, label: labelOf(r, parts, total, finished, percentFinished) };
}

function labelOf(r: ReplayCounts, parts: Record<SegmentKind, number>, total: number, finished: number, pct: number): string {
  if (r.dryRun) return `dry run: ${fmt(Math.max(0, total - parts.skipped))} would be sent, ${fmt(parts.skipped)} skipped`;
  if (total === 0) return "no dead letters in this replay";
  const outcome = [
    parts.processed ? `${fmt(parts.processed)} processed` : null,
    parts.failedAgain ? `${fmt(parts.failedAgain)} failed again` : null,
    parts.notObserved ? `${fmt(parts.notObserved)} not observed` : null,
  ].filter(Boolean);
  const head = `${fmt(finished)} of ${fmt(total)} finished (${pct}%)`;
  const state = r.status === "pending" ? " · waiting for the collectors" : r.status === "paused" ? " · paused" : r.status === "failed" ? " · failed" : r.status === "cancelled" ? " · cancelled" : "";
  return `${head}${outcome.length ? ` · ${outcome.join(", ")}` : ""}${state}`;
}

/**
 * Messages a second the replay has sent at, over its run so far (from its start to its end, or to now while it
 * runs), or null before it started or when too little time has passed to say.
 */
export function sendRate(r: { sent: number; startedAt: string | null; finishedAt: string | null }, nowMs: number): number | null {
  if (!r.startedAt) return null;
  const from = Date.parse(r.startedAt);
  const to = r.finishedAt ? Date.parse(r.finishedAt) : nowMs;
  if (!Number.isFinite(from) || !Number.isFinite(to)) return null;
  const seconds = (to - from) / 1000;
  if (seconds < 1) return null;
  return Math.round((n(r.sent) / seconds) * 10) / 10;
}

/** How long after a replay finished its page keeps polling for consumer spans (items confirmed, not yet observed). */
export const settleWatchMs = 10 * 60_000;

/**
 * Whether a replay's figures may still change: it is sending, or it finished less than `settleWatchMs` ago with
 * items confirmed whose consumer's span has not been seen yet (processed and failed again arrive after "done").
 */
export function stillChanging(r: { status: ReplayStatus; notObserved: number; finishedAt: string | null }, now: number): boolean {
  if (isActive(r.status)) return true;
  if (r.notObserved === 0 || r.finishedAt === null) return false;
  return now - Date.parse(r.finishedAt) < settleWatchMs;
}
