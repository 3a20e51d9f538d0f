import { describe, expect, it } from "vitest";
import { syncChains, type CallSpan } from "./analysis";

let n = 0;
const id = () => (++n).toString(16).padStart(16, "0");
/** A trace: gw's entry calls price, price calls stock, stock wh, wh bin (four calls, as the contract check sends). */
function chainTrace(traceId: string, opts: { failStock?: boolean } = {}): CallSpan[] {
  const spans: CallSpan[] = [];
  const server = (service: string, name: string, parent: string | null, method = "GET") => {
    const s: CallSpan = { traceId, spanId: id(), parentSpanId: parent, service, name, kind: 2, durationMs: 10, statusCode: 0, attributes: { "http.request.method": method } };
    spans.push(s);
    return s;
  };
  const client = (from: CallSpan, ms: number, err = false) => {
    const c: CallSpan = { traceId, spanId: id(), parentSpanId: from.spanId, service: from.service, name: "GET", kind: 3, durationMs: ms, statusCode: err ? 2 : 0, attributes: {} };
    spans.push(c);
    return c;
  };
  const gw = server("gw", "POST /checkout", null, "POST");
  // an internal span between the entry and its call: still gw waiting
  const internal: CallSpan = { traceId, spanId: id(), parentSpanId: gw.spanId, service: "gw", name: "validate", kind: 1, durationMs: 1, statusCode: 0, attributes: {} };
  spans.push(internal);
  const price = server("price", "GET /price", client(internal, 40).spanId);
  const stock = server("stock", "POST /reserve", client(price, 30, opts.failStock).spanId, "POST");
  const wh = server("wh", "GET /warehouse", client(stock, 20).spanId);
  server("bin", "GET /bin", client(wh, 10).spanId);
  return spans;
}

describe("syncChains", () => {
  it("finds the deepest chain of calls from each entry, flags it past the limit, multiplies the hops' success", () => {
    const spans = [...chainTrace("a".repeat(32)), ...chainTrace("b".repeat(32), { failStock: true })];
    const [c] = syncChains(spans, 3);
    expect(c).toMatchObject({ entryService: "gw", entryOperation: "POST /checkout", depth: 4, flagged: true, traces: 2, serialLatencyP50Ms: 50, serialLatencyP95Ms: 50 });
    expect(c!.hops.map((h) => `${h.from}->${h.to}`)).toEqual(["gw->price", "price->stock", "stock->wh", "wh->bin"]);
    expect(c!.hops[1]!.operation).toBe("POST POST /reserve");
    // price -> stock failed once in two: 50% for the chain
    expect(c!.availability).toBeCloseTo(0.5);
    expect(syncChains(spans, 4)[0]!.flagged).toBe(false);
  });

  it("counts no chain for a lone server span or a service calling itself, and survives a cycle of parent ids", () => {
    const t = "c".repeat(32);
    const a: CallSpan = { traceId: t, spanId: "a1", parentSpanId: "a2", service: "x", name: "GET /", kind: 2, durationMs: 1, statusCode: 0, attributes: {} };
    const b: CallSpan = { traceId: t, spanId: "a2", parentSpanId: "a1", service: "x", name: "GET", kind: 3, durationMs: 1, statusCode: 0, attributes: {} };
    expect(syncChains([a, b], 3)).toEqual([]);
    expect(syncChains([{ ...a, parentSpanId: null }], 3)).toEqual([]);
  });

  it("cuts a hostile chain of 15,000 calls at 64 instead of exhausting the stack", () => {
    const t = "e".repeat(32);
    const spans: CallSpan[] = [{ traceId: t, spanId: "s0", parentSpanId: null, service: "svc0", name: "GET /", kind: 2, durationMs: 1, statusCode: 0, attributes: {} }];
    for (let i = 1; i <= 15_000; i++) {
      spans.push({ traceId: t, spanId: `c${i}`, parentSpanId: `s${i - 1}`, service: `svc${(i - 1) % 2}`, name: "GET", kind: 3, durationMs: 1, statusCode: 0, attributes: {} });
      spans.push({ traceId: t, spanId: `s${i}`, parentSpanId: `c${i}`, service: `svc${i % 2}`, name: "GET /", kind: 2, durationMs: 1, statusCode: 0, attributes: {} });
    }
    const [c] = syncChains(spans, 3);
    expect(c!.depth).toBe(64);
    expect(c!.flagged).toBe(true);
  });
});
