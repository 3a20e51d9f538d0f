import { describe, expect, it } from "vitest";
import { safeNextPath } from "./safe-next";

describe("safeNextPath", () => {
  it("keeps a path of the dashboard with its query", () => {
    expect(safeNextPath("/kafka/local/orders?range=6h")).toBe("/kafka/local/orders?range=6h");
  });
  it.each(["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "", null, "/sign-in?next=/x", "/a\nb"])("refuses %j", (v) => {
    expect(safeNextPath(v)).toBe("/");
  });
});
