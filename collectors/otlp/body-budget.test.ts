import { afterEach, describe, expect, it, vi } from "vitest";
import { BodyBudget, RATE_WINDOW_MS, watchRate } from "./body-budget";

describe("BodyBudget", () => {
  afterEach(() => vi.useRealTimers());

  it("makes room for a body by evicting the one idle the longest, never refusing the body that needs it", () => {
    vi.useFakeTimers();
    const budget = new BodyBudget(100);
    const evicted: string[] = [];
    const open = (name: string) => {
      const r = budget.open(() => {
        evicted.push(name);
        r.close();
      });
      return r;
    };
    const stalledFirst = open("stalled-first");
    expect(stalledFirst.take(40)).toBe(true);
    vi.advanceTimersByTime(1000);
    const stalledLater = open("stalled-later");
    expect(stalledLater.take(40)).toBe(true);
    vi.advanceTimersByTime(1000);
    const busy = open("busy");
    expect(busy.take(10)).toBe(true);
    vi.advanceTimersByTime(500);
    // the first stalled body made progress last at 0 ms: it goes; the budget then has room
    const fresh = open("fresh");
    expect(fresh.take(30)).toBe(true);
    expect(evicted).toEqual(["stalled-first"]);
    expect(budget.held).toBe(80);
    // a body sending again is not idle: the other stalled one goes next, not it
    vi.advanceTimersByTime(100);
    expect(busy.take(5)).toBe(true);
    expect(fresh.take(40)).toBe(true);
    expect(evicted).toEqual(["stalled-first", "stalled-later"]);
    expect(budget.held).toBe(85);
    // closing gives the bytes back, twice is harmless
    fresh.close();
    fresh.close();
    expect(budget.held).toBe(15);
  });

  it("refuses only a body that alone is over the budget", () => {
    const budget = new BodyBudget(100);
    const other = budget.open(() => other.close());
    expect(other.take(60)).toBe(true);
    const huge = budget.open(() => huge.close());
    expect(huge.take(101)).toBe(false);
    // and nobody was evicted for it in vain
    expect(budget.held).toBe(60);
    expect(huge.take(100)).toBe(true);
    expect(budget.held).toBe(100);
  });
});

describe("watchRate", () => {
  afterEach(() => vi.useRealTimers());

  it("calls a body slow once a window passes with fewer bytes than the least rate, not before", () => {
    vi.useFakeTimers();
    let received = 0;
    const slow: string[] = [];
    const stop = watchRate(1000, () => received, (why) => slow.push(why));
    received = 2500; // 2.5 KB in the first 2 s: enough
    vi.advanceTimersByTime(RATE_WINDOW_MS);
    expect(slow).toEqual([]);
    received += 1999; // under 2 KB in the next window
    vi.advanceTimersByTime(RATE_WINDOW_MS);
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatch(/slower than 1000 bytes\/s \(1999 bytes in 2000 ms\)/);
    vi.advanceTimersByTime(RATE_WINDOW_MS * 3);
    expect(slow).toHaveLength(1);
    stop();
  });

  it("does nothing with a least rate of 0, or once stopped", () => {
    vi.useFakeTimers();
    const slow: string[] = [];
    watchRate(0, () => 0, (why) => slow.push(why));
    const stop = watchRate(1000, () => 0, (why) => slow.push(why));
    stop();
    vi.advanceTimersByTime(RATE_WINDOW_MS * 5);
    expect(slow).toEqual([]);
  });
});
