import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { spanCopy, storeSpanCopy, storeSpans } from "../../db/queries/spans";
import { traceSpans } from "../../db/queries/traces";
import type { SpanRecord } from "../../lib/otlp/spans";
import { freshDatabase } from "./helpers";
import { spanRecord } from "./span-record";

// Text that COPY's text format must escape, and text that looks like its escapes.
const hostile = 'tab\there, new\nline, cr\rreturn, back\\slash, \\N, \\t literal, "quotes", ünïcødé 🚀, <script>x</script>';

const at = new Date("2026-11-20T12:00:00.123Z");
const span = (traceId: string, spanId: string, extra: Partial<SpanRecord> = {}) =>
  spanRecord(traceId, spanId, at, { kind: 2, startUnixNano: BigInt(at.getTime()) * 1_000_000n + 456_789n, durationMs: 12.345678, resourceAttributes: { "service.name": "svc" }, ...extra });

describe("storing spans with COPY on the real Postgres", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_spanstore");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });
  const count = async (table: "spans" | "span_links") => Number((await h.db.execute<{ n: string }>(sql`select count(*) n from ${sql.identifier(table)}`)).rows[0]!.n);

  it("stores every field exactly, hostile text and JSON included", async () => {
    const t = "1".repeat(32);
    const s = span(t, "00000000000000a1", {
      parentSpanId: "00000000000000a0",
      service: hostile,
      name: hostile,
      statusCode: 2,
      statusMessage: hostile,
      attributes: { [hostile]: hostile, n: 9007199254740991, big: "18446744073709551615", f: 1.5, b: true, arr: [1, "two", null], kv: { nested: hostile } },
      events: [{ name: "exception", timeUnixNano: "1763640000123456789", attributes: { "exception.message": hostile } }],
      links: [{ traceId: "2".repeat(32), spanId: "00000000000000b1", attributes: { why: hostile } }],
      messagingSystem: "kafka",
      messagingDestination: hostile,
      messagingOperation: "process",
      messagingConsumerGroup: hostile,
      messagingMessageId: hostile,
      kafkaPartition: 7,
      kafkaOffset: 123456789012,
      rabbitmqRoutingKey: hostile,
    });
    expect(await storeSpans(h, [s])).toEqual({ mode: "copied", rejected: 0, errors: [] });
    // read back as the span model: the same fields, OTLP's codes by name, the exact start as text
    const [stored] = await traceSpans(h.db, t);
    const { kind, statusCode, startUnixNano, startTime, ...same } = s;
    expect([kind, statusCode]).toEqual([2, 2]);
    expect(stored).toEqual({ ...same, kind: "SERVER", status: "ERROR", startUnixNano: startUnixNano.toString(), startTime: startTime.toISOString() });
    const columns = await h.db.execute<{ received_at: unknown; resource_id: string }>(sql`select received_at, resource_id from spans where trace_id = ${t}`);
    expect(columns.rows).toEqual([{ received_at: expect.anything(), resource_id: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    const links = await h.db.execute<{ linked_trace_id: string; linked_span_id: string }>(sql`select linked_trace_id, linked_span_id from span_links where trace_id = ${t}`);
    expect(links.rows).toEqual([{ linked_trace_id: "2".repeat(32), linked_span_id: "00000000000000b1" }]);
  });

  it("stores a resent export once: the COPY fails on the key and the same rows are merged", async () => {
    const t = "3".repeat(32);
    const first = [span(t, "0000000000000001"), span(t, "0000000000000002", { links: [{ traceId: "4".repeat(32), spanId: "0000000000000009", attributes: {} }] })];
    const before = { spans: await count("spans"), links: await count("span_links") };
    expect((await storeSpans(h, first)).mode).toBe("copied");
    expect((await storeSpans(h, first)).mode).toBe("merged");
    // a retry that overlaps: one span already stored, one new
    expect((await storeSpans(h, [first[1]!, span(t, "0000000000000003")])).mode).toBe("merged");
    expect(await count("spans")).toBe(before.spans + 3);
    expect(await count("span_links")).toBe(before.links + 1);
    expect((await traceSpans(h.db, t)).map((s) => s.spanId)).toEqual(["0000000000000001", "0000000000000002", "0000000000000003"]);
  });

  it("stores each resource once, however many spans and exports carry it", async () => {
    const t = "6".repeat(32);
    const resource = { "service.name": "res-once", "host.name": hostile, "process.pid": 42 };
    const other = { "service.name": "res-other" };
    const resources = async () => Number((await h.db.execute<{ n: string }>(sql`select count(*) n from span_resources`)).rows[0]!.n);
    const before = await resources();
    await storeSpans(h, [span(t, "0000000000000001", { resourceAttributes: resource }), span(t, "0000000000000002", { resourceAttributes: { ...resource } })]);
    await storeSpans(h, [span(t, "0000000000000003", { resourceAttributes: { ...resource } }), span(t, "0000000000000004", { resourceAttributes: other })]);
    expect(await resources()).toBe(before + 2);
    const stored = await traceSpans(h.db, t);
    expect(stored.map((s) => s.resourceAttributes)).toEqual([resource, resource, resource, other]);
    const ids = await h.db.execute<{ resource_id: string }>(sql`select distinct resource_id from spans where trace_id = ${t}`);
    expect(ids.rows).toHaveLength(2);
  });

  it("stores every span Postgres takes of an export it refuses, and returns the refused ones as rejected", async () => {
    const t = "5".repeat(32);
    const before = await count("spans");
    // a kind outside smallint fails in Postgres on the second row: the first and third are stored all the same
    const r = await storeSpans(h, [span(t, "0000000000000001"), span(t, "0000000000000002", { kind: 70_000, links: [{ traceId: "7".repeat(32), spanId: "0000000000000007", attributes: {} }] }), span(t, "0000000000000003")]);
    expect(r).toMatchObject({ mode: "isolated", rejected: 1 });
    expect(r.errors).toEqual([expect.stringMatching(/^span 0000000000000002 of trace 5{32}: Postgres cannot store it \(22003: .*smallint/)]);
    expect(await count("spans")).toBe(before + 2);
    expect((await traceSpans(h.db, t)).map((s) => s.spanId)).toEqual(["0000000000000001", "0000000000000003"]);
    // the refused span's link is not indexed either
    expect((await h.db.execute(sql`select 1 from span_links where trace_id = ${t}`)).rows).toHaveLength(0);
  });

  it("isolates refused spans among a resend: stored ones are skipped, new ones stored, the refused one rejected", async () => {
    const t = "8".repeat(32);
    const first = [span(t, "0000000000000001"), span(t, "0000000000000002")];
    await storeSpans(h, first);
    // status code out of smallint: a data error (22003), not an outage
    const r = await storeSpans(h, [...first, span(t, "0000000000000003"), span(t, "0000000000000004", { statusCode: 1 << 20 })]);
    expect(r).toMatchObject({ mode: "isolated", rejected: 1 });
    expect(r.errors[0]).toMatch(/^span 0000000000000004 .*\(22003: /);
    expect((await traceSpans(h.db, t)).map((s) => s.spanId)).toEqual(["0000000000000001", "0000000000000002", "0000000000000003"]);
  });

  it("rejects the spans of a resource Postgres refuses, and stores the others", async () => {
    const t = "9".repeat(32);
    const batch = spanCopy([span(t, "0000000000000001", { resourceAttributes: { "service.name": "fine" } }), span(t, "0000000000000002", { resourceAttributes: { "service.name": "refused" } })]);
    // JSON Postgres refuses (22P02), as no record could give since spanCopy sanitises: what the isolation is for
    const refused = batch.resources.find((r) => r.attributes.includes("refused"))!;
    refused.attributes = '{"service.name": "refused", "x": "\\ud800"}';
    const r = await storeSpanCopy(h, batch);
    expect(r).toMatchObject({ mode: "isolated", rejected: 1 });
    expect(r.errors[0]).toMatch(/^span 0000000000000002 .*its resource: 22P02: /);
    expect((await traceSpans(h.db, t)).map((s) => s.spanId)).toEqual(["0000000000000001"]);
  });

  it("finds one refused span among an export of 2,500 distinct resources: inserting the resources spends none of the bisection's budget", async () => {
    const t = "d".repeat(32);
    const n = 2_500;
    const records = Array.from({ length: n }, (_, i) =>
      span(t, (i + 1).toString(16).padStart(16, "0"), { resourceAttributes: { "service.name": `many-${i}` }, ...(i === 1234 ? { kind: 70_000 } : {}) }),
    );
    const r = await storeSpans(h, records);
    expect(r).toMatchObject({ mode: "isolated", rejected: 1 });
    expect(r.errors).toEqual([expect.stringMatching(/^span 00000000000004d3 .*\(22003: /)]);
    const stored = await h.db.execute<{ n: string }>(sql`select count(*) n from spans where trace_id = ${t}`);
    expect(Number(stored.rows[0]!.n)).toBe(n - 1);
  });

  it("rejects only the spans of the refused resources among many: resources are found by bisection too", async () => {
    const t = "e".repeat(32);
    const n = 3_000;
    const batch = spanCopy(Array.from({ length: n }, (_, i) => span(t, (i + 1).toString(16).padStart(16, "0"), { resourceAttributes: { "service.name": `res-${t}-${i}` } })));
    // two resources Postgres refuses (22P02), as no record could give since spanCopy sanitises
    for (const i of [17, 2_900]) batch.resources.find((r) => r.attributes.includes(`res-${t}-${i}"`))!.attributes = `{"service.name": "refused-${i}", "x": "\\ud800"}`;
    const r = await storeSpanCopy(h, batch);
    expect(r).toMatchObject({ mode: "isolated", rejected: 2 });
    expect(r.errors).toEqual([expect.stringMatching(/^span 0000000000000012 .*its resource: 22P02: /), expect.stringMatching(/^span 0000000000000b55 .*its resource: 22P02: /)]);
    const stored = await h.db.execute<{ n: string }>(sql`select count(*) n from spans where trace_id = ${t}`);
    expect(Number(stored.rows[0]!.n)).toBe(n - 2);
  });

  it("keeps a link to ids of any length in its span, and indexes only links to well-formed ids", async () => {
    const t = "c".repeat(32);
    const huge = randomBytes(3000).toString("hex"); // 6,000 characters that do not compress: over a btree entry's 2,704 bytes
    const links = [
      { traceId: huge, spanId: "00000000000000e1", attributes: {} },
      { traceId: "e".repeat(32), spanId: "", attributes: {} },
      { traceId: "f".repeat(32), spanId: "00000000000000f1", attributes: {} },
    ];
    expect(await storeSpans(h, [span(t, "0000000000000001", { links })])).toEqual({ mode: "copied", rejected: 0, errors: [] });
    expect((await traceSpans(h.db, t))[0]!.links).toEqual(links);
    const indexed = await h.db.execute<{ linked_trace_id: string }>(sql`select linked_trace_id from span_links where trace_id = ${t}`);
    expect(indexed.rows).toEqual([{ linked_trace_id: "f".repeat(32) }]);
  });

  it("stores NUL and lone surrogates as U+FFFD, in every text and JSON field and the resource, and marks those spans", async () => {
    const t = "a".repeat(32);
    const bad = "a\u0000b\uD800c\uDC00d";
    const good = "a\uFFFDb\uFFFDc\uFFFDd";
    const emoji = "ok 🚀 \\u0000 literal"; // a surrogate pair and a backslash-u in text are not bad
    const r = await storeSpans(h, [
      span(t, "0000000000000001", { name: emoji, attributes: { e: emoji } }),
      span(t, "0000000000000002", {
        name: bad, service: bad, statusMessage: bad, messagingDestination: bad, messagingMessageId: bad, rabbitmqRoutingKey: bad,
        attributes: { [bad]: bad, list: [bad, 1, { [bad]: [bad] }] },
        events: [{ name: bad, timeUnixNano: "1", attributes: { [bad]: bad } }],
        links: [{ traceId: "b".repeat(32), spanId: "00000000000000b1", attributes: { [bad]: bad } }],
      }),
      span(t, "0000000000000003", { resourceAttributes: { "service.name": "svc", host: bad } }),
    ]);
    expect(r).toEqual({ mode: "copied", rejected: 0, errors: [] });
    const [clean, dirty, resource] = await traceSpans(h.db, t);
    expect(clean).toMatchObject({ name: emoji, attributes: { e: emoji } });
    expect(dirty).toMatchObject({
      name: good, service: good, statusMessage: good, messagingDestination: good, messagingMessageId: good, rabbitmqRoutingKey: good,
      attributes: { [good]: good, list: [good, 1, { [good]: [good] }], "switchyard.sanitized": true },
      events: [{ name: good, timeUnixNano: "1", attributes: { [good]: good } }],
      links: [{ traceId: "b".repeat(32), spanId: "00000000000000b1", attributes: { [good]: good } }],
    });
    expect(resource).toMatchObject({ resourceAttributes: { "service.name": "svc", host: good }, attributes: { "switchyard.sanitized": true } });
  });
});
