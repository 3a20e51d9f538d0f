import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { maintainSpanPartitions } from "../../db/queries/span-partitions";
import { insertSpans } from "../../db/queries/spans";
import { traceSpans } from "../../db/queries/traces";
import type { SpanRecord } from "../../lib/otlp/spans";
import { freshDatabase } from "./helpers";
import { spanRecord } from "./span-record";

const DAY = 86_400_000;
const span = (traceId: string, spanId: string, at: Date, links: SpanRecord["links"] = []) => spanRecord(traceId, spanId, at, { links });

describe("span partitions on the real Postgres", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_parts");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  const where = async (spanId: string) =>
    (await h.db.execute<{ part: string }>(sql`select tableoid::regclass::text as part from spans where span_id = ${spanId}`)).rows.map((r) => r.part);
  const partitions = async (table: string) =>
    (
      await h.db.execute<{ name: string }>(sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = ${table} order by 1`)
    ).rows.map((r) => r.name);

  it("makes daily partitions, moves rows out of the default one, keeps a span once, and drops days past retention", async () => {
    const now = new Date("2026-11-20T12:00:00Z");
    const t = "a".repeat(32);
    // spans before any day partition exists land in the default partition: one 10 days old, one today, one linked
    await insertSpans(h.db, [span(t, "0000000000000001", new Date(now.getTime() - 10 * DAY)), span(t, "0000000000000002", now), span("b".repeat(32), "0000000000000003", now, [{ traceId: t, spanId: "0000000000000002", attributes: {} }])]);
    expect(await where("0000000000000002")).toEqual(["spans_default"]);

    const first = await maintainSpanPartitions(h.db, { retentionDays: 7, now });
    expect(first.created).toEqual(expect.arrayContaining(["spans_p20261119", "spans_p20261120", "spans_p20261121", "spans_p20261122", "span_links_p20261120"]));
    expect(await where("0000000000000002")).toEqual(["spans_p20261120"]); // moved out of the default partition
    expect(await where("0000000000000001")).toEqual([]); // 10 days old: past the 7-day retention, deleted from the default
    const links = await h.db.execute<{ part: string }>(sql`select tableoid::regclass::text as part from span_links`);
    expect(links.rows).toEqual([{ part: "span_links_p20261120" }]);

    // an exporter's retry of the same span is stored once, in its partition
    await insertSpans(h.db, [span(t, "0000000000000002", now)]);
    expect((await traceSpans(h.db, t)).map((s) => s.spanId)).toEqual(["0000000000000002"]);

    // nine days on (cutoff 11-22): the days wholly before it are dropped whole, 11-22 stays, new days are made
    const later = await maintainSpanPartitions(h.db, { retentionDays: 7, now: new Date(now.getTime() + 9 * DAY) });
    expect(later.dropped).toEqual(expect.arrayContaining(["spans_p20261119", "spans_p20261120", "span_links_p20261120"]));
    expect(await partitions("spans")).toEqual(["spans_default", "spans_p20261122", "spans_p20261128", "spans_p20261129", "spans_p20261130", "spans_p20261201"]);
    expect(await traceSpans(h.db, t)).toEqual([]);
    // running it again changes nothing
    expect(await maintainSpanPartitions(h.db, { retentionDays: 7, now: new Date(now.getTime() + 9 * DAY) })).toEqual({ created: [], dropped: [] });
  });
});
