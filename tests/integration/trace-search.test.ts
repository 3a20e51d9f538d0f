import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { deadLetters } from "../../db/schema";
import { storeSpans } from "../../db/queries/spans";
import { searchTraces, type TraceSearch, type TraceSummaryRow } from "../../db/queries/traces";
import type { SpanRecord } from "../../lib/otlp/spans";
import { spanLabel } from "../../lib/traces/waterfall";
import { freshDatabase } from "./helpers";
import { spanRecord } from "./span-record";

const base = Date.parse("2026-11-20T12:00:00Z");
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, "0");
let spanSeq = 0;
const span = (trace: number, atSec: number, extra: Partial<SpanRecord> = {}) => spanRecord(hex(trace, 32), hex(++spanSeq, 16), new Date(base + atSec * 1000), { service: "other", durationMs: 5, ...extra });

describe("trace search on the real Postgres", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  const window = { from: new Date(base - 3600_000), to: new Date(base + 3600_000) };
  const pageRows = async (f: Omit<TraceSearch, "from" | "to">) => {
    const out: TraceSummaryRow[][] = [];
    let after: TraceSearch["after"];
    for (let i = 0; i < 200; i++) {
      const page = await searchTraces(h.db, { ...window, ...f, after });
      out.push(page.rows);
      if (!page.next) return out;
      after = page.next;
    }
    throw new Error("did not end");
  };
  const pages = async (f: Omit<TraceSearch, "from" | "to">) => (await pageRows(f)).map((p) => p.map((r) => r.traceId));
  const startsDescending = (rows: TraceSummaryRow[]) => rows.every((r, i) => i === 0 || rows[i - 1]!.startUnixNano >= r.startUnixNano);

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_tsearch");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
    const spans: SpanRecord[] = [];
    // traces 1..40: a root span at t = n seconds lasting n × 10 ms, with a 1 ms 'svc-a' span inside it; every fourth
    // trace has a second 'svc-a' span much later (t = 100 + n), so it matches twice, far apart in the scan, and lasts
    // about 100 s
    for (let n = 1; n <= 40; n++) {
      spans.push(
        span(n, n, {
          name: "root",
          durationMs: n * 10,
          attributes: { "order.id": `ord-${n}` },
          resourceAttributes: { "service.name": "other", "deployment.environment.name": n === 33 ? "canary" : "production" },
        }),
      );
      spans.push(span(n, n + 0.001, { service: "svc-a", durationMs: 1, statusCode: n % 10 === 0 ? 2 : 0 }));
      if (n % 4 === 0) spans.push(span(n, 100 + n, { service: "svc-a" }));
    }
    // trace 41: an HTTP server root named only by its method, as instrumentation-http names it; trace 42: its root
    // has not arrived, only a child of it
    const root41 = span(41, 50, {
      service: "order-service",
      name: "POST",
      kind: 2,
      attributes: { "http.method": "POST", "http.target": "/orders?token=s3cret", "http.status_code": 201 },
    });
    spans.push(root41, span(41, 50.01, { service: "order-service", parentSpanId: root41.spanId, name: "shop.orders send", kind: 4 }));
    spans.push(span(42, 51, { service: "inventory-service", parentSpanId: "00000000000000ff", name: "shop.orders process", kind: 5 }));
    // traces 100..159 ('mix'): each starts at 200 + i s and has a second matching span up to a minute later, in an
    // order unlike the starts' (a consumer that is minutes behind)
    for (let i = 0; i < 60; i++) {
      spans.push(span(100 + i, 200 + i, { service: "mix" }));
      spans.push(span(100 + i, 200 + i + ((i * 37) % 60) + 0.5, { service: "mix" }));
    }
    await storeSpans(h, spans);
    // dead letters that carry traces 12 (twice) and 41, and one without a trace
    const dl = (traceId: string | null, offset: number) => ({
      system: "kafka",
      sourceName: "local",
      source: "shop.orders.DLT",
      dedupKey: `shop.orders.DLT/0/${offset}`,
      payload: Buffer.from("{}"),
      payloadSize: 2,
      traceId,
    });
    await h.db.insert(deadLetters).values([dl(hex(12, 32), 1), dl(hex(12, 32), 2), dl(hex(41, 32), 3), dl(null, 4)]);
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("pages through every matching trace once, newest start first, a late matching span not moving a trace up", async () => {
    const got = await pageRows({ service: "svc-a", limit: 7 });
    const all = got.flat();
    expect(new Set(all.map((r) => r.traceId)).size).toBe(all.length);
    // traces 4, 8, … also match at t = 100 + n, far newer than every start: still listed by their own start
    expect(all.map((r) => parseInt(r.traceId, 16))).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
    expect(startsDescending(all)).toBe(true);
    expect(got.slice(0, -1).every((p) => p.length === 7)).toBe(true);
  });

  it("keeps the start order over many pages when matching spans come in another order", async () => {
    const expected = Array.from({ length: 60 }, (_, i) => 159 - i);
    for (const limit of [1, 4, 7, 50]) {
      const all = (await pageRows({ service: "mix", limit })).flat();
      expect(all.map((r) => parseInt(r.traceId, 16)), `limit ${limit}`).toEqual(expected);
    }
    // a tiny scan budget: pages stop early and continue further back, and still every trace comes once
    const budgeted = (await pageRows({ service: "mix", limit: 4, scanBudget: 10 })).flat().map((r) => parseInt(r.traceId, 16));
    expect([...budgeted].sort((a, b) => b - a)).toEqual(expected);
  });

  it("labels the root with its HTTP route (no query string) and tells a root that has not arrived", async () => {
    const page = await searchTraces(h.db, { ...window, limit: 50, attrs: [{ key: "http.method", value: "POST" }] });
    const t41 = page.rows.find((r) => r.traceId === hex(41, 32))!;
    expect(t41).toMatchObject({ rootService: "order-service", rootName: "POST", rootKind: "SERVER", rootIsTrueRoot: true });
    expect(spanLabel({ kind: t41.rootKind, name: t41.rootName, service: t41.rootService, attributes: t41.rootAttributes })).toBe("POST /orders");
    const t42 = (await searchTraces(h.db, { ...window, service: "inventory-service", limit: 50 })).rows;
    expect(t42.map((r) => [parseInt(r.traceId, 16), r.rootIsTrueRoot, r.rootName])).toEqual([[42, false, "shop.orders process"]]);
  });

  it("finds the traces that dead letters carry, with how many", async () => {
    const page = await searchTraces(h.db, { ...window, hasDeadLetters: true, limit: 50 });
    expect(page.rows.map((r) => [parseInt(r.traceId, 16), r.deadLetterCount])).toEqual([
      [41, 1],
      [12, 2],
    ]);
    // with other filters, one at a time
    expect((await searchTraces(h.db, { ...window, hasDeadLetters: true, service: "svc-a", limit: 50 })).rows.map((r) => parseInt(r.traceId, 16))).toEqual([12]);
    expect((await pages({ hasDeadLetters: true, limit: 1 })).flat().map((id) => parseInt(id, 16))).toEqual([41, 12]);
    const plain = await searchTraces(h.db, { ...window, service: "svc-a", limit: 50 });
    expect(plain.rows.find((r) => r.traceId === hex(13, 32))!.deadLetterCount).toBe(0);
  });

  it("summarises whole traces and applies duration filters to them", async () => {
    const page = await searchTraces(h.db, { ...window, service: "svc-a", minDurationMs: 250, maxDurationMs: 300, limit: 50 });
    const ids = page.rows.map((r) => parseInt(r.traceId, 16)).sort((a, b) => a - b);
    expect(ids).toEqual([25, 26, 27, 29, 30]);
    const t25 = page.rows.find((r) => r.traceId === hex(25, 32))!;
    expect(t25).toMatchObject({ spanCount: 2, errorCount: 0, rootName: "root", rootIsTrueRoot: true, services: ["other", "svc-a"] });
    expect(t25.durationMs).toBeCloseTo(250, 3);
    const errors = await pages({ errorsOnly: true, limit: 2 });
    expect(errors.flat().map((id) => parseInt(id, 16))).toEqual([40, 30, 20, 10]);
  });

  it("matches attributes of the span or of its resource", async () => {
    const byResource = await searchTraces(h.db, { ...window, attrs: [{ key: "deployment.environment.name", value: "canary" }], limit: 50 });
    expect(byResource.rows.map((r) => parseInt(r.traceId, 16))).toEqual([33]);
    const bySpan = await searchTraces(h.db, { ...window, attrs: [{ key: "order.id", value: "ord-17" }], limit: 50 });
    expect(bySpan.rows.map((r) => parseInt(r.traceId, 16))).toEqual([17]);
  });

  it("stops at the scan budget, says so, and continues from there", async () => {
    // only trace 39 (390 ms) passes; its first match is the 12th matching span read (after 10 late spans and 40's)
    const f = { service: "svc-a", minDurationMs: 385, maxDurationMs: 1000, limit: 5 };
    const first = await searchTraces(h.db, { ...window, ...f, scanBudget: 5 });
    expect(first).toMatchObject({ rows: [], budgetReached: true, scanned: 5 });
    expect(first.next).not.toBeNull();
    const more = await searchTraces(h.db, { ...window, ...f, after: first.next! });
    expect(more.rows.map((r) => parseInt(r.traceId, 16))).toEqual([39]);
    expect(more.budgetReached).toBe(false);
    expect((await pages(f)).flat().map((id) => parseInt(id, 16))).toEqual([39]);
  });
});
