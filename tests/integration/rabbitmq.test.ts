import { execFile } from "node:child_process";
import { promisify } from "node:util";
import amqp from "amqplib";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { QueueCollector } from "../../collectors/rabbitmq/queue-collector";
import { collectorsEnv, config, CuttableProxy, freePort, freshDatabase, healthz, runTs, source, waitUntil, type RunningProcess } from "./helpers";

/**
 * Queue health and dead-letter capture against the real broker, in a vhost of this run's own, with the collectors
 * logged in as a user of this run's own that can open only it (an administrator, so the management API lists every
 * vhost, as for guest): other collectors on this broker cannot take these dead letters, nor these collectors theirs.
 */
const admin = config.RABBITMQ_BROKERS[0]!;
const run = Date.now().toString(36);
const user = `it-${run}-user`;
const password = `pw-${run}`;
const home = `it-${run}-home`;
const homeUrl = (() => {
  const u = new URL(admin.amqpUrl);
  u.username = user;
  u.password = password;
  u.pathname = `/${encodeURIComponent(home)}`;
  return u.toString();
})();
const broker = { ...admin, amqpUrl: homeUrl, managementUser: user, managementPassword: password };
const exec = promisify(execFile);
const rabbitmqctl = (...args: string[]) => exec("rabbitmqctl", args, { timeout: 60_000 });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const auth = `Basic ${Buffer.from(`${admin.managementUser}:${admin.managementPassword}`).toString("base64")}`;
const depth = async (queue: string) => {
  const r = await fetch(`${broker.managementUrl}/api/queues/${encodeURIComponent(home)}/${encodeURIComponent(queue)}`, { headers: { authorization: auth } });
  const j = (await r.json()) as { messages?: number };
  return j.messages ?? -1;
};

/** the collectors here capture only this run's queues by name (others' tests run at the same time) */
const runEnv = (extra: Record<string, string>) =>
  collectorsEnv({ RABBITMQ_BROKERS: `local=${homeUrl}|${admin.managementUrl}`, KAFKA_DLT_PATTERNS: `none-${run}`, RABBITMQ_DLQ_PATTERNS: `it.*.${run}.dlq`, ...extra });

let db: Awaited<ReturnType<typeof freshDatabase>>;
let client: pg.Client;
let conn: amqp.ChannelModel;
let ch: amqp.ConfirmChannel;
const procs: RunningProcess[] = [];
const queues: string[] = [];
const exchanges: string[] = [];

async function dlxAndDlq(name: string) {
  const dlx = `it.dlx.${name}.${run}`;
  const dlq = `it.${name}.${run}.dlq`;
  await ch.assertExchange(dlx, "direct", { durable: false, autoDelete: false });
  await ch.assertQueue(dlq, { durable: true });
  exchanges.push(dlx);
  queues.push(dlq);
  return { dlx, dlq };
}

async function rows(where: string, args: unknown[]) {
  return (await client.query(`select * from dead_letters where ${where} order by id`, args)).rows;
}

beforeAll(async () => {
  db = await freshDatabase("switchyard_rabbit");
  await runMigrations(db.url);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await rabbitmqctl("add_user", user, password);
  await rabbitmqctl("set_user_tags", user, "administrator");
  await rabbitmqctl("add_vhost", home);
  await rabbitmqctl("set_permissions", "-p", home, user, ".*", ".*", ".*");
  conn = await amqp.connect(broker.amqpUrl);
  ch = await conn.createConfirmChannel();
});

// a failed test must not leave a capture running into the next one
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop();
});

afterAll(async () => {
  for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
  for (const e of exchanges) await ch.deleteExchange(e).catch(() => undefined);
  await conn?.close().catch(() => undefined);
  await rabbitmqctl("delete_vhost", home).catch(() => undefined);
  await rabbitmqctl("delete_user", user).catch(() => undefined);
  await client?.end();
  await db?.drop();
});

describe("RabbitMQ dead letters", () => {
  it("captures rejected, expired, max-length and delivery-limit dead letters with their reason and origin", async () => {
    // rejected without requeue
    const r = await dlxAndDlq("rejected");
    const rejectQ = `it.work.rejected.${run}`;
    await ch.assertQueue(rejectQ, { durable: true, arguments: { "x-dead-letter-exchange": r.dlx, "x-dead-letter-routing-key": "r" } });
    await ch.bindQueue(r.dlq, r.dlx, "r");
    queues.push(rejectQ);
    // TTL expiry
    const e = await dlxAndDlq("expired");
    const ttlQ = `it.work.ttl.${run}`;
    await ch.assertQueue(ttlQ, { durable: true, arguments: { "x-dead-letter-exchange": e.dlx, "x-dead-letter-routing-key": "e", "x-message-ttl": 50 } });
    await ch.bindQueue(e.dlq, e.dlx, "e");
    queues.push(ttlQ);
    // max-length overflow (drop-head dead-letters the oldest)
    const m = await dlxAndDlq("maxlen");
    const maxQ = `it.work.maxlen.${run}`;
    await ch.assertQueue(maxQ, { durable: true, arguments: { "x-dead-letter-exchange": m.dlx, "x-dead-letter-routing-key": "m", "x-max-length": 1 } });
    await ch.bindQueue(m.dlq, m.dlx, "m");
    queues.push(maxQ);
    // quorum queue delivery limit
    const d = await dlxAndDlq("limit");
    const quorumQ = `it.work.quorum.${run}`;
    await ch.assertQueue(quorumQ, { durable: true, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 1, "x-dead-letter-exchange": d.dlx, "x-dead-letter-routing-key": "d" } });
    await ch.bindQueue(d.dlq, d.dlx, "d");
    queues.push(quorumQ);
    // a source whose dead-letter exchange does not exist
    const lost = `it.work.lost.${run}`;
    await ch.assertQueue(lost, { durable: false, arguments: { "x-dead-letter-exchange": `it.nowhere.${run}` } });
    queues.push(lost);

    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    ch.publish("", rejectQ, Buffer.from("reject me"), { messageId: `rej-${run}`, headers: { traceparent: tp } });
    ch.sendToQueue(ttlQ, Buffer.from("let me expire"), { messageId: `ttl-${run}` });
    for (let i = 0; i < 3; i++) ch.sendToQueue(maxQ, Buffer.from(`max ${i}`), { messageId: `max-${run}-${i}` });
    ch.sendToQueue(quorumQ, Buffer.from("redeliver me"), { messageId: `lim-${run}` });
    await ch.waitForConfirms();

    const worker = await conn.createChannel();
    await worker.consume(rejectQ, (msg) => msg && worker.nack(msg, false, false));
    let deliveries = 0;
    await worker.consume(quorumQ, (msg) => {
      if (!msg) return;
      deliveries++;
      worker.nack(msg, false, true); // requeue until the delivery limit dead-letters it
    });

    const env = await runEnv({ DATABASE_URL: db.url, KAFKA_POLL_INTERVAL_MS: "60000", RABBITMQ_POLL_INTERVAL_MS: "1000", RABBITMQ_DLQ_PATTERNS: "none-by-name" });
    const p = runTs("collectors/main.ts", env);
    procs.push(p);
    const got = await waitUntil("four kinds of dead letter", async () => {
      const all = await rows("source like $1", [`it.%.${run}.dlq`]);
      return all.length >= 5 ? all : null; // 1 rejected + 1 expired + 2 maxlen + 1 delivery limit
    }, 60_000, 500);
    await worker.close();
    const by = (q: string) => got.filter((x) => x.source === q);
    expect(by(r.dlq)).toEqual([expect.objectContaining({ reason: "rejected", original_destination: rejectQ, original_exchange: "", original_routing_key: rejectQ, trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" })]);
    expect(by(e.dlq)).toEqual([expect.objectContaining({ reason: "expired", original_destination: ttlQ })]);
    expect(by(m.dlq).map((x) => [x.reason, x.original_destination, x.payload.toString()])).toEqual([
      ["maxlen", maxQ, "max 0"],
      ["maxlen", maxQ, "max 1"],
    ]);
    expect(by(d.dlq)).toEqual([expect.objectContaining({ reason: "delivery_limit", original_destination: quorumQ })]);
    expect(deliveries).toBeGreaterThanOrEqual(2);

    // the queue list knows who dead-letters where, and the missing exchange
    const qrows = (await client.query("select name, is_dead_letter_queue, dead_letter_sources, dlx_missing, type from rabbitmq_queues where name like $1", [`%${run}%`])).rows;
    const qb = Object.fromEntries(qrows.map((x) => [x.name, x]));
    expect(qb[r.dlq]).toMatchObject({ is_dead_letter_queue: true, dead_letter_sources: [rejectQ] });
    expect(qb[d.dlq]).toMatchObject({ is_dead_letter_queue: true, dead_letter_sources: [quorumQ] });
    expect(qb[quorumQ]).toMatchObject({ type: "quorum", is_dead_letter_queue: false });
    expect(qb[lost]).toMatchObject({ dlx_missing: true });
    // captured means drained
    await waitUntil("dead-letter queues drained", async () => (await depth(r.dlq)) === 0 && (await depth(m.dlq)) === 0, 20_000);
    await p.stop();
  });

  it("stores hostile messages faithfully: binary and 50 MB payloads, odd header types", async () => {
    const dlq = `it.hostile.${run}.dlq`; // a dead-letter queue by name
    await ch.assertQueue(dlq, { durable: false });
    queues.push(dlq);
    const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
    const binary = Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x1b, 0x5b]);
    ch.sendToQueue(dlq, binary, {
      messageId: `bin-${run}`,
      headers: {
        "x-death": "not an array",
        nested: { deep: { list: [1, "two", { three: 3 }] } },
        bytes: Buffer.from([1, 2, 3]),
        when: { "!": "timestamp", value: 1_700_000_000 },
        price: { "!": "decimal", value: { places: 2, digits: 1999 } },
        "x-error": "<script>alert(1)</script>",
      },
    });
    ch.sendToQueue(dlq, big, { messageId: `big-${run}` });
    await ch.waitForConfirms();
    const env = await runEnv({ DATABASE_URL: db.url, KAFKA_POLL_INTERVAL_MS: "60000", RABBITMQ_POLL_INTERVAL_MS: "1000", DEAD_LETTER_MAX_BYTES: String(1024 * 1024) });
    const p = runTs("collectors/main.ts", env);
    procs.push(p);
    const got = await waitUntil("both captured", async () => {
      const r = await rows("source = $1", [dlq]);
      return r.length === 2 ? r : null;
    }, 60_000, 500);
    await waitUntil("drained", async () => (await depth(dlq)) === 0, 30_000, 500);
    await p.stop();
    const bin = got.find((x) => x.payload_size === binary.length)!;
    expect(Buffer.compare(bin.payload, binary)).toBe(0);
    expect(bin).toMatchObject({ payload_truncated: false, reason: null, error_message: "<script>alert(1)</script>", death_count: 1 });
    expect(bin.headers).toMatchObject({
      nested: { deep: { list: [1, "two", { three: 3 }] } },
      bytes: { base64: "AQID" },
      when: "2023-11-14T22:13:20.000Z",
      price: 19.99,
      "x-death": "not an array",
    });
    const large = got.find((x) => x.payload_size === big.length)!;
    expect(large).toMatchObject({ payload_truncated: true });
    expect(large.payload.length).toBe(1024 * 1024);
    expect(p.output()).not.toMatch(/TypeError|unhandled/i);
  });

  it("loses nothing and duplicates nothing when killed while capturing 5,000 dead letters", async () => {
    const { dlx, dlq } = await dlxAndDlq("bulk");
    const work = `it.work.bulk.${run}`;
    await ch.assertQueue(work, { durable: true, arguments: { "x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "b" } });
    await ch.bindQueue(dlq, dlx, "b");
    queues.push(work);
    const n = 5000;
    // no message id: the content hash is the key
    for (let i = 0; i < n; i++) ch.sendToQueue(work, Buffer.from(JSON.stringify({ i, pad: "x".repeat(200) })), { persistent: true });
    await ch.waitForConfirms();
    const rejecter = await conn.createChannel();
    await rejecter.prefetch(500);
    await rejecter.consume(work, (msg) => msg && rejecter.nack(msg, false, false));
    await waitUntil("all dead-lettered", async () => (await depth(dlq)) === n, 60_000, 500);
    await rejecter.close();

    const env = await runEnv({ DATABASE_URL: db.url, KAFKA_POLL_INTERVAL_MS: "60000", RABBITMQ_POLL_INTERVAL_MS: "1000", RABBITMQ_CAPTURE_PREFETCH: "200" });
    const count = async () => Number((await client.query("select count(*)::int n from dead_letters where source = $1", [dlq])).rows[0].n);
    const first = runTs("collectors/main.ts", env);
    procs.push(first);
    await waitUntil("capture under way", async () => (await count()) > 0, 60_000, 10);
    await first.stop("SIGKILL");
    const atKill = await count();
    expect(atKill).toBeLessThan(n);

    const second = runTs("collectors/main.ts", env);
    procs.push(second);
    await waitUntil(`${n} captured`, async () => (await count()) >= n, 120_000, 250);
    await waitUntil("the dead-letter queue is empty", async () => (await depth(dlq)) === 0, 30_000, 500);
    await sleep(1500); // anything still in flight would show up now
    expect(await count()).toBe(n);
    const distinct = (await client.query("select count(distinct convert_from(payload, 'UTF8'))::int n from dead_letters where source = $1", [dlq])).rows[0].n;
    expect(distinct).toBe(n);
    await second.stop();
  });

  it("stops acking while Postgres is unreachable, says so, and catches up when it is back", async () => {
    const { dlx, dlq } = await dlxAndDlq("pgdown");
    const work = `it.work.pgdown.${run}`;
    await ch.assertQueue(work, { durable: true, arguments: { "x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "p" } });
    await ch.bindQueue(dlq, dlx, "p");
    queues.push(work);
    const pgUrl = new URL(db.url);
    const proxy = new CuttableProxy(await freePort(), { host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    await proxy.open();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const env = await runEnv({ DATABASE_URL: viaProxy.toString(), KAFKA_POLL_INTERVAL_MS: "60000", RABBITMQ_POLL_INTERVAL_MS: "1000" });
    const p = runTs("collectors/main.ts", env);
    procs.push(p);
    try {
      const rejecter = await conn.createChannel();
      await rejecter.consume(work, (msg) => msg && rejecter.nack(msg, false, false));
      ch.sendToQueue(work, Buffer.from("before"), { messageId: `pg-before-${run}` });
      await ch.waitForConfirms();
      await waitUntil("captured while Postgres is up", async () => (await rows("source = $1", [dlq])).length === 1, 60_000, 250);

      await proxy.cut();
      for (let i = 0; i < 20; i++) ch.sendToQueue(work, Buffer.from(`during ${i}`), { messageId: `pg-during-${run}-${i}` });
      await ch.waitForConfirms();
      const unhealthy = await waitUntil("reported unhealthy", async () => {
        const s = source(await healthz(env), "rabbitmq", "local");
        return s && !s.healthy ? s : null;
      }, 30_000, 250);
      expect(unhealthy.error, p.output().slice(-1500)).toMatch(/cannot write to Postgres/);
      // delivered to Switchyard but not acked: the broker still holds all 20 (its counts refresh every few seconds)
      await waitUntil("20 held unacked in the dead-letter queue", async () => (await depth(dlq)) === 20, 20_000, 500);
      expect((await rows("source = $1", [dlq])).length).toBe(1);

      await proxy.open();
      await waitUntil("caught up", async () => (await rows("source = $1", [dlq])).length === 21, 60_000, 500);
      await waitUntil("drained", async () => (await depth(dlq)) === 0, 30_000, 500);
      await waitUntil("healthy again", async () => source(await healthz(env), "rabbitmq", "local")?.healthy, 30_000, 500);
      await rejecter.close();
    } finally {
      await p.stop();
      await proxy.cut();
    }
  });
});

describe("RabbitMQ without draining, and without the management API", () => {
  it("observe mode reads a stream dead-letter queue without consuming it and leaves a classic one alone", async () => {
    const stream = `it.stream.${run}.dlq`;
    const classic = `it.observed.${run}.dlq`;
    await ch.assertQueue(stream, { durable: true, arguments: { "x-queue-type": "stream" } });
    await ch.assertQueue(classic, { durable: true });
    queues.push(stream, classic);
    for (let i = 0; i < 5; i++) ch.sendToQueue(stream, Buffer.from(`s${i}`), { headers: { "x-first-death-queue": "orders", "x-first-death-reason": "rejected" } });
    for (let i = 0; i < 3; i++) ch.sendToQueue(classic, Buffer.from(`c${i}`));
    await ch.waitForConfirms();
    const env = await runEnv({ DATABASE_URL: db.url, KAFKA_POLL_INTERVAL_MS: "60000", RABBITMQ_POLL_INTERVAL_MS: "1000", RABBITMQ_DLQ_MODE: "observe" });
    for (let round = 0; round < 2; round++) {
      // a second run reads the stream from its start again: still five rows
      const p = runTs("collectors/main.ts", env);
      procs.push(p);
      await waitUntil("stream read", async () => (await rows("source = $1", [stream])).length === 5, 60_000, 500);
      await sleep(2000);
      await p.stop();
    }
    const got = await rows("source = $1", [stream]);
    expect(got.map((x) => x.payload.toString())).toEqual(["s0", "s1", "s2", "s3", "s4"]);
    expect(got[0]).toMatchObject({ reason: "rejected", original_destination: "orders" });

    // the stream deleted and declared again counts offsets from 0 again: its new messages are kept, not taken for the
    // old ones at the same offsets, and a run that reads it again from its start still stores each once
    await ch.deleteQueue(stream);
    await ch.assertQueue(stream, { durable: true, arguments: { "x-queue-type": "stream" } });
    for (let i = 0; i < 5; i++) ch.sendToQueue(stream, Buffer.from(`t${i}`), { headers: { "x-first-death-queue": "orders", "x-first-death-reason": "rejected" } });
    await ch.waitForConfirms();
    const one = runTs("collectors/main.ts", env);
    procs.push(one);
    await waitUntil("the declared-again stream read", async () => (await rows("source = $1", [stream])).length === 10, 60_000, 500);
    await one.stop();
    // read again from its start: t5, at the stream's end, is read after t0-t4 (and stored with them or after), so its
    // row proves they were read again, and the list below that they were not stored twice
    const two = runTs("collectors/main.ts", env);
    procs.push(two);
    ch.sendToQueue(stream, Buffer.from("t5"), { headers: { "x-first-death-queue": "orders", "x-first-death-reason": "rejected" } });
    await ch.waitForConfirms();
    await waitUntil("the stream read again to t5", async () => (await rows("source = $1 and payload = $2", [stream, Buffer.from("t5")])).length === 1, 60_000, 500);
    await two.stop();
    expect((await rows("source = $1", [stream])).map((x) => x.payload.toString()).sort()).toEqual(["s0", "s1", "s2", "s3", "s4", "t0", "t1", "t2", "t3", "t4", "t5"]);
    expect(await rows("source = $1", [classic])).toEqual([]);
    await waitUntil("classic still holds its 3", async () => (await depth(classic)) === 3, 20_000, 500);
    const q = (await client.query("select name, capture_mode from rabbitmq_queues where name in ($1, $2) order by name", [classic, stream])).rows;
    expect(q).toEqual([
      { name: classic, capture_mode: "monitor-only" },
      { name: stream, capture_mode: "observe-stream" },
    ]);
  });

  it("falls back to checkQueue for configured queues, a missing one included, when the management API is down", async () => {
    const named = `it.fallback.${run}`;
    await ch.assertQueue(named, { durable: false });
    queues.push(named);
    for (let i = 0; i < 7; i++) ch.sendToQueue(named, Buffer.from("x"));
    await ch.waitForConfirms();
    const handle = createDb(db.url, { max: 2 });
    const logs: string[] = [];
    const c = new QueueCollector(
      { ...broker, managementUrl: `http://127.0.0.1:${await freePort()}` },
      { intervalMs: 500, dlqPatterns: [], mode: "capture", fallbackQueues: [`no-such-queue-${run}`, named] },
      handle.db,
      (l) => logs.push(l),
    ).start();
    try {
      const sample = await waitUntil("a sample over AMQP", async () => {
        const r = await client.query("select ready, consumers from rabbitmq_queue_samples where queue = $1", [named]);
        return r.rows[0];
      }, 20_000, 250);
      expect(sample).toEqual({ ready: "7", consumers: 0 });
      expect(c.lastError).toMatch(/ECONNREFUSED|fetch failed/);
      expect(logs.join("\n")).toMatch(new RegExp(`no-such-queue-${run}.*404|NOT_FOUND`));
    } finally {
      await c.stop();
      await handle.close();
    }
  });
});

describe("RabbitMQ dead-letter topology through the management API", () => {
  it("follows a dead-letter exchange through an exchange-to-exchange binding, flags a missing one, and drops vanished queues", async () => {
    const dlx = `it.topo.dlx.${run}`;
    const hop = `it.topo.hop.${run}`;
    const dlq = `it.topo.${run}.parked`; // matches no name pattern: found through the bindings alone
    const source = `it.topo.src.${run}`;
    const orphan = `it.topo.orphan.${run}`;
    const gone = `it.topo.gone.${run}`;
    await ch.assertExchange(dlx, "topic", { durable: false });
    await ch.assertExchange(hop, "fanout", { durable: false });
    await ch.bindExchange(hop, dlx, "orders.#");
    await ch.assertQueue(dlq, { durable: false });
    await ch.bindQueue(dlq, hop, "");
    await ch.assertQueue(source, { durable: false, arguments: { "x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "orders.failed" } });
    await ch.assertQueue(orphan, { durable: false, arguments: { "x-dead-letter-exchange": `it.topo.nowhere.${run}` } });
    await ch.assertQueue(gone, { durable: false });
    exchanges.push(hop, dlx);
    queues.push(dlq, source, orphan, gone);

    const handle = createDb(db.url, { max: 2 });
    const c = new QueueCollector(broker, { intervalMs: 10_000, dlqPatterns: [], mode: "observe", fallbackQueues: [] }, handle.db, () => undefined);
    const queueRow = async (name: string) => (await client.query("select * from rabbitmq_queues where name = $1", [name])).rows[0];
    try {
      await c.pollOnce();
      expect(await queueRow(dlq)).toMatchObject({ is_dead_letter_queue: true, dead_letter_sources: [source] });
      expect(await queueRow(source)).toMatchObject({ dead_letter_exchange: dlx, dead_letter_targets: [dlq], dlx_missing: false });
      expect(await queueRow(orphan)).toMatchObject({ dlx_missing: true, dead_letter_targets: [] });
      expect(c.deadLetterQueues.map((q) => q.name)).toContain(dlq);
      // every listed queue got a sample in this poll
      const sampled = await client.query("select count(distinct queue)::int n from rabbitmq_queue_samples where queue = any($1)", [[dlq, source, orphan, gone]]);
      expect(sampled.rows[0].n).toBe(4);

      await ch.deleteQueue(gone);
      await c.pollOnce();
      expect(await queueRow(gone)).toBeUndefined();
      expect(await queueRow(source)).toBeDefined();
    } finally {
      await handle.close();
    }
  });
});
