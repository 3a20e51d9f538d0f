import { describe, expect, it } from "vitest";
import { traceDetail } from "../api/contracts/traces";
import { noMessaging, spanKindOf, spanKinds, spanSchema, spanStatusOf, type Span } from "./span";

const span = (extra: Partial<Span> = {}): Span => ({
  traceId: "ab".repeat(16),
  spanId: "cd".repeat(8),
  parentSpanId: null,
  service: "svc",
  name: "op",
  kind: "SERVER",
  startUnixNano: "1795176000123456789",
  startTime: "2026-11-20T12:00:00.123Z",
  durationMs: 1.5,
  status: "ERROR",
  statusMessage: "boom",
  attributes: { "http.route": "/orders" },
  resourceAttributes: { "service.name": "svc" },
  events: [{ name: "exception", timeUnixNano: "1795176000123456790", attributes: {} }],
  links: [{ traceId: "ef".repeat(16), spanId: "01".repeat(8), attributes: {} }],
  ...noMessaging,
  ...extra,
});

describe("span kinds and statuses", () => {
  it("names OTLP's numbers once, and a number OTLP does not define as the unspecified one", () => {
    expect([0, 1, 2, 3, 4, 5].map(spanKindOf)).toEqual([...spanKinds]);
    expect([6, -1, 70_000].map(spanKindOf)).toEqual(["UNSPECIFIED", "UNSPECIFIED", "UNSPECIFIED"]);
    expect([0, 1, 2, 3].map(spanStatusOf)).toEqual(["UNSET", "OK", "ERROR", "UNSET"]);
  });
});

describe("spanSchema", () => {
  it("takes a span of the model as it is", () => {
    const s = span();
    expect(spanSchema.parse(s)).toEqual(s);
  });

  it("keeps an attribute named __proto__ as a key, never as the prototype", () => {
    const attributes = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const parsed = spanSchema.parse(span({ attributes, events: [{ name: "e", timeUnixNano: "1", attributes }] }));
    expect(Object.keys(parsed.attributes)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(parsed.attributes)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(JSON.stringify(parsed.events[0]!.attributes)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses what is not a span of the model: a numeric kind, an upper-case id, attributes that are a list", () => {
    for (const bad of [{ kind: 2 }, { status: 2 }, { traceId: "AB".repeat(16) }, { parentSpanId: "x" }, { attributes: [] }, { startUnixNano: "1e9" }, { durationMs: -1 }]) {
      expect(spanSchema.safeParse({ ...span(), ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("the trace contract", () => {
  const detail = { traceId: "ab".repeat(16), spans: [span()], linkedTraceIds: ["ef".repeat(16)], deadLetters: [], stitched: null };
  it("answers one trace, stitched or not", () => {
    expect(traceDetail.parse(detail)).toEqual(detail);
    const stitched = { ...detail, stitched: { traceIds: ["ef".repeat(16)], spans: [span({ traceId: "ef".repeat(16) })], truncated: false } };
    expect(traceDetail.parse(stitched)).toEqual(stitched);
  });
  it("refuses an answer in the old shapes (kind by number beside its name, messaging nested)", () => {
    const old = { ...detail, spans: [{ ...span(), kindCode: 2, kind: 2 }] };
    expect(traceDetail.safeParse(old).success).toBe(false);
    expect(traceDetail.safeParse({ ...detail, stitched: undefined }).success).toBe(false);
  });
});
