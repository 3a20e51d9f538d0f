import { describe, expect, it } from "vitest";
import { isStale, staleAfterMs } from "./staleness";

describe("staleness", () => {
  it("is three intervals, never under 30 s", () => {
    expect(staleAfterMs(1000)).toBe(30_000);
    expect(staleAfterMs(10_000)).toBe(30_000);
    expect(staleAfterMs(15_000)).toBe(45_000);
    expect(staleAfterMs(60_000)).toBe(180_000);
  });

  it("says a figure is stale once it is older than that, and a missing one always", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(isStale(new Date(now - 30_000), 5000, now)).toBe(false);
    expect(isStale(new Date(now - 30_001), 5000, now)).toBe(true);
    expect(isStale(now - 44_000, 15_000, now)).toBe(false);
    expect(isStale(now - 46_000, 15_000, now)).toBe(true);
    expect(isStale(null, 5000, now)).toBe(true);
    expect(isStale(undefined, 5000, now)).toBe(true);
    // a figure from the future (a clock ahead) is not stale
    expect(isStale(now + 60_000, 5000, now)).toBe(false);
  });
});
