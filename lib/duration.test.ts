import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration";

describe("parseDuration", () => {
  it("reads seconds and each unit", () => {
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration(" 1.5h ")).toBe(5_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
  });
  it("refuses what is no positive duration", () => {
    for (const s of ["", "0", "0s", "-5m", "5 minutes", "1e3", "0x10", "5w", "m", "5m\u0000", "1".repeat(12)]) expect(parseDuration(s), JSON.stringify(s)).toBeNull();
  });
});
