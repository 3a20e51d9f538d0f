import { describe, expect, it } from "vitest";
import { byteaEscape, bytesSearch, escapeRegex, hasNul, jsonTextLike } from "./dead-letter-search";
import { escapeLike, globToLike, globToRegExp, isGlob } from "./patterns";

describe("globs as SQL LIKE", () => {
  it("turns * and ? into LIKE wildcards and escapes LIKE's own", () => {
    expect(globToLike("shop.*")).toBe("shop.%");
    expect(globToLike("*.DLT")).toBe("%.DLT");
    expect(globToLike("?nv.*")).toBe("_nv.%");
    expect(globToLike("a_b*")).toBe("a\\_b%");
    expect(globToLike("50%off.*")).toBe("50\\%off.%");
    expect(globToLike("back\\slash*")).toBe("back\\\\slash%");
    expect(escapeLike("a_b%c\\d")).toBe("a\\_b\\%c\\\\d");
  });
  it("knows a glob from an exact name", () => {
    expect(isGlob("shop.orders.DLT")).toBe(false);
    expect(isGlob("a_b.dlq")).toBe(false);
    expect(isGlob("50%off")).toBe(false);
    expect(isGlob("shop.*")).toBe(true);
    expect(isGlob("?x")).toBe(true);
  });
  it("agrees with the glob matcher on which names match", () => {
    // a LIKE pattern evaluated the way Postgres does, to compare with globToRegExp
    const like = (pattern: string, s: string) => {
      let re = "";
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === "\\") re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        else if (c === "%") re += ".*";
        else if (c === "_") re += ".";
        else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      }
      return new RegExp(`^${re}$`, "s").test(s);
    };
    const names = ["shop.orders.DLT", "shop.payments.dlq", "a_b.dlq", "axb.dlq", "50%off.dlq", "50xoff.dlq", "inv.DLT", "x\\y"];
    for (const g of ["shop.*", "*.DLT", "a_b*", "50%off.*", "?nv.*", "*", "x\\y", "*_*"]) {
      for (const n of names) expect(like(globToLike(g), n), `${g} vs ${n}`).toBe(globToRegExp(g).test(n));
    }
  });
});

describe("free-text search patterns", () => {
  it("escapes bytes as Postgres's encode(…, 'escape') does", () => {
    expect(byteaEscape(Buffer.from([0x41, 0x5c, 0x00, 0xc3, 0xbc, 0x01, 0x7f, 0xff]))).toBe("A\\\\\\000\\303\\274\u0001\u007f\\377");
    expect(byteaEscape(Buffer.from("plain text"))).toBe("plain text");
  });
  it("makes a token-aligned, anchored regex and a LIKE prefilter", () => {
    const s = bytesSearch("ü_%");
    expect(s.like).toBe("%\\\\303\\\\274\\_\\%%");
    expect(s.regex).toBe("^(?:[^\\\\]|\\\\\\\\|\\\\[0-7]{3})*\\\\303\\\\274\\_\\%");
    expect(escapeRegex("a.b*c")).toBe("a\\.b\\*c");
  });
  it("the regex finds the query only at a byte boundary of the escaped text", () => {
    // JS regex stands in for Postgres's: same syntax for what bytesSearch emits
    const test = (q: string, bytes: number[]) => new RegExp(bytesSearch(q).regex, "i").test(byteaEscape(Buffer.from(bytes)));
    expect(test("AüB", [0x41, 0xc3, 0xbc, 0x42])).toBe(true);
    expect(test("303", [0x41, 0xc3, 0xbc, 0x42])).toBe(false);
    expect(test("aüb", [0x41, 0xc3, 0xbc, 0x42])).toBe(true);
    expect(test("\u0080", [0x5c, 0x32, 0x30, 0x30])).toBe(false); // `\` then "200" is not the byte 0x80
    expect(test("\\200", [0x5c, 0x32, 0x30, 0x30])).toBe(true);
    expect(test("id=7", [0xff, 0x00, 0x69, 0x64, 0x3d, 0x37])).toBe(true);
  });
  it("writes the query as jsonb's text form writes strings", () => {
    expect(jsonTextLike(`say "hi" \\ 50%_off`)).toBe(`%say \\\\"hi\\\\" \\\\\\\\ 50\\%\\_off%`);
    expect(jsonTextLike("tab\there")).toBe("%tab\\\\there%");
    expect(hasNul("a\u0000b")).toBe(true);
    expect(hasNul("ab")).toBe(false);
  });
});
