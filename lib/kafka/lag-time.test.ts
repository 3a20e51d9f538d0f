import { describe, expect, it } from "vitest";
import { interpolateTime, OffsetTimeTable } from "./lag-time";

describe("interpolateTime", () => {
  const pts = [
    { offset: 100, timeMs: 10_000 },
    { offset: 200, timeMs: 20_000 },
    { offset: 400, timeMs: 25_000 },
  ];
  it("interpolates between the bracketing points", () => {
    expect(interpolateTime(pts, 150)).toBe(15_000);
    expect(interpolateTime(pts, 300)).toBe(22_500);
  });
  it("extrapolates below the table from its first two points", () => {
    expect(interpolateTime(pts, 50)).toBe(5_000);
  });
  it("answers the newest time at or past the end", () => {
    expect(interpolateTime(pts, 400)).toBe(25_000);
    expect(interpolateTime(pts, 999)).toBe(25_000);
  });
  it("needs two points", () => {
    expect(interpolateTime(pts.slice(0, 1), 100)).toBeNull();
  });
});

describe("OffsetTimeTable", () => {
  it("keeps the first time an offset was seen, caps its size, and restarts when offsets go back", () => {
    const t = new OffsetTimeTable(3);
    t.add(10, 1);
    t.add(10, 2);
    t.add(20, 3);
    t.add(30, 4);
    t.add(40, 5);
    expect(t.size).toBe(3);
    expect(t.timeOf(25)).toBe(3.5);
    t.add(5, 6); // topic recreated
    expect(t.size).toBe(1);
    expect(t.timeOf(5)).toBeNull();
  });
});
