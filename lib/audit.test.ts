import { describe, expect, it } from "vitest";
import { auditTargetHref } from "./audit";

describe("auditTargetHref", () => {
  it("links a dead letter and a replay by id, and nothing else", () => {
    expect(auditTargetHref("dead_letter", "42")).toBe("/dead-letters/42");
    expect(auditTargetHref("replay", "7")).toBe("/replays/7");
    expect(auditTargetHref("dead_letter", "../../x")).toBeNull();
    expect(auditTargetHref("dead_letter", null)).toBeNull();
    expect(auditTargetHref("api", "//evil.example/")).toBeNull();
    expect(auditTargetHref("session", "vera")).toBeNull();
  });
});
