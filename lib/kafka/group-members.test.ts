import { describe, expect, it } from "vitest";
import { foreignMembers } from "./group-members";

const m = (memberId: string, clientHost = "/10.0.0.2") => ({ memberId, clientId: "switchyard-dlt", clientHost });

describe("foreignMembers", () => {
  it("reports another member only once it has stayed afterMs, never this process's own", () => {
    const seen = new Map<string, number>();
    expect(foreignMembers([m("own"), m("other")], "own", seen, 1_000, 25_000)).toEqual([]);
    expect(foreignMembers([m("own"), m("other")], "own", seen, 25_999, 25_000)).toEqual([]);
    expect(foreignMembers([m("own"), m("other")], "own", seen, 26_000, 25_000)).toEqual([{ clientId: "switchyard-dlt", clientHost: "/10.0.0.2" }]);
    expect(foreignMembers([m("own")], "own", seen, 27_000, 25_000)).toEqual([]);
  });

  it("forgets a member that left (a killed process's session ran out): one coming back later starts again", () => {
    const seen = new Map<string, number>();
    foreignMembers([m("own"), m("ghost")], "own", seen, 0, 25_000);
    expect(foreignMembers([m("own")], "own", seen, 12_000, 25_000)).toEqual([]);
    expect(seen.has("ghost")).toBe(false);
    expect(foreignMembers([m("own"), m("ghost")], "own", seen, 30_000, 25_000)).toEqual([]);
    expect(foreignMembers([m("own"), m("ghost")], "own", seen, 55_000, 25_000)).toHaveLength(1);
  });

  it("with no id of its own (not joined yet), every member counts as another once it has stayed", () => {
    const seen = new Map<string, number>();
    expect(foreignMembers([m("a"), m("b")], null, seen, 0, 25_000)).toEqual([]);
    expect(foreignMembers([m("a"), m("b")], null, seen, 25_000, 25_000)).toHaveLength(2);
  });
});
