import { describe, expect, it } from "vitest";
import { filterGroups, formatDuration, formatDurationShort, isInactive, ownerOf, sortGroups, type GroupSummary } from "./view";

const g = (groupId: string, status: GroupSummary["status"], totalLag: number | null, maxLagSeconds: number | null, etaSeconds: number | null = null): GroupSummary => ({
  cluster: "c", groupId, state: "Stable", status, totalLag, maxLagSeconds, etaSeconds, consumeRate: null, produceRate: null, members: 1, evaluatedAt: "", error: null, stale: false, uncommittedBacklog: 0, emptySince: null, inactive: false,
});

describe("sortGroups", () => {
  const groups = [g("a", "OK", 5, 10), g("b", "STOP", 1, 1), g("c", "WARN", 100, 50, 30), g("d", "WARN", 10, 500, null)];
  it("puts the worst first by default", () => {
    expect(sortGroups(groups).map((x) => x.groupId)).toEqual(["b", "d", "c", "a"]);
  });
  it("sorts by lag and by ETA, with 'not catching up' last", () => {
    expect(sortGroups(groups, "lag", "desc").map((x) => x.groupId)).toEqual(["c", "d", "a", "b"]);
    expect(sortGroups(groups, "eta", "asc").map((x) => x.groupId)).toEqual(["c", "a", "b", "d"]);
  });
});

describe("inactive groups", () => {
  it("an abandoned group at STOP is left out unless asked for, and then sorts after a live one falling behind", () => {
    const abandoned = { ...g("old", "STOP", 9_000, 90_000), members: 0, emptySince: "2026-11-01T00:00:00.000Z", inactive: true };
    const slow = g("slow", "WARN", 500, 840);
    expect(filterGroups([abandoned, slow], {}).map((x) => x.groupId)).toEqual(["slow"]);
    expect(sortGroups(filterGroups([abandoned, slow], { inactive: true })).map((x) => x.groupId)).toEqual(["slow", "old"]);
    expect(sortGroups([abandoned, slow], "lag", "desc").map((x) => x.groupId)).toEqual(["slow", "old"]);
  });
  it("is inactive only past the limit, and never while it has members", () => {
    const t = Date.parse("2026-12-01T12:00:00Z");
    expect(isInactive(null, 3600_000, t)).toBe(false);
    expect(isInactive(new Date(t - 3599_000), 3600_000, t)).toBe(false);
    expect(isInactive(new Date(t - 3601_000), 3600_000, t)).toBe(true);
  });
});

describe("filterGroups", () => {
  it("filters by text and status", () => {
    const groups = [g("orders-a", "OK", 0, 0), g("orders-b", "STALL", 3, 3), g("pay", "STALL", 1, 1)];
    expect(filterGroups(groups, { q: "ORDERS", status: ["STALL"] }).map((x) => x.groupId)).toEqual(["orders-b"]);
  });
});

describe("formatting", () => {
  it("reads durations as an engineer would", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(42.4)).toBe("42 s");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(7500)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400 + 7200)).toBe("3 d 2 h");
    expect(formatDurationShort(1350)).toBe("23 min");
  });
  it("finds the member owning a partition", () => {
    const members = [{ memberId: "m1", clientId: "svc", host: "10.0.0.1", assignment: { t: [0, 2] } }];
    expect(ownerOf(members, "t", 2)).toEqual({ memberId: "m1", clientId: "svc", host: "10.0.0.1" });
    expect(ownerOf(members, "t", 1)).toBeNull();
  });
});
