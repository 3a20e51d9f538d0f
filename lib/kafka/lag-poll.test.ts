import { describe, expect, it } from "vitest";
import type { PartitionSample } from "./group-health";
import { applyLagSeconds, evaluateGroups, exactLagTargets, partitionRows, positionKey, topicsOfGroups, tpKey, unconsumedOffset, type CommittedOffsets, type GroupMember } from "./lag-poll";

const committed: CommittedOffsets[] = [
  { groupId: "g", topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "7" }, { partition: 1, offset: "-1" }] }, { topic: "gone", partitions: [{ partition: 0, offset: "3" }] }] },
  { groupId: "idle", topics: [{ topic: "never", partitions: [{ partition: 0, offset: "-1" }] }] },
];
const member: GroupMember = { memberId: "m1", clientId: "c", host: "h", assignment: { orders: [1], payments: [0] } };
const members = new Map([["g", [member]]]);
const offsets = new Map([
  [tpKey("orders", 0), { low: 0, high: 10 }],
  [tpKey("orders", 1), { low: 4, high: 9 }],
  [tpKey("payments", 0), { low: 0, high: 0 }],
]);
const parts = new Map([
  ["orders", [0, 1]],
  ["payments", [0]],
]);

describe("lag poll arithmetic", () => {
  it("finds a group's topics from its commits and its members' assignments, not from offsets it never committed", () => {
    const t = topicsOfGroups(committed, members);
    expect([...t.get("g")!].sort()).toEqual(["gone", "orders", "payments"]);
    expect([...t.get("idle")!]).toEqual([]);
  });

  it("computes lag per partition, marks owned partitions, and keeps a deleted topic's offsets without lag", () => {
    const rows = partitionRows(committed, members, topicsOfGroups(committed, members), new Set(["orders", "payments"]), parts, offsets);
    const by = (topic: string, p: number) => rows.find((r) => r.topic === topic && r.partition === p)!;
    expect(by("orders", 0)).toMatchObject({ committedOffset: 7, endOffset: 10, lag: 3, lagSeconds: null, owned: false });
    expect(by("orders", 1)).toMatchObject({ committedOffset: null, lag: null, note: "no committed offset", owned: true, low: 4 });
    expect(by("payments", 0)).toMatchObject({ lag: null, owned: true });
    expect(by("gone", 0)).toMatchObject({ committedOffset: 3, endOffset: null, note: "topic deleted" });
    expect(rows).toHaveLength(4);
  });

  it("gives exact lag to the partitions furthest behind within the budget and interpolates the rest", () => {
    const rows = partitionRows(
      [{ groupId: "g", topics: [{ topic: "t", partitions: [0, 1, 2].map((partition) => ({ partition, offset: String(partition * 10) })) }] }],
      new Map(),
      new Map([["g", new Set(["t"])]]),
      new Set(["t"]),
      new Map([["t", [0, 1, 2]]]),
      new Map([0, 1, 2].map((p) => [tpKey("t", p), { low: p === 0 ? 5 : 0, high: 100 }])),
    );
    const exact = exactLagTargets(rows, 2);
    expect(exact.map((r) => r.partition)).toEqual([0, 1]);
    // the oldest record left when the committed offset fell below the log start
    expect(unconsumedOffset(exact[0]!)).toBe(5);
    const now = 1_000_000;
    applyLagSeconds(rows, new Set(exact), new Map([[positionKey("t", 0, 5), now - 30_000]]), (_t, p) => (p === 2 ? now - 12_000 : null), now);
    expect(rows.map((r) => [r.lagMethod, r.lagSeconds])).toEqual([
      ["exact", 30],
      ["none", null], // chosen for exact, no record read, nothing to interpolate from
      ["interpolated", 12],
    ]);
  });

  it("evaluates each group over its window, records a change only when the status changes, and forgets gone partitions", () => {
    const windows = new Map<string, PartitionSample[]>([["old\u0000x", [{ timeMs: 0, committed: 1, end: 1 }]]]);
    const lastStatus = new Map<string, string>();
    const states = new Map([["g", "Stable"]]);
    const run = (nowMs: number, committedOffset: number, end: number) =>
      evaluateGroups({
        groupIds: ["g", "empty"],
        rows: [{ groupId: "g", topic: "t", partition: 0, committedOffset, endOffset: end, lag: end - committedOffset, lagSeconds: null, lagMethod: "none", status: "OK", low: 0, owned: true }],
        windows,
        windowSamples: 3,
        intervalMs: 1000,
        nowMs,
        lastStatus,
        states,
        members: new Map([["g", [member]]]),
      });
    const first = run(1000, 5, 10);
    expect(first.changes.map((c) => [c.groupId, c.status])).toEqual([
      ["g", "OK"],
      ["empty", "OK"],
    ]);
    expect(windows.has("old\u0000x")).toBe(false);
    expect(first.groups.find((g) => g.groupId === "empty")).toMatchObject({ state: "Unknown", totalLag: null, members: [] });
    run(2000, 5, 20);
    const third = run(3000, 5, 30);
    // owned, lag > 0 and the committed offset never moved across the whole window
    expect(third.groups[0]).toMatchObject({ groupId: "g", status: "STALL", totalLag: 25, state: "Stable" });
    expect(third.changes).toEqual([{ groupId: "g", status: "STALL", reason: expect.stringContaining("t[0]") }]);
    expect(run(4000, 5, 30).changes).toEqual([]);
    expect(windows.get(`g\u0000${tpKey("t", 0)}`)).toHaveLength(3);
  });

  it("a group with no members and lag is STOP at once (no active members); a partition never committed on counts no lag but its backlog, apart", () => {
    const rows = () => [
      { groupId: "idle", topic: "t", partition: 0, committedOffset: 5, endOffset: 20, lag: 15, lagSeconds: null, lagMethod: "none" as const, status: "OK" as const, low: 0, owned: false },
      { groupId: "idle", topic: "t", partition: 1, committedOffset: null, endOffset: 7, lag: null, lagSeconds: null, lagMethod: "none" as const, status: "OK" as const, low: 0, owned: false, note: "no committed offset" },
      { groupId: "idle", topic: "t", partition: 2, committedOffset: null, endOffset: 12, lag: null, lagSeconds: null, lagMethod: "none" as const, status: "OK" as const, low: 3, owned: false, note: "no committed offset" },
      { groupId: "caught", topic: "t", partition: 0, committedOffset: 20, endOffset: 20, lag: 0, lagSeconds: 0, lagMethod: "exact" as const, status: "OK" as const, low: 0, owned: false },
      { groupId: "busy", topic: "t", partition: 0, committedOffset: 5, endOffset: 20, lag: 15, lagSeconds: null, lagMethod: "none" as const, status: "OK" as const, low: 0, owned: false },
    ];
    const lastStatus = new Map<string, string>();
    const input = (nowMs: number, r = rows()) => ({
      groupIds: ["idle", "caught", "busy"],
      rows: r,
      windows: new Map<string, PartitionSample[]>(),
      windowSamples: 5,
      intervalMs: 1000,
      nowMs,
      lastStatus,
      states: new Map([["idle", "Empty"], ["caught", "Empty"], ["busy", "PreparingRebalance"]]),
      members: new Map<string, GroupMember[]>(),
    });
    const r = rows();
    const { groups, changes } = evaluateGroups(input(1000, r));
    // the first poll: no window needed
    expect(groups.find((g) => g.groupId === "idle")).toMatchObject({ status: "STOP", totalLag: 15, uncommittedBacklog: 7 + 9 });
    expect(changes.find((c) => c.groupId === "idle")).toEqual({ groupId: "idle", status: "STOP", reason: expect.stringMatching(/^no active members/) });
    expect(r.map((x) => x.status).slice(0, 3)).toEqual(["STOP", "OK", "OK"]);
    // no lag, nothing to stop; a group between members (a rebalance) waits for its window as before
    expect(groups.find((g) => g.groupId === "caught")).toMatchObject({ status: "OK", uncommittedBacklog: 0 });
    expect(groups.find((g) => g.groupId === "busy")).toMatchObject({ status: "OK" });
  });
});

