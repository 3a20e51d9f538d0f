import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { storeSpans } from "../../db/queries/spans";
import { searchTraces, type TraceSearch } from "../../db/queries/traces";
import type { SpanRecord } from "../../lib/otlp/spans";
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
  const pages = async (f: Omit<TraceSearch, "from" | "to">) => {
    const out: string[][] = [];
    let after: TraceSearch["after"];
    for (let i = 0; i < 50; i++) {
      const page = await searchTraces(h.db, { ...window, ...f, after });
      out.push(page.rows.map((r) => r.traceId));
      if (!page.next) return out;
      after = page.next;
    }
    throw new Error("did not end");
  };

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
    await storeSpans(h, spans);
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("pages through every matching trace once, newest matching span first", async () => {
    const got = await pages({ service: "svc-a", limit: 7 });
    const all = got.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(40);
    // traces with a late match (multiples of 4, newest first), then the rest by their early match, newest first
    const late = [40, 36, 32, 28, 24, 20, 16, 12, 8, 4];
    const early = Array.from({ length: 40 }, (_, i) => 40 - i).filter((n) => n % 4 !== 0);
    expect(all).toEqual([...late, ...early].map((n) => hex(n, 32)));
    expect(got.slice(0, -1).every((p) => p.length === 7)).toBe(true);
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
