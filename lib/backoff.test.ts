import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

const opts = { baseMs: 100, maxMs: 1000, jitter: 0.5 };

describe("backoffDelay", () => {
  it("doubles per attempt up to the cap", () => {
    const top = (a: number) => backoffDelay(a, opts, () => 1);
    expect([0, 1, 2, 3, 4, 10].map(top)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("randomises within the jitter fraction", () => {
    expect(backoffDelay(3, opts, () => 0)).toBe(400);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(600);
  });
});
