import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { storeDeadLetters } from "../../db/queries/dead-letter-store";
import { searchEverything } from "../../db/queries/search";
import { insertSpans } from "../../db/queries/spans";
import { addWorkflowKeys } from "../../db/queries/workflows";
import { rankResults, searchTerms } from "../../lib/search";
import { freshDatabase } from "./helpers";
import { spanRecord } from "./span-record";

/**
 * The search box's lookups on real Postgres: every kind found by what an engineer pastes, the dead letters' keys
 * filled by the trigger as they are stored (hostile ones too: invalid UTF-8, NUL, huge and nested headers), and
 * nothing found by a payload alone.
 */
describe("search", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  const hex = (n: number) => randomBytes(n).toString("hex");
  const trace = hex(16);
  const span = hex(8);
  const order = `ord-${hex(4)}`;
  const find = async (q: string) => rankResults(await searchEverything(h.db, searchTerms(q)));
  let dlId = 0;

  beforeAll(async () => {
    db = await freshDatabase("switchyard_search");
    await runMigrations(db.url);
    h = createDb(db.url, { max: 4 });
    const now = new Date();
    await insertSpans(h.db, [
      spanRecord(trace, span, now, { service: "order-service", name: "POST /orders", kind: 2, attributes: { "order.id": order } }),
      spanRecord(trace, hex(8), now, { parentSpanId: span, service: "order-service", name: "shop.orders publish", kind: 4, messagingSystem: "kafka", messagingDestination: "shop.orders", messagingMessageId: `msg-${order}` }),
    ]);
    await addWorkflowKeys(h.db, [{ traceId: trace, key: order, keyName: "order.id" }]);
    const base = { system: "rabbitmq", sourceName: "local", vhost: "/", source: "shop.payments.requests.dlq", payloadSize: 2, reason: "rejected" } as const;
    await storeDeadLetters(h.db, [
      { ...base, dedupKey: `a-${order}`, payload: Buffer.from("{}"), traceId: trace, headers: { "x-order-id": order }, properties: { messageId: `mid-${order}` } },
      // no trace: found by its header alone; a payload mentioning the order is not searched
      { ...base, dedupKey: `b-${order}`, payload: Buffer.from(`{"orderId":"${order}-payload-only"}`), headers: { "X-Correlation-Key": `corr-${order}`, nested: { id: "inner" }, "x-huge-id": "h".repeat(600) }, properties: {} },
      // hostile: a message key of invalid UTF-8, one with a NUL, a header value that is an object
      { ...base, system: "kafka", sourceName: "local", vhost: null, source: "shop.orders.DLT", dedupKey: `c-${order}`, payload: Buffer.from([0xff]), messageKey: Buffer.from([0xc3, 0x28]), headers: { "kafka_dlt-original-offset": "7", someId: { base64: "AAA=" } } },
      { ...base, system: "kafka", sourceName: "local", vhost: null, source: "shop.orders.DLT", dedupKey: `d-${order}`, payload: Buffer.from("x"), messageKey: Buffer.from(`key-${order}`), headers: {} },
      { ...base, system: "kafka", sourceName: "local", vhost: null, source: "shop.orders.DLT", dedupKey: `e-${order}`, payload: Buffer.from("x"), messageKey: Buffer.from("a\u0000b"), headers: {} },
    ]);
    dlId = Number((await h.db.execute<{ id: string }>(sql`select id::text as id from dead_letters where dedup_key = ${`a-${order}`}`)).rows[0]!.id);
    await h.db.execute(sql`insert into kafka_group_status (cluster, group_id, state, status, evaluated_at) values ('local', 'shop-analytics-slow', 'Stable', 'WARN', now()), ('local', 'shop-inventory', 'Stable', 'OK', now())`);
    await h.db.execute(sql`insert into kafka_lag_samples (cluster, group_id, topic, partition, lag_method, sampled_at) values ('local', 'shop-inventory', 'shop.orders', 0, 'none', now())`);
    await h.db.execute(sql`insert into rabbitmq_queues (broker, vhost, name, type, updated_at) values ('local', '/', 'shop.payments.requests', 'classic', now()), ('local', 'staging', 'shop.payments.requests', 'classic', now())`);
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  it("an order id finds its workflow, its trace and its dead letter", async () => {
    const r = await find(order);
    expect(r[0]).toMatchObject({ kind: "workflow", exact: true, match: "key" });
    expect(r.some((x) => x.kind === "trace" && x.id === trace && x.url === `/traces/${trace}`)).toBe(true);
    expect(r.some((x) => x.kind === "dead_letter" && x.id === String(dlId))).toBe(true);
  });

  it("a trace id, a traceparent, a span id and a dead letter id go to their own page", async () => {
    for (const q of [trace, `00-${trace}-${span}-01`]) {
      const r = await find(q);
      expect(r.filter((x) => x.exact).map((x) => x.url)).toEqual([`/traces/${trace}`]);
      expect(r.some((x) => x.kind === "workflow")).toBe(true);
    }
    expect((await find(span)).filter((x) => x.exact).map((x) => x.url)).toEqual([`/traces/${trace}?span=${trace}%3A${span}`]);
    expect((await find(String(dlId))).filter((x) => x.exact).map((x) => x.url)).toEqual([`/dead-letters/${dlId}`]);
  });

  it("a failure group's id (the shape of a span id) opens the Dead letters page narrowed to it", async () => {
    const g = (await h.db.execute<{ g: string; n: string }>(sql`select failure_group as g, count(*)::text as n from dead_letters where source = 'shop.payments.requests.dlq' group by 1`)).rows;
    expect(g).toHaveLength(1);
    expect(g[0]!.g).toMatch(/^[0-9a-f]{16}$/);
    const r = await find(g[0]!.g.toUpperCase());
    expect(r.filter((x) => x.exact)).toEqual([{ kind: "failure_group", id: g[0]!.g, title: expect.stringContaining(`(${g[0]!.n} dead letters)`), url: `/dead-letters?group=${g[0]!.g}`, exact: true, match: "id" }]);
    // a span id that is no failure group finds no group
    expect((await find(span)).some((x) => x.kind === "failure_group")).toBe(false);
  });

  it("message ids and keys, in spans or in a dead letter's headers, properties or key, find what carries them", async () => {
    expect((await find(`msg-${order}`)).map((x) => `${x.kind}:${x.id}`)).toContain(`trace:${trace}`);
    expect((await find(`mid-${order}`)).map((x) => `${x.kind}:${x.id}`)).toContain(`dead_letter:${dlId}`);
    expect((await find(`corr-${order}`)).filter((x) => x.kind === "dead_letter")).toHaveLength(1);
    expect((await find(`key-${order}`)).filter((x) => x.kind === "dead_letter")).toHaveLength(1);
    // never by scanning payloads; and what was not a scalar, too long, or not UTF-8 was left out, nothing refused
    expect(await find(`${order}-payload-only`)).toEqual([]);
    expect(await find("inner")).toEqual([]);
    expect((await h.db.execute<{ n: string }>(sql`select count(*)::text n from dead_letters where dedup_key like ${`%-${order}`}`)).rows[0]!.n).toBe("5");
    const keys = await h.db.execute<{ value: string }>(sql`select value from dead_letter_keys order by value`);
    expect(keys.rows.every((k) => k.value.length <= 500 && !k.value.includes("\u0000"))).toBe(true);
  });

  it("names of groups, topics and queues by whole name, prefix or part, in every vhost", async () => {
    const g = await find("shop-analytics-slow");
    expect(g[0]).toMatchObject({ kind: "group", exact: true, url: "/kafka/local/shop-analytics-slow" });
    const part = await find("analytics");
    expect(part.find((x) => x.kind === "group")).toMatchObject({ match: "part", exact: false });
    expect((await find("shop.orders")).find((x) => x.kind === "topic")).toMatchObject({ id: "shop.orders", exact: true });
    const q = (await find("payments.requests")).filter((x) => x.kind === "queue").map((x) => x.url).sort();
    expect(q).toEqual(["/rabbitmq/local/%2F/shop.payments.requests", "/rabbitmq/local/staging/shop.payments.requests"]);
    // LIKE's own characters are text
    expect(await find("%")).toEqual([]);
    expect((await find("shop_")).filter((x) => x.kind === "group")).toEqual([]);
  });
});
