import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { bulkInsert } from "../../db/queries/bulk";
import { deadLetters, kafkaGroupStatus } from "../../db/schema";
import { freshDatabase } from "./helpers";

describe("bulkInsert (json_populate_recordset) on the real Postgres", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_bulk");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("stores bytes, json, timestamps, big numbers and nulls exactly as drizzle's own insert would", async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const at = new Date("2026-11-23T01:02:03.456Z");
    const rows = [
      {
        system: "rabbitmq",
        sourceName: "local",
        vhost: "/",
        source: "q.dlq",
        dedupKey: "a",
        messageKey: null,
        payload: every,
        payloadSize: 256,
        headers: { "x-death": [{ count: 2, "routing-keys": ["k"] }], quote: `"'\\<b>`, ü: "ü" },
        properties: {},
        kafkaOffset: 2 ** 53 - 1,
        reason: null,
        firstDeadAt: at,
        deathCount: 2,
      },
      { system: "kafka", sourceName: "local", vhost: null, source: "t.DLT", dedupKey: "b", messageKey: Buffer.from("key"), payload: Buffer.alloc(0), payloadSize: 0, headers: {}, properties: { a: null }, kafkaOffset: 0, reason: "exception", firstDeadAt: null, deathCount: 1 },
    ];
    const inserted = await h.db.execute(sql`${bulkInsert(deadLetters, rows)} on conflict do nothing returning id`);
    expect(inserted.rows).toHaveLength(2);
    // idempotent like the capture needs: the same keys again insert nothing
    const again = await h.db.execute(sql`${bulkInsert(deadLetters, rows)} on conflict do nothing returning id`);
    expect(again.rows).toHaveLength(0);

    const back = await h.db.select().from(deadLetters).orderBy(asc(deadLetters.dedupKey));
    expect(back[0]!.payload.equals(every)).toBe(true);
    expect(back[0]!.messageKey).toBeNull();
    expect(back[0]!.headers).toEqual(rows[0]!.headers);
    expect(back[0]!.kafkaOffset).toBe(2 ** 53 - 1);
    expect(back[0]!.firstDeadAt?.toISOString()).toBe(at.toISOString());
    expect(back[0]!.reason).toBeNull();
    expect(back[1]!.messageKey?.toString()).toBe("key");
    expect(back[1]!.payload.length).toBe(0);
    expect(back[1]!.properties).toEqual({ a: null });
    // json columns hold JSON values, not JSON text in a string
    const types = await h.db.execute(sql`select jsonb_typeof(headers) as t from dead_letters order by dedup_key`);
    expect(types.rows.map((r) => r.t)).toEqual(["object", "object"]);
  });

  it("upserts with the caller's on conflict clause", async () => {
    const row = (status: string) => ({ cluster: "c", groupId: "g", state: "Stable", status, totalLag: 5, maxLagSeconds: null, etaSeconds: null, consumeRate: 1.5, produceRate: 0, members: 1, memberDetails: [{ memberId: "m", clientId: "c", host: "h", assignment: { t: [0, 1] } }], evaluatedAt: new Date() });
    const upsert = (s: string) => h.db.execute(sql`${bulkInsert(kafkaGroupStatus, [row(s)])} on conflict (cluster, group_id) do update set status = excluded.status`);
    await upsert("OK");
    await upsert("STALL");
    const back = await h.db.select().from(kafkaGroupStatus);
    expect(back).toHaveLength(1);
    expect(back[0]!.status).toBe("STALL");
    expect(back[0]!.memberDetails[0]!.assignment).toEqual({ t: [0, 1] });
  });

  it("refuses an empty batch instead of sending a statement that inserts nothing", () => {
    expect(() => bulkInsert(deadLetters, [])).toThrow(/no rows/);
  });
});
