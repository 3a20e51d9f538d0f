import { describe, expect, it } from "vitest";
import { formatTick, prepareLagSeries, sparkline } from "./lag-series";

const now = Date.parse("2026-01-01T12:00:00Z");

describe("prepareLagSeries", () => {
  it("keeps points inside the range on a fixed axis", () => {
    const d = prepareLagSeries(
      [
        { t: new Date(now - 20 * 60_000), totalLag: 1, maxLagSeconds: 1 },
        { t: new Date(now - 10 * 60_000).toISOString(), totalLag: 5, maxLagSeconds: 30 },
        { t: new Date(now - 60_000), totalLag: 7, maxLagSeconds: null },
      ],
      "15m",
      now,
    );
    expect(d.domain).toEqual([now - 15 * 60_000, now]);
    expect(d.points.map((p) => p.lag)).toEqual([5, 7]);
    expect(d.points[1]!.lagSeconds).toBeNull();
    expect(d.ticks).toHaveLength(7);
    expect(d.ticks[0]).toBe(now - 15 * 60_000);
  });

  it("buckets a long range down to at most maxPoints, keeping the worst value of each bucket", () => {
    const history = Array.from({ length: 7 * 24 * 60 }, (_, i) => ({ t: new Date(now - i * 60_000), totalLag: i % 10, maxLagSeconds: i % 10 }));
    const d = prepareLagSeries(history, "7d", now, 100);
    expect(d.points.length).toBeLessThanOrEqual(101);
    // every full bucket spans 100 minutes, so it holds a 9; the edge buckets may be partial
    expect(d.points.slice(1, -1).every((p) => p.lag === 9)).toBe(true);
  });
});

describe("formatTick and sparkline", () => {
  it("labels ticks by range", () => {
    expect(formatTick(now, "1h")).toBe("12:00");
    expect(formatTick(now, "7d")).toBe("01-01 12:00");
  });
  it("thins a sparkline to its last value of each step", () => {
    expect(sparkline([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(sparkline([1, 2, 3, 4, 5, 6], 3)).toEqual([2, 4, 6]);
  });
});
