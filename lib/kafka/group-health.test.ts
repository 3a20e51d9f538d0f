import { describe, expect, it } from "vitest";
import { evaluatePartition, groupRates, worstStatus, type PartitionSample } from "./group-health";

const win = (rows: [number | null, number][], stepMs = 10_000): PartitionSample[] =>
  rows.map(([committed, end], i) => ({ timeMs: i * stepMs, committed, end }));
const W = 40_000;

describe("evaluatePartition (Burrow's rules)", () => {
  it("OK when caught up or the lag touched zero in the window", () => {
    expect(evaluatePartition(win([[10, 10], [20, 25], [30, 30]]), true, W).status).toBe("OK");
    expect(evaluatePartition(win([[10, 10], [10, 15], [12, 20]]), true, W).status).toBe("OK");
  });
  it("OK while consuming with lag that does not only grow", () => {
    expect(evaluatePartition(win([[0, 50], [20, 60], [50, 70], [60, 75]]), true, W).status).toBe("OK");
  });
  it("WARN when lag grows across the window while offsets move", () => {
    const r = evaluatePartition(win([[0, 10], [5, 20], [10, 30], [15, 40]]), true, W);
    expect(r).toMatchObject({ status: "WARN", reason: "lag grew from 10 to 25" });
  });
  it("STALL when a consumer owns the partition but its offset does not move", () => {
    expect(evaluatePartition(win([[5, 10], [5, 10], [5, 12], [5, 12]]), true, W).status).toBe("STALL");
  });
  it("STOP when nobody consumes and nothing moved for longer than the window", () => {
    expect(evaluatePartition(win([[5, 10], [5, 10], [5, 10], [5, 10], [5, 10]]), false, W).status).toBe("STOP");
    // not yet a full window of standing still
    expect(evaluatePartition(win([[5, 10], [5, 10], [5, 10]]), false, W).status).toBe("OK");
  });
  it("REWIND when the committed offset goes back, whatever else holds", () => {
    expect(evaluatePartition(win([[50, 60], [55, 60], [20, 60]]), true, W)).toMatchObject({ status: "REWIND", reason: "committed offset went back from 55 to 20" });
  });
  it("never calls a partition without a committed offset lagging", () => {
    expect(evaluatePartition(win([[null, 10], [null, 20], [null, 30]]), false, W)).toMatchObject({ status: "OK", reason: "no committed offset" });
  });
  it("waits for the window to fill", () => {
    expect(evaluatePartition(win([[5, 10], [5, 20]]), true, W).status).toBe("OK");
  });
});

describe("worstStatus", () => {
  it("orders OK < WARN < REWIND < STALL < STOP", () => {
    expect(worstStatus([])).toBe("OK");
    expect(worstStatus(["OK", "WARN", "OK"])).toBe("WARN");
    expect(worstStatus(["REWIND", "WARN"])).toBe("REWIND");
    expect(worstStatus(["STALL", "REWIND"])).toBe("STALL");
    expect(worstStatus(["STALL", "STOP", "OK"])).toBe("STOP");
  });
});

describe("groupRates", () => {
  it("computes consume and produce rates and an ETA when catching up", () => {
    // 30 s: consumed 300, produced 150 → net 5/s; lag 100 → 20 s
    const r = groupRates([win([[0, 100], [100, 150], [300, 250]], 15_000)], 100);
    expect(r.consumeRate).toBe(10);
    expect(r.produceRate).toBe(5);
    expect(r.etaSeconds).toBe(20);
  });
  it("gives no ETA when not catching up, and 0 when caught up", () => {
    expect(groupRates([win([[0, 100], [10, 200]])], 190).etaSeconds).toBeNull();
    expect(groupRates([win([[100, 100], [200, 200]])], 0).etaSeconds).toBe(0);
  });
  it("sums partitions", () => {
    const r = groupRates([win([[0, 0], [10, 10]]), win([[0, 0], [30, 30]])], 0);
    expect(r.consumeRate).toBe(4);
  });
});
