/**
 * The traces API's route handlers on a real Postgres: every malformed query or cursor is a 400 with the JSON error
 * body, never a 500; a cursor the API gave out still works. `server-only` (a build-time guard that throws outside a
 * React server bundle) is the only module replaced.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NextRequest } from "next/server";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { storeSpans } from "../../db/queries/spans";
import { traceDetail, traceSearchResponse } from "../../lib/api/contracts/traces";
import { freshDatabase } from "./helpers";
import { spanRecord } from "./span-record";

vi.mock("server-only", () => ({}));

type Handler = (req: NextRequest, ctx: unknown) => Promise<Response>;

describe("traces API route handlers", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let search: Handler;
  let one: Handler;
  const traceId = "ab".repeat(16);
  const get = (qs: string) => search(new NextRequest(`http://localhost/api/v1/traces?${qs}`), {});
  const b64 = (s: string) => Buffer.from(s).toString("base64url");

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_tapi");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
    const now = Date.now();
    await storeSpans(
      h,
      Array.from({ length: 5 }, (_, i) =>
        spanRecord(i === 0 ? traceId : (i + 1).toString(16).padStart(32, "0"), (i + 1).toString(16).padStart(16, "0"), new Date(now - 60_000 + i * 1000), { service: "api-test" }),
      ),
    );
    process.env.DATABASE_URL = fresh.url;
    search = (await import("../../app/api/v1/traces/route")).GET as Handler;
    one = (await import("../../app/api/v1/traces/[traceId]/route")).GET as Handler;
  });
  afterAll(async () => {
    const g = globalThis as unknown as { __switchyard?: { db: DbHandle } };
    await g.__switchyard?.db.close();
    await h?.close();
    await fresh?.drop();
  });

  it("answers 400 with the JSON error for a malformed cursor, however it is malformed", async () => {
    const tid = "c".repeat(32);
    const sid = "d".repeat(16);
    const cursors = [
      b64('{"t":9e18,"s":"x"}'),
      b64(`9000000000000000000:${tid}:${sid}`), // the old cursor's form, its time past what Date holds
      b64(`99999999999999:${tid}:${sid}`),
      b64(JSON.stringify({ p: { t: "275760-09-13T00:00:00.000001Z", i: tid, s: sid }, b: null })),
      b64(JSON.stringify({ p: { t: "2026-02-30T00:00:00.000000Z", i: tid, s: sid }, b: null })),
      b64(JSON.stringify({ p: null, b: { n: "99999999999999999999", i: tid } })),
      b64(JSON.stringify({ p: null, b: { n: "9223372036854775808", i: tid } })),
      b64(JSON.stringify({ p: null, b: { n: "-1", i: tid } })),
      b64(JSON.stringify({ p: null, b: { n: "1", i: "x\u0000" } })),
      b64("\u0000"),
      b64("null"),
      "%%%",
      "not base64 !",
    ];
    for (const c of cursors) {
      const r = await get(`service=api-test&cursor=${encodeURIComponent(c)}`);
      expect(r.status, c).toBe(400);
      expect(await r.json()).toEqual({ error: { code: "invalid_request", message: expect.stringMatching(/cursor/) } });
    }
  });

  it("answers 400, not 500, for NUL bytes, huge or negative numbers and times out of range in any filter", async () => {
    const queries = [
      "service=a%00b",
      "operation=%00",
      "destination=q%00",
      "messageId=%00",
      "messageKey=k%00",
      "attr=a%00=b",
      "attr=a=b%00",
      "minDurationMs=abc",
      "minDurationMs=-1",
      "maxDurationMs=-5",
      "minDurationMs=1e400",
      "maxDurationMs=Infinity",
      "minDurationMs=NaN",
      "status=BOGUS",
      "hasDeadLetters=maybe",
      "from=0000-01-01T00:00:00Z",
      "to=9999-12-31T23:59:59Z&from=0000-01-01T00:00:00Z",
      "limit=1e400",
      "limit=-1",
    ];
    for (const q of queries) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code, q).toBe("invalid_request");
    }
    // the far end of what is valid still answers
    expect((await get("minDurationMs=1e12&to=9999-12-31T23:59:59Z")).status).toBe(200);
  });

  it("pages with the cursors it gives out, and filters by dead letters", async () => {
    const first = await get("service=api-test&limit=2");
    expect(first.status).toBe(200);
    const p1 = (await first.json()) as { items: { traceId: string; startTime: string; deadLetterCount: number }[]; nextCursor: string | null };
    expect(p1.items).toHaveLength(2);
    expect(p1.nextCursor).toEqual(expect.any(String));
    const second = (await (await get(`service=api-test&limit=10&cursor=${p1.nextCursor}`)).json()) as { items: { traceId: string; startTime: string }[]; nextCursor: string | null };
    const all = [...p1.items, ...second.items];
    expect(all).toHaveLength(5);
    expect(all.map((t) => t.startTime)).toEqual([...all.map((t) => t.startTime)].sort().reverse());
    expect(second.nextCursor).toBeNull();
    expect(p1.items[0]!.deadLetterCount).toBe(0);
    const withDead = (await (await get("service=api-test&hasDeadLetters=true")).json()) as { items: unknown[] };
    expect(withDead.items).toEqual([]);
  });

  it("answers a search as its contract says", async () => {
    const r = await get("service=api-test&limit=2");
    expect(traceSearchResponse.strict().safeParse(await r.json()).error).toBeUndefined();
  });

  const byId = (id: string, qs = "") => one(new NextRequest(`http://localhost/api/v1/traces/${encodeURIComponent(id)}${qs}`), { params: Promise.resolve({ traceId: id }) });

  it("one trace, and with stitch=linked the linked traces' spans in the same answer, bounded", async () => {
    const now = Date.now() - 30_000;
    const hub = "1".repeat(32);
    const tid = (i: number) => `2${i.toString(16).padStart(31, "0")}`;
    const sid = (i: number) => i.toString(16).padStart(16, "0");
    // the hub's producer; 25 traces whose consumers link to it; the first of them holds 5,001 spans
    await storeSpans(h, [spanRecord(hub, sid(1), new Date(now), { service: "stitch", kind: 4, statusCode: 2 })]);
    await storeSpans(h, Array.from({ length: 25 }, (_, i) => spanRecord(tid(i), sid(100 + i), new Date(now + 1000 + i), { service: "stitch", kind: 5, links: [{ traceId: hub, spanId: sid(1), attributes: {} }] })));
    await storeSpans(h, Array.from({ length: 5000 }, (_, i) => spanRecord(tid(0), sid(10_000 + i), new Date(now + 2000 + i), { service: "stitch", parentSpanId: sid(100) })));

    const plain = await byId(hub);
    expect(plain.status).toBe(200);
    const body = traceDetail.strict().parse(await plain.json());
    expect(body.spans).toEqual([expect.objectContaining({ spanId: sid(1), kind: "PRODUCER", status: "ERROR", startUnixNano: (BigInt(now) * 1_000_000n).toString() })]);
    expect(body.linkedTraceIds).toEqual(Array.from({ length: 25 }, (_, i) => tid(i)));
    expect(body.stitched).toBeNull();

    const stitched = traceDetail.strict().parse(await (await byId(hub, "?stitch=linked")).json());
    expect(stitched.spans).toEqual(body.spans);
    expect(stitched.stitched!.traceIds).toEqual(body.linkedTraceIds.slice(0, 20));
    expect(stitched.stitched!.spans).toHaveLength(5000);
    expect(stitched.stitched!.truncated).toBe(true);
    // the earliest spans, in start order: every linked consumer (they start first), then trace 0's children
    const starts = stitched.stitched!.spans.map((x) => BigInt(x.startUnixNano));
    expect(starts).toEqual([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(stitched.stitched!.spans.filter((x) => x.kind === "CONSUMER").map((x) => x.traceId)).toEqual(body.linkedTraceIds.slice(0, 20));
    expect(stitched.stitched!.spans[0]).toMatchObject({ links: [{ traceId: hub, spanId: sid(1), attributes: {} }] });

    // a small stitch is whole: a consumer's trace links back to the hub alone
    const back = traceDetail.strict().parse(await (await byId(tid(5), "?stitch=linked")).json());
    expect(back.stitched).toEqual({ traceIds: [hub], spans: body.spans, truncated: false });
    // anything but `linked` is refused
    expect((await byId(hub, "?stitch=all")).status).toBe(400);
  });

  it("one trace: 400 for a malformed id (NUL too), 404 for an unknown one", async () => {
    expect((await byId(traceId)).status).toBe(200);
    expect((await byId(`${traceId.slice(0, 31)}\u0000`)).status).toBe(400);
    expect((await byId("abc")).status).toBe(400);
    const unknown = await byId("0".repeat(31) + "9");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });
});
