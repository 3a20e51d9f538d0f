import { describe, expect, it } from "vitest";
import { analysisQuery } from "./contracts/analysis";
import { flowQuery } from "./contracts/flows";
import { workflowListQuery } from "./contracts/workflows";

const issues = (schema: typeof flowQuery | typeof analysisQuery, q: Record<string, string>) => {
  const r = schema.safeParse(q);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("from/to ranges", () => {
  it("bound the range when only `from` is given (to is now), as when both are", () => {
    const day = 86_400_000;
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    expect(issues(flowQuery, { from: "1970-01-01T00:00:00Z" })).toEqual(["from: the range may be at most 31 days (no `to` means now)"]);
    expect(issues(analysisQuery, { from: ago(8 * day) })).toEqual(["from: the range may be at most 7 days (no `to` means now)"]);
    expect(issues(analysisQuery, { from: ago(6 * day) })).toEqual([]);
    expect(issues(flowQuery, { from: ago(30 * day) })).toEqual([]);
    expect(issues(flowQuery, { from: new Date(Date.now() + 60_000).toISOString() })).toEqual(["from: `from` must be in the past (no `to` means now)"]);
    expect(issues(flowQuery, { from: "2026-11-01T00:00:00Z", to: "2026-12-02T01:00:00Z" })).toEqual(["from: the range may be at most 31 days"]);
    expect(issues(flowQuery, { from: "2026-12-02T01:00:00Z", to: "2026-12-01T01:00:00Z" })).toEqual(["from: `from` must be before `to`"]);
    expect(issues(flowQuery, { to: "2026-12-01T01:00:00Z" })).toEqual([]);
  });
});

describe("a workflow's age (olderThan)", () => {
  it("is a duration up to a century, each refusal naming the parameter", () => {
    const issues = (olderThan: string) => {
      const r = workflowListQuery.safeParse({ olderThan });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(issues("30s")).toEqual([]);
    expect(issues("36500d")).toEqual([]);
    expect(issues("3000000d")).toEqual(["olderThan: may be at most 36500d (a century)"]);
    expect(issues("5 weeks")[0]).toMatch(/^olderThan: must be a duration/);
  });
});
