import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { keysFor, storeDeadLetters, type NewDeadLetter } from "../../db/queries/dead-letter-store";
import { deadLetters } from "../../db/schema";
import { deadLetterStatuses } from "../../lib/dead-letters";
import { freshDatabase } from "./helpers";

const row = (dedupKey: string, extra: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
  system: "rabbitmq",
  sourceName: "local",
  vhost: "/",
  source: "store.dlq",
  dedupKey,
  messageKey: null,
  payload: Buffer.from(`{"k":"${dedupKey}"}`),
  payloadSize: 10,
  headers: {},
  properties: {},
  reason: "rejected",
  deathCount: 1,
  ...extra,
});

describe("storeDeadLetters on the real Postgres", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_dlstore");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("keysFor: a message read again keeps its position key; another message at a taken position gets its identity key", async () => {
    const at = (key: string, extra: Partial<NewDeadLetter> = {}) =>
      row(key, { system: "rabbitmq", vhost: "v1", source: "keys.stream", payload: Buffer.from("abcdefgh"), payloadSize: 8, headers: { "x-death": [{ count: 1, time: { "!": "timestamp", value: 1 } }], "x-nul": "a\u0000b" }, properties: { timestamp: 1700000000 }, ...extra });
    await storeDeadLetters(h.db, [
      at("stream:1"),
      // kept at 4 bytes under an older DEAD_LETTER_MAX_BYTES
      at("stream:2", { payload: Buffer.from("abcd"), payloadTruncated: true }),
      at("stream:4"),
      at("stream:5"),
      // the same key in another vhost: not this position
      at("stream:6", { vhost: "v2" }),
    ]);
    // kept in quarantine form, headers not as captured (a batch of its own: a batch's columns are its first row's)
    await storeDeadLetters(h.db, [at("stream:3", { headers: { "switchyard.raw": { base64: "e30=" } }, captureError: "Postgres refused the captured row: x" })]);
    const asked = [
      at("stream:1"), // read again
      at("stream:2"), // read again, now kept whole
      at("stream:3"), // read again
      at("stream:4", { payload: Buffer.from("abcdefgX") }), // other bytes
      at("stream:5", { headers: { "x-death": [{ count: 1, time: { "!": "timestamp", value: 2 } }], "x-nul": "a\u0000b" } }), // same body, another death
      at("stream:6"), // nothing at this position in v1
      at("stream:7", { properties: { timestamp: 1700000001 } }), // no row at all
      at("stream:1", { payloadSize: 9 }), // another real size
    ];
    const keyed = await keysFor(h.db, asked, asked.map((r, i) => `${r.dedupKey}|identity-${i}`));
    expect(keyed.map((r) => r.dedupKey)).toEqual(["stream:1", "stream:2", "stream:3", "stream:4|identity-3", "stream:5|identity-4", "stream:6", "stream:7", "stream:1|identity-7"]);
    // a row without an identity key is never looked at or changed
    expect((await keysFor(h.db, [at("stream:4", { payload: Buffer.from("zz") })], [undefined])).map((r) => r.dedupKey)).toEqual(["stream:4"]);
    // a Kafka position (no vhost), a timestamp that differs
    await storeDeadLetters(h.db, [row("t.DLT/0/1", { system: "kafka", vhost: null, source: "t.DLT", properties: { timestamp: "2026-12-06T00:00:00.000Z" } })]);
    const k = (ts: string) => row("t.DLT/0/1", { system: "kafka", vhost: null, source: "t.DLT", properties: { timestamp: ts } });
    expect((await keysFor(h.db, [k("2026-12-06T00:00:00.000Z"), k("2026-12-06T00:00:00.001Z")], ["a", "b"])).map((r) => r.dedupKey)).toEqual(["t.DLT/0/1", "b"]);
  });

  it("stores NUL bytes and lone surrogates in headers, names and texts faithfully, beside ordinary rows", async () => {
    const hostile = row("nul", {
      headers: { "x-bad": "a\u0000b", "x-bad\u0000name": "v", deep: { a: ["\ud800"] } },
      errorMessage: "boom\u0000here",
      originalDestination: "q\u0000",
      messageKey: Buffer.from([0, 0xff, 0xfe]),
    });
    const r = await storeDeadLetters(h.db, [hostile, ...Array.from({ length: 10 }, (_, i) => row(`ok-${i}`))]);
    expect(r).toEqual({ inserted: 11, quarantined: 0 });
    const [back] = await h.db.select().from(deadLetters).where(eq(deadLetters.dedupKey, "nul"));
    const headers = back!.headers as Record<string, unknown>;
    expect(Buffer.from((headers["x-bad"] as { base64: string }).base64, "base64").toString()).toBe("a\u0000b");
    const moved = headers["x-bad\ufffdname"] as { name: { base64: string }; value: unknown };
    expect(Buffer.from(moved.name.base64, "base64").toString()).toBe("x-bad\u0000name");
    expect(moved.value).toBe("v");
    expect(back!.errorMessage).toBe("boom\ufffdhere");
    expect(back!.messageKey!.equals(Buffer.from([0, 0xff, 0xfe]))).toBe(true);
    expect(back!.captureError).toBeNull();
  });

  it("keeps a row Postgres refuses in quarantine form and stores the rest of its batch", async () => {
    const tooBig = row("too-big", { payloadSize: 2 ** 40, headers: { "x-order-id": "o-1" } }); // int4 out of range
    const r = await storeDeadLetters(h.db, [row("before"), tooBig, row("after")]);
    expect(r).toEqual({ inserted: 3, quarantined: 1 });
    const rows = await h.db.select().from(deadLetters).where(eq(deadLetters.source, "store.dlq")).orderBy(asc(deadLetters.id));
    const q = rows.find((x) => x.dedupKey === "too-big")!;
    expect(q.captureError).toMatch(/out of range/);
    expect(q.payload.toString()).toBe('{"k":"too-big"}');
    const raw = JSON.parse(Buffer.from((q.headers as { "switchyard.raw": { base64: string } })["switchyard.raw"].base64, "base64").toString());
    expect(raw.headers).toEqual({ "x-order-id": "o-1" });
    expect(rows.filter((x) => x.dedupKey === "before" || x.dedupKey === "after")).toHaveLength(2);
    // idempotent: the same batch again stores nothing more, quarantined row included
    expect((await storeDeadLetters(h.db, [row("before"), tooBig, row("after")])).inserted).toBe(0);
  });

  it("keeps rows whose quarantine form would also be refused: index-busting texts and keys, values JSON cannot write", async () => {
    const random = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
    const batch = [
      row("fine-1"),
      row("long-reason", { reason: random(6000) }),
      row(`long-key-${random(6000)}`),
      row("bigint", { headers: { n: 10n ** 30n } as unknown as Record<string, unknown> }),
      row("fine-2"),
    ];
    const r = await storeDeadLetters(h.db, batch);
    expect(r.inserted).toBe(5);
    const back = await h.db.select().from(deadLetters).where(eq(deadLetters.source, "store.dlq"));
    for (const k of ["fine-1", "fine-2", "long-reason", "bigint"]) expect(back.some((x) => x.dedupKey === k)).toBe(true);
    const hashed = back.find((x) => x.dedupKey.startsWith("sha256:"))!;
    expect(hashed.captureError).toMatch(/index row size|exceeds/);
    const big = back.find((x) => x.dedupKey === "bigint")!;
    // stored as its digits (JSON has no bigint), not quarantined
    expect((big.headers as { n: string }).n).toBe((10n ** 30n).toString());
    // and idempotent: a redelivery of the same batch stores nothing more
    expect((await storeDeadLetters(h.db, batch)).inserted).toBe(0);
  });

  it("keeps the same queue name in two vhosts apart, and Kafka keys (no vhost) still deduplicate", async () => {
    const a = await storeDeadLetters(h.db, [row("same", { vhost: "a" }), row("same", { vhost: "b" })]);
    expect(a.inserted).toBe(2);
    const k = { system: "kafka", vhost: null, source: "t.DLT" } as const;
    expect((await storeDeadLetters(h.db, [row("t/0/1", k)])).inserted).toBe(1);
    expect((await storeDeadLetters(h.db, [row("t/0/1", k)])).inserted).toBe(0);
  });

  it("refuses a status outside the one list of dead-letter states (a check constraint made from lib's constant)", async () => {
    await storeDeadLetters(h.db, [row("status-check")]);
    await expect(h.db.update(deadLetters).set({ status: "bogus" }).where(eq(deadLetters.dedupKey, "status-check"))).rejects.toMatchObject({ cause: { code: "23514" } });
    for (const status of deadLetterStatuses) await h.db.update(deadLetters).set({ status }).where(eq(deadLetters.dedupKey, "status-check"));
  });

  it("throws when Postgres is not there, so the caller keeps the batch", async () => {
    const down = createDb("postgres://postgres@127.0.0.1:1/none", { max: 1 });
    try {
      await expect(storeDeadLetters(down.db, [row("x")])).rejects.toThrow();
    } finally {
      await down.close();
    }
  });
});
