import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { ValidationError } from "../errors";
import { decodeTraceCursor, encodeTraceCursor, parseTraceSearch, type TraceCursor } from "./search-query";

const tid = "0123456789abcdef".repeat(2);
const sid = "fedcba9876543210";

describe("trace cursor", () => {
  it("round-trips what the search gives out, to the microsecond and the nanosecond", () => {
    const cursors: TraceCursor[] = [
      { scan: { startTime: "2026-11-20T12:00:00.123456Z", traceId: tid, spanId: sid }, below: { startUnixNano: 1_795_176_000_123_456_789n, traceId: tid } },
      { scan: null, below: { startUnixNano: 2n ** 63n - 1n, traceId: tid } },
      { scan: { startTime: "1970-01-01T00:00:00.000000Z", traceId: tid, spanId: sid }, below: null },
    ];
    for (const c of cursors) expect(decodeTraceCursor(encodeTraceCursor(c))).toEqual(c);
    expect(decodeTraceCursor(undefined)).toBeUndefined();
    expect(decodeTraceCursor("")).toBeUndefined();
  });

  it("refuses with a ValidationError anything it did not give out", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64url");
    const bad = [
      b64('{"t":9e18,"s":"x"}'),
      b64(`9000000000000000000:${tid}:${sid}`),
      b64(JSON.stringify({ p: { t: "2026-02-30T00:00:00.000000Z", i: tid, s: sid }, b: null })),
      b64(JSON.stringify({ p: { t: "+275760-09-13T00:00:00.000000Z", i: tid, s: sid }, b: null })),
      b64(JSON.stringify({ p: null, b: { n: "9223372036854775808", i: tid } })),
      b64(JSON.stringify({ p: null, b: { n: "1e3", i: tid } })),
      b64(JSON.stringify({ p: null, b: { n: "1", i: tid.toUpperCase() } })),
      b64(JSON.stringify({ p: null, b: null, extra: 1 })),
      b64("[]"),
      b64("\u0000"),
      "=",
      "a b",
    ];
    for (const c of bad) expect(() => decodeTraceCursor(c), c).toThrow(ValidationError);
  });
});

describe("parseTraceSearch", () => {
  const parse = (qs: string) => parseTraceSearch(new URLSearchParams(qs));
  it("reads filters, repeated attributes and the dead-letter switch", () => {
    expect(parse("service=a&attr=k=v&attr=x=y=z&hasDeadLetters=true&minDurationMs=5")).toMatchObject({
      service: "a",
      attr: [
        { key: "k", value: "v" },
        { key: "x", value: "y=z" },
      ],
      hasDeadLetters: true,
      minDurationMs: 5,
      status: "any",
      limit: 50,
    });
    expect(parse("").hasDeadLetters).toBe(false);
    expect(parse("hasDeadLetters=false").hasDeadLetters).toBe(false);
  });

  it("refuses NUL bytes, numbers out of range and times Postgres cannot hold", () => {
    for (const qs of ["service=%00", "attr=k%00=v", "minDurationMs=abc", "minDurationMs=-1", "maxDurationMs=1e400", "minDurationMs=1e13", "status=BOGUS", "hasDeadLetters=1", "from=0000-01-01T00:00:00Z", "minDurationMs=9&maxDurationMs=1"]) {
      expect(() => parse(qs), qs).toThrow(ZodError);
    }
  });
});
