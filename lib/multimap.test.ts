import { describe, expect, it } from "vitest";
import { pushTo } from "./multimap";

describe("pushTo", () => {
  it("keeps each key's values in the order they came, in one list per key", () => {
    const m = new Map<string, number[]>();
    for (let i = 0; i < 5; i++) pushTo(m, i % 2 ? "odd" : "even", i);
    expect([...m]).toEqual([
      ["even", [0, 2, 4]],
      ["odd", [1, 3]],
    ]);
  });
});
