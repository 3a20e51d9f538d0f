import { describe, expect, it } from "vitest";
import { hasRole, isRole, roles } from "./roles";

describe("roles", () => {
  it("orders viewer < operator < admin", () => {
    expect(hasRole("admin", "operator")).toBe(true);
    expect(hasRole("operator", "operator")).toBe(true);
    expect(hasRole("operator", "admin")).toBe(false);
    expect(hasRole("viewer", "operator")).toBe(false);
    for (const r of roles) expect(hasRole(r, "viewer")).toBe(true);
  });
  it("knows its own names only", () => {
    expect(isRole("admin")).toBe(true);
    expect(isRole("root")).toBe(false);
  });
});
