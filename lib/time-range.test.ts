import { describe, expect, it } from "vitest";
import { defaultTimeRange, isTimeRange, rangeSpansDays, timeRangeMs, timeRangeNames, timeRangeOf } from "./time-range";

describe("time ranges", () => {
  it("is one list, shortest first, with the default in it", () => {
    expect(timeRangeNames).toEqual(["15m", "1h", "6h", "24h", "7d"]);
    const ms = timeRangeNames.map(timeRangeMs);
    expect(ms).toEqual([...ms].sort((a, b) => a - b));
    expect(ms).toEqual([900_000, 3_600_000, 21_600_000, 86_400_000, 604_800_000]);
    expect(timeRangeNames).toContain(defaultTimeRange);
  });

  it("reads a URL's range, falling back to the default for none or an unknown one", () => {
    expect(timeRangeOf("6h")).toBe("6h");
    for (const v of [null, undefined, "", "2h", "toString", "__proto__", "1H"]) expect(timeRangeOf(v), String(v)).toBe("1h");
    expect(isTimeRange("constructor")).toBe(false);
  });

  it("says which ranges need the day on their times", () => {
    expect(timeRangeNames.filter(rangeSpansDays)).toEqual(["24h", "7d"]);
  });
});
