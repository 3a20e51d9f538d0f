import { describe, expect, it } from "vitest";
import { maxChartNames, otherNames, stackColour, stackedSeries, stackLabel } from "./view";

const at = (m: number) => `2026-12-01T10:0${m}:00.000Z`;

describe("stackedSeries", () => {
  it("by state: one row per bucket, oldest first, every state present", () => {
    const { keys, rows } = stackedSeries([
      { t: at(1), name: "order", state: "pending", count: 2 },
      { t: at(0), name: "order", state: "completed", count: 5 },
      { t: at(1), name: "payment", state: "dead_lettered", count: 1 },
      { t: at(1), name: "payment", state: "pending", count: 3 },
    ]);
    expect(keys).toContain("compensated");
    expect(rows.map((r) => [r.t, r.completed, r.pending, r.dead_lettered, r.failed])).toEqual([
      [Date.parse(at(0)), 5, 0, 0, 0],
      [Date.parse(at(1)), 0, 5, 1, 0],
    ]);
  });

  it("by name: a stack per name, most workflows first, states added up", () => {
    const { keys, rows } = stackedSeries(
      [
        { t: at(0), name: "payment", state: "completed", count: 1 },
        { t: at(0), name: "order", state: "completed", count: 4 },
        { t: at(1), name: "order", state: "failed", count: 2 },
        { t: at(1), name: "payment", state: "pending", count: 3 },
      ],
      "name",
    );
    expect(keys).toEqual(["order", "payment"]);
    expect(rows).toEqual([
      { t: Date.parse(at(0)), order: 4, payment: 1 },
      { t: Date.parse(at(1)), order: 2, payment: 3 },
    ]);
  });

  it("by name: past the limit the smallest names are one stack, and no count is lost", () => {
    const series = Array.from({ length: 12 }, (_, i) => ({ t: at(0), name: i === 1 ? "other names" : `w${String(i).padStart(2, "0")}`, state: "completed" as const, count: 100 - i }));
    const { keys, rows } = stackedSeries(series, "name");
    expect(keys).toHaveLength(maxChartNames);
    expect(keys.at(-1)).toBe(otherNames);
    expect(keys.slice(0, 3)).toEqual(["w00", "other names", "w02"]);
    expect(stackLabel("name", keys.at(-1)!)).toBe("other names");
    const total = Object.entries(rows[0]!).reduce((a, [k, v]) => (k === "t" ? a : a + v), 0);
    expect(total).toBe(series.reduce((a, s) => a + s.count, 0));
    // a workflow named "other names" is still a name of its own (keys stay distinct)
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("colours states by state and names by place, the rest grey", () => {
    expect(stackColour("state", "failed", 0)).toBe("#da3633");
    expect(stackColour("name", "order", 0)).not.toBe(stackColour("name", "payment", 1));
    expect(stackColour("name", otherNames, 3)).toBe("#6e7681");
  });
});
