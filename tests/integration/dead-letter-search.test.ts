import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { listDeadLetterPage, listDeadLetters } from "../../db/queries/dead-letters";
import { deadLetters } from "../../db/schema";
import { ValidationError } from "../../lib/errors";
import { freshDatabase } from "./helpers";

type Row = typeof deadLetters.$inferInsert;

/** The list and search of dead letters on the real Postgres: free text, source globs, time order, cursor paging. */
describe("dead-letter list and search", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  const run = randomBytes(4).toString("hex");
  const order = `ORD-${run}-7731`;
  let n = 0;
  const base = Date.UTC(2026, 10, 30, 12, 0, 0);
  const row = (over: Partial<Row>): Row => ({
    system: "kafka",
    sourceName: "local",
    vhost: null,
    source: "shop.orders.DLT",
    dedupKey: `k${n++}`,
    payload: Buffer.from("{}"),
    payloadSize: 2,
    headers: {},
    properties: {},
    ...over,
  });
  const ids: Record<string, number> = {};
  const insert = async (name: string, r: Row) => {
    const [x] = await h.db.insert(deadLetters).values(r).returning({ id: deadLetters.id });
    ids[name] = x!.id;
  };
  const sources = async (f: Parameters<typeof listDeadLetters>[1]) => (await listDeadLetters(h.db, f)).map((r) => r.source).sort();

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_dlsearch");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
    // inserted out of time order on purpose: ids do not follow the time of death
    await insert("byKey", row({ messageKey: Buffer.from(order), lastDeadAt: new Date(base + 5_000), firstDeadAt: new Date(base + 5_000) }));
    await insert("byHeader", row({ source: "shop.payments.requests.dlq", system: "rabbitmq", vhost: "/", headers: { "x-order-id": order.toLowerCase(), "x-death": [{ queue: "shop.payments.requests" }] }, lastDeadAt: new Date(base + 1_000) }));
    await insert("byPayload", row({ payload: Buffer.from(`{"orderId":"${order}","qty":1}`), lastDeadAt: new Date(base + 9_000) }));
    // invalid UTF-8 around the id: searched as bytes, never decoded
    await insert("binary", row({ source: "bin.DLT", payload: Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0xc3]), Buffer.from(`id=${order}`), Buffer.from([0x80, 0x00])]), messageKey: Buffer.from([0x00, 0xff, 0x10]), lastDeadAt: new Date(base + 2_000) }));
    await insert("quoted", row({ source: "q.dlq", system: "rabbitmq", headers: { "x-note": `say "hi" \\ 50%_off` }, lastDeadAt: new Date(base + 3_000) }));
    await insert("error", row({ source: "inv.DLT", errorMessage: "Cannot parse order", errorType: "java.lang.IllegalStateException", lastDeadAt: new Date(base + 4_000) }));
    // names that only a LIKE without escaping would confuse
    await insert("underscore", row({ source: "a_b.dlq", system: "rabbitmq", lastDeadAt: new Date(base + 6_000) }));
    await insert("lookalike", row({ source: "axb.dlq", system: "rabbitmq", lastDeadAt: new Date(base + 7_000) }));
    await insert("percent", row({ source: "50%off.dlq", system: "rabbitmq", lastDeadAt: new Date(base + 8_000) }));
    await insert("percentLook", row({ source: "50xxoff.dlq", system: "rabbitmq", lastDeadAt: new Date(base + 8_000) }));
    // a payload whose escaped form holds digits: an octal escape must not match a search for digits
    await insert("octal", row({ source: "octal.DLT", payload: Buffer.from([0x41, 0xc3, 0xbc, 0x42]), lastDeadAt: new Date(base + 500) }));
    // one queue name in two vhosts and on two brokers, and a queue name that looks like a glob
    await insert("twinA", row({ source: "twin.dlq", system: "rabbitmq", vhost: "a", lastDeadAt: new Date(base + 100) }));
    await insert("twinB", row({ source: "twin.dlq", system: "rabbitmq", vhost: "b", lastDeadAt: new Date(base + 100) }));
    await insert("twinOther", row({ source: "twin.dlq", system: "rabbitmq", sourceName: "other", vhost: "a", lastDeadAt: new Date(base + 100) }));
    await insert("starName", row({ source: "orders*.dlq", system: "rabbitmq", vhost: "/", lastDeadAt: new Date(base + 100) }));
    await insert("starLook", row({ source: "orders-eu.dlq", system: "rabbitmq", vhost: "/", lastDeadAt: new Date(base + 100) }));
  });

  it("keeps one queue to its broker and vhost, and takes a name with glob characters as a name when asked", async () => {
    const idsOf = async (f: Parameters<typeof listDeadLetters>[1]) => (await listDeadLetters(h.db, f)).map((r) => r.id).sort();
    expect(await idsOf({ source: "twin.dlq", sourceName: "local", vhost: "a", limit: 50 })).toEqual([ids.twinA]);
    expect(await idsOf({ source: "twin.dlq", vhost: "b", limit: 50 })).toEqual([ids.twinB]);
    expect((await idsOf({ source: "twin.dlq", limit: 50 })).length).toBe(3);
    // a plain name matches by prefix, exact=true by the whole name
    expect((await idsOf({ source: "twin", limit: 50 })).length).toBe(3);
    expect(await idsOf({ source: "twin", exact: true, limit: 50 })).toEqual([]);
    expect(await idsOf({ source: "orders*.dlq", exact: true, limit: 50 })).toEqual([ids.starName]);
    expect((await idsOf({ source: "orders*.dlq", limit: 50 })).sort()).toEqual([ids.starName, ids.starLook].sort());
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("free text finds an order id in the Kafka key, a header and the payload, case-insensitively", async () => {
    const found = (await listDeadLetters(h.db, { q: order, limit: 100 })).map((r) => r.id).sort((a, b) => a - b);
    expect(found).toEqual([ids.byKey!, ids.byHeader!, ids.byPayload!, ids.binary!].sort((a, b) => a - b));
    const lower = (await listDeadLetters(h.db, { q: order.toLowerCase(), limit: 100 })).map((r) => r.id).sort((a, b) => a - b);
    expect(lower).toEqual(found);
  });

  it("free text finds header names and values with JSON-escaped characters, errors too", async () => {
    expect((await listDeadLetters(h.db, { q: "x-order-id", limit: 100 })).map((r) => r.id)).toEqual([ids.byHeader]);
    expect((await listDeadLetters(h.db, { q: `say "HI" \\ 50%_off`, limit: 100 })).map((r) => r.id)).toEqual([ids.quoted]);
    expect((await listDeadLetters(h.db, { q: `"hi" \\ 50%x`, limit: 100 })).map((r) => r.id)).toEqual([]);
    expect((await listDeadLetters(h.db, { q: "cannot PARSE", limit: 100 })).map((r) => r.id)).toEqual([ids.error]);
    expect((await listDeadLetters(h.db, { q: "IllegalState", limit: 100 })).map((r) => r.id)).toEqual([ids.error]);
  });

  it("searches bytes without decoding them, and an octal escape does not match digits", async () => {
    // "ü" is stored as 0xC3 0xBC: the search is over bytes, so it finds it by its UTF-8 encoding
    expect((await listDeadLetters(h.db, { q: "AüB", limit: 100 })).map((r) => r.id)).toEqual([ids.octal]);
    expect((await listDeadLetters(h.db, { q: "303", limit: 100 })).map((r) => r.id)).toEqual([]);
    expect((await listDeadLetters(h.db, { q: "274", limit: 100 })).map((r) => r.id)).toEqual([]);
    expect((await listDeadLetters(h.db, { q: "\\", limit: 100 })).map((r) => r.id)).toEqual([ids.quoted]);
  });

  it("the source filter takes a name's start, or a glob as prefix or suffix", async () => {
    expect(await sources({ source: "shop.orders.DLT", limit: 100 })).toEqual(["shop.orders.DLT", "shop.orders.DLT"]);
    expect(await sources({ source: "shop.*", limit: 100 })).toEqual(["shop.orders.DLT", "shop.orders.DLT", "shop.payments.requests.dlq"]);
    expect(await sources({ source: "*.DLT", limit: 100 })).toEqual(["bin.DLT", "inv.DLT", "octal.DLT", "shop.orders.DLT", "shop.orders.DLT"]);
    expect(await sources({ source: "?nv.*", limit: 100 })).toEqual(["inv.DLT"]);
    // a name with LIKE's own wildcards in it matches only what it starts
    expect(await sources({ source: "a_b.dlq", limit: 100 })).toEqual(["a_b.dlq"]);
    expect(await sources({ source: "50%off.dlq", limit: 100 })).toEqual(["50%off.dlq"]);
    expect(await sources({ source: "a_b*", limit: 100 })).toEqual(["a_b.dlq"]);
    // a plain name matches by prefix (the issue: "by prefix and glob, not only the exact name"); exact=true does not
    expect(await sources({ source: "shop.orders", limit: 100 })).toEqual(["shop.orders.DLT", "shop.orders.DLT"]);
    expect(await sources({ source: "shop.orders", exact: true, limit: 100 })).toEqual([]);
  });

  it("lists newest death first, then by id", async () => {
    const all = await listDeadLetters(h.db, { limit: 100 });
    const times = all.map((r) => (r.lastDeadAt ?? r.firstDeadAt ?? r.capturedAt).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(all[0]!.id).toBe(ids.byPayload);
    // equal times: the higher id first
    const tie = all.filter((r) => r.source.startsWith("50"));
    expect(tie.map((r) => r.id)).toEqual([ids.percentLook, ids.percent]);
  });

  it("pages through every row exactly once, in order, with equal times across a page boundary", async () => {
    // many rows sharing one time of death (RabbitMQ's x-death has 1 s resolution), some with none at all
    const same = new Date(base + 60_000);
    const batch: Row[] = [];
    for (let i = 0; i < 57; i++) batch.push(row({ source: "tie.dlq", system: "rabbitmq", lastDeadAt: i % 10 === 9 ? null : same, dedupKey: `tie${i}` }));
    await h.db.insert(deadLetters).values(batch);
    // and some a microsecond apart: a cursor cut to milliseconds would skip or repeat them
    await h.pool.query(`update dead_letters set last_dead_at = last_dead_at + interval '1 microsecond' * (id % 3) where dedup_key like 'tie%'`);
    const expected = (await listDeadLetters(h.db, { limit: 1000 })).map((r) => r.id);
    for (const limit of [1, 7, 50]) {
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listDeadLetterPage(h.db, { cursor, limit });
        expect(page.rows.length).toBeLessThanOrEqual(limit);
        seen.push(...page.rows.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
        if (cursor) expect(page.rows.length).toBe(limit);
        pages++;
      } while (cursor && pages < 1000);
      expect(seen).toEqual(expected);
    }
    // with a filter too
    const tieIds = (await listDeadLetters(h.db, { source: "tie.*", limit: 1000 })).map((r) => r.id);
    expect(tieIds).toHaveLength(57);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listDeadLetterPage(h.db, { source: "tie.*", cursor, limit: 10 });
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(tieIds);
    // the last page says there is no more
    const last = await listDeadLetterPage(h.db, { source: "tie.*", limit: 57 });
    expect(last.rows).toHaveLength(57);
    expect(last.nextCursor).toBeNull();
  });

  it("free text finds a Kafka dead letter by its position, topic/partition/offset, and no other offset", async () => {
    await insert("position", row({ source: "pos.DLT", dedupKey: "pos.DLT/1/12/1700000000000/0123456789abcdef0123456789abcdef", lastDeadAt: new Date(base + 200) }));
    await insert("position123", row({ source: "pos.DLT", dedupKey: "pos.DLT/1/123/1700000000000/0123456789abcdef0123456789abcdef", lastDeadAt: new Date(base + 200) }));
    expect((await listDeadLetters(h.db, { q: "pos.DLT/1/12", limit: 100 })).map((r) => r.id)).toEqual([ids.position]);
    expect((await listDeadLetters(h.db, { q: "pos.DLT/1/123", limit: 100 })).map((r) => r.id)).toEqual([ids.position123]);
    // a LIKE character in the search is a character
    expect((await listDeadLetters(h.db, { q: "pos.DLT/1/1_", limit: 100 })).map((r) => r.id)).toEqual([]);
  });

  it("refuses a cursor it did not give out", async () => {
    for (const bad of ["abc", Buffer.from("12").toString("base64url"), Buffer.from(JSON.stringify({ t: "nope", id: 1 })).toString("base64url"), Buffer.from(JSON.stringify({ t: "2026-01-01T00:00:00.000000Z", id: -1 })).toString("base64url")]) {
      await expect(listDeadLetterPage(h.db, { cursor: bad, limit: 10 })).rejects.toBeInstanceOf(ValidationError);
    }
  });
});
