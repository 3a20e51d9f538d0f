import { describe, expect, it } from "vitest";
import { batchSize, Pacer } from "./pace";

/** A clock that only moves when the pacer waits: the time it took is what the pacer asked for. */
function fakeClock() {
  let t = 0;
  return { now: () => t, wait: async (ms: number) => void (t += ms), elapsed: () => t };
}

describe("Pacer", () => {
  it("sends at the rate: 100 messages at 20/s take about 5 s", async () => {
    const c = fakeClock();
    const p = new Pacer(20, c.now, c.wait);
    for (let i = 0; i < 100; i++) await p.take();
    expect(c.elapsed()).toBeGreaterThanOrEqual(4900);
    expect(c.elapsed()).toBeLessThanOrEqual(5000);
  });

  it("saves up no burst after a pause", async () => {
    const c = fakeClock();
    const p = new Pacer(10, c.now, c.wait);
    await p.take();
    await c.wait(10_000); // paused for 10 s
    const before = c.elapsed();
    for (let i = 0; i < 11; i++) await p.take();
    expect(c.elapsed() - before).toBeGreaterThanOrEqual(990);
  });

  it("holds a high rate without sleeping for each message", async () => {
    let sleeps = 0;
    const c = fakeClock();
    const p = new Pacer(20_000, c.now, async (ms) => {
      sleeps++;
      await c.wait(ms);
    });
    let waits = 0;
    for (let i = 0; i < 20_000; i++) {
      const w = p.take();
      if (w) {
        waits++;
        await w;
      }
    }
    expect(c.elapsed()).toBeGreaterThan(990);
    expect(sleeps).toBeLessThan(300);
    // nothing to await for a message that may go now (a sender's loop need not yield for each)
    expect(waits).toBe(sleeps);
  });
});

describe("batchSize", () => {
  it("is a fifth of a second of sending, at least one and at most 2,000", () => {
    expect(batchSize(1)).toBe(1);
    expect(batchSize(20)).toBe(4);
    expect(batchSize(50)).toBe(10);
    expect(batchSize(1_000_000)).toBe(2000);
  });
});
