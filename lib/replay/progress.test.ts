import { describe, expect, it } from "vitest";
import { isActive, replayProgress, segmentKinds, sendRate, tenthsOf, type ReplayCounts } from "./progress";
import { settleWatchMs, stillChanging } from "./progress";
import { replayStatuses } from "../replay-states";

const base: ReplayCounts = { status: "running", dryRun: false, total: 0, sent: 0, confirmed: 0, processed: 0, failedAgain: 0, skipped: 0, cancelled: 0, remaining: 0, notObserved: 0 };
const counts = (p: ReturnType<typeof replayProgress>) => Object.fromEntries(p.segments.map((s) => [s.kind, s.count]));
const tenthsSum = (p: ReturnType<typeof replayProgress>) => p.segments.reduce((a, s) => a + Math.round(s.percent * 10), 0);

describe("replayProgress", () => {
  it("splits the items into parts that add up to the total, in the bar's order", () => {
    const p = replayProgress({ ...base, total: 100, sent: 70, confirmed: 60, processed: 40, failedAgain: 5, notObserved: 15, skipped: 10, cancelled: 0, remaining: 30 });
    expect(p.segments.map((s) => s.kind)).toEqual([...segmentKinds]);
    // 70 sent, 60 confirmed: 10 in flight, taken out of the 30 the API counts as remaining
    expect(counts(p)).toEqual({ processed: 40, failedAgain: 5, notObserved: 15, sentUnconfirmed: 10, skipped: 10, cancelled: 0, remaining: 20 });
    expect(p.segments.map((s) => s.percent)).toEqual([40, 5, 15, 10, 10, 0, 20]);
    expect(p.total).toBe(100);
    expect(p.finished).toBe(70);
    expect(p.percentFinished).toBe(70);
    expect(p.label).toBe("70 of 100 finished (70%) · 40 processed, 5 failed again, 15 not observed");
  });

  it("percentages add up to exactly 100 when thirds do not divide", () => {
    const p = replayProgress({ ...base, total: 3, processed: 1, failedAgain: 1, remaining: 1 });
    expect(tenthsSum(p)).toBe(1000);
    expect(p.segments.filter((s) => s.count > 0).map((s) => s.percent)).toEqual([33.4, 33.3, 33.3]);
  });

  it("percentages add up to 100 for many uneven mixes", () => {
    for (let seed = 1; seed < 400; seed++) {
      const r = (k: number) => (seed * 7919 * (k + 3)) % (seed % 13 === 0 ? 3 : 997);
      const parts = { processed: r(1), failedAgain: r(2), notObserved: r(3), skipped: r(4), cancelled: r(5), remaining: r(6) };
      const total = Object.values(parts).reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const p = replayProgress({ ...base, ...parts, total, sent: parts.processed + parts.failedAgain + parts.notObserved + (parts.remaining >> 1), confirmed: parts.processed + parts.failedAgain + parts.notObserved });
      expect(tenthsSum(p), `seed ${seed}`).toBe(1000);
      expect(p.segments.reduce((a, s) => a + s.count, 0)).toBe(total);
      for (const s of p.segments) expect(s.percent).toBeGreaterThanOrEqual(0);
    }
  });

  it("a part of one in a hundred thousand may round to nothing, but the rest still fill the bar", () => {
    const p = replayProgress({ ...base, total: 100_000, processed: 99_999, failedAgain: 1, status: "done" });
    expect(p.segments[0]!.percent).toBe(100);
    expect(p.segments[1]).toMatchObject({ kind: "failedAgain", count: 1, percent: 0 });
    expect(tenthsSum(p)).toBe(1000);
    expect(p.percentFinished).toBe(100);
    expect(p.label).toBe("100,000 of 100,000 finished (100%) · 99,999 processed, 1 failed again");
  });

  it("does not say 100% finished while one item is left", () => {
    const p = replayProgress({ ...base, total: 1000, processed: 999, remaining: 1, sent: 999, confirmed: 999 });
    expect(p.percentFinished).toBe(99);
  });

  it("a pending replay has everything remaining and says it waits for the collectors", () => {
    const p = replayProgress({ ...base, status: "pending", total: 20, remaining: 18, skipped: 2 });
    expect(counts(p)).toMatchObject({ remaining: 18, skipped: 2, sentUnconfirmed: 0 });
    expect(p.finished).toBe(2);
    expect(p.label).toBe("2 of 20 finished (10%) · waiting for the collectors");
  });

  it("says paused, cancelled and failed", () => {
    expect(replayProgress({ ...base, status: "paused", total: 4, remaining: 4 }).label).toMatch(/ · paused$/);
    expect(replayProgress({ ...base, status: "cancelled", total: 4, cancelled: 4 }).label).toBe("4 of 4 finished (100%) · cancelled");
    expect(replayProgress({ ...base, status: "failed", total: 4, remaining: 4 }).label).toMatch(/ · failed$/);
  });

  it("a dry run (no items) shows what would be sent as remaining and says it is a dry run", () => {
    const p = replayProgress({ ...base, status: "done", dryRun: true, total: 12, skipped: 2 });
    expect(counts(p)).toMatchObject({ remaining: 10, skipped: 2 });
    expect(tenthsSum(p)).toBe(1000);
    expect(p.label).toBe("dry run: 10 would be sent, 2 skipped");
  });

  it("an empty replay has no shares at all and says so", () => {
    const p = replayProgress({ ...base, status: "done" });
    expect(p.segments.every((s) => s.percent === 0 && s.count === 0)).toBe(true);
    expect(p.percentFinished).toBe(0);
    expect(p.label).toBe("no dead letters in this replay");
  });

  it("counts more than the total (a replay row behind its items) widen the bar instead of overflowing it", () => {
    const p = replayProgress({ ...base, total: 5, processed: 6, remaining: 2 });
    expect(p.total).toBe(8);
    expect(tenthsSum(p)).toBe(1000);
  });

  it("in flight never exceeds what is remaining, and bad numbers count as none", () => {
    const p = replayProgress({ ...base, total: 10, sent: 10, confirmed: 2, processed: 2, remaining: 3, skipped: 5 });
    expect(counts(p)).toMatchObject({ sentUnconfirmed: 3, remaining: 0 });
    const q = replayProgress({ ...base, total: 2, remaining: Number.NaN, processed: -4, skipped: 2 });
    expect(counts(q)).toMatchObject({ processed: 0, remaining: 0, skipped: 2 });
  });
});

describe("tenthsOf", () => {
  it("gives leftover tenths to the largest remainders, earlier first on ties", () => {
    expect(tenthsOf([1, 1, 1])).toEqual([334, 333, 333]);
    expect(tenthsOf([2, 1])).toEqual([667, 333]);
    expect(tenthsOf([0, 0])).toEqual([0, 0]);
    expect(tenthsOf([5])).toEqual([1000]);
  });
});

describe("isActive", () => {
  it("is true exactly while a replay may still change", () => {
    expect(replayStatuses.filter(isActive)).toEqual(["pending", "running", "paused"]);
  });
});

describe("sendRate", () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  it("is sent over the time since the start, while running", () => {
    expect(sendRate({ sent: 500, startedAt: new Date(t0).toISOString(), finishedAt: null }, t0 + 10_000)).toBe(50);
  });
  it("uses the end once finished", () => {
    expect(sendRate({ sent: 300, startedAt: new Date(t0).toISOString(), finishedAt: new Date(t0 + 4_000).toISOString() }, t0 + 999_000)).toBe(75);
  });
  it("is null before the start and within the first second", () => {
    expect(sendRate({ sent: 0, startedAt: null, finishedAt: null }, t0)).toBeNull();
    expect(sendRate({ sent: 3, startedAt: new Date(t0).toISOString(), finishedAt: null }, t0 + 500)).toBeNull();
    expect(sendRate({ sent: 3, startedAt: "not a time", finishedAt: null }, t0)).toBeNull();
  });
});

describe("stillChanging", () => {
  const done = { status: "done" as const, notObserved: 3, finishedAt: "2026-01-01T00:00:00.000Z" };
  const t = Date.parse(done.finishedAt);
  it("keeps a finished replay's page polling while confirmed items wait for their consumer's span, for a while", () => {
    expect(stillChanging(done, t + 5_000)).toBe(true);
    expect(stillChanging(done, t + settleWatchMs + 1)).toBe(false);
    expect(stillChanging({ ...done, notObserved: 0 }, t + 5_000)).toBe(false);
    expect(stillChanging({ ...done, status: "running", finishedAt: null }, t + settleWatchMs * 10)).toBe(true);
  });
});
