import { describe, expect, it } from "vitest";
import { pgJson, pgText, pgUnsafe } from "./pg-safe";

describe("pgText", () => {
  it("replaces NUL and lone surrogates, leaves the rest alone", () => {
    expect(pgText("a\u0000b")).toBe("a\ufffdb");
    expect(pgText("x\ud800y")).toBe("x\ufffdy");
    expect(pgText("\udc00")).toBe("\ufffd");
    expect(pgText("😀 ok")).toBe("😀 ok");
    expect(pgText(null)).toBeNull();
    expect(pgUnsafe("😀")).toBe(false);
    expect(pgUnsafe("\ud83d")).toBe(true);
  });
});

describe("pgJson", () => {
  it("keeps a NUL string value as base64 of its bytes", () => {
    const out = pgJson({ "x-bad": "a\u0000b", fine: "v", list: ["\u0000"] }) as Record<string, unknown>;
    expect(out.fine).toBe("v");
    expect(Buffer.from((out["x-bad"] as { base64: string }).base64, "base64").toString()).toBe("a\u0000b");
    expect(out.list).toEqual([{ base64: Buffer.from("\u0000").toString("base64") }]);
    expect(JSON.stringify(out)).not.toContain("\\u0000");
  });

  it("keeps a NUL key's original name beside its value, without colliding", () => {
    const out = pgJson({ "k\u0000": "1", "k\ufffd": "2" }) as Record<string, { name: { base64: string }; value: unknown }>;
    expect(out["k\ufffd"]).toBe("2");
    const moved = out["k\ufffd\ufffd"]!;
    expect(Buffer.from(moved.name.base64, "base64").toString()).toBe("k\u0000");
    expect(moved.value).toBe("1");
  });

  it("cuts nesting past the limit instead of recursing without end", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const out = JSON.stringify(pgJson(deep, 64));
    expect(out).toContain("nested deeper than 64 levels");
    expect(out.length).toBeLessThan(2_000);
  });
});
