import { execFile } from "node:child_process";
import { promisify } from "node:util";
import amqp from "amqplib";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { collectorsEnv, config, freshDatabase, healthz, root, runTs, source, waitUntil, type RunningProcess } from "./helpers";

/**
 * RabbitMQ dead-letter capture against the real broker, Postgres and collectors process: identical dead letters kept
 * apart, SIGKILL mid-capture with identical messages, queues of the same name in two vhosts, and hostile headers.
 * Everything happens in vhosts of this run's own, and the collectors here log in as a user of this run's own that
 * can open only those (an administrator, so the management API lists every vhost's queues, as it does for guest):
 * other collectors on this broker cannot take these dead letters, and these collectors cannot take theirs.
 */
const run = `cap-${Date.now().toString(36)}`;
const broker = config.RABBITMQ_BROKERS[0]!;
const user = `${run}-user`;
const password = `pw-${run}`;
const home = `${run}-home`;
const urlFor = (vhost: string) => {
  const u = new URL(broker.amqpUrl);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
};
const auth = `Basic ${Buffer.from(`${broker.managementUser}:${broker.managementPassword}`).toString("base64")}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const exec = promisify(execFile);

/** messages in a queue (ready + unacked), as the management API last saw them */
const depth = async (queue: string, vhost = home) => {
  const r = await fetch(`${broker.managementUrl}/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`, { headers: { authorization: auth } });
  const j = (await r.json()) as { messages?: number };
  return j.messages ?? -1;
};

let db: Awaited<ReturnType<typeof freshDatabase>>;
let client: pg.Client;
let conn: amqp.ChannelModel;
let ch: amqp.ConfirmChannel;
const procs: RunningProcess[] = [];
const queues: string[] = [];
const exchanges: string[] = [];
const vhosts: string[] = [];

const env = (extra: Record<string, string> = {}) =>
  collectorsEnv({
    DATABASE_URL: db.url,
    RABBITMQ_BROKERS: `local=${urlFor(home)}|${broker.managementUrl}`,
    KAFKA_POLL_INTERVAL_MS: "60000",
    KAFKA_DLT_PATTERNS: `${run}-none`,
    RABBITMQ_POLL_INTERVAL_MS: "1000",
    RABBITMQ_DLQ_PATTERNS: `${run}-*.dlq`,
    ...extra,
  });

const count = async (queue: string, vhost = home) =>
  Number((await client.query("select count(*)::int n from dead_letters where source = $1 and vhost = $2", [queue, vhost])).rows[0].n);

/** a work queue whose rejected messages RabbitMQ dead-letters into `<name>.dlq` */
async function workAndDlq(name: string) {
  const dlx = `${run}-${name}.dlx`;
  const dlq = `${run}-${name}.dlq`;
  const work = `${run}-${name}.work`;
  await ch.assertExchange(dlx, "direct", { durable: false });
  await ch.assertQueue(dlq, { durable: true });
  await ch.bindQueue(dlq, dlx, "dead");
  await ch.assertQueue(work, { durable: true, arguments: { "x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "dead" } });
  exchanges.push(dlx);
  queues.push(dlq, work);
  return { dlq, work };
}

/** rejects (without requeue) everything in `work` until `dlq` holds `n` */
async function deadLetter(work: string, dlq: string, n: number) {
  const rejecter = await conn.createChannel();
  await rejecter.prefetch(500);
  await rejecter.consume(work, (msg) => msg && rejecter.nack(msg, false, false));
  await waitUntil(`${n} dead-lettered into ${dlq}`, async () => (await depth(dlq)) === n, 60_000, 500);
  await rejecter.close();
}

async function rabbitmqctl(...args: string[]) {
  await exec("rabbitmqctl", args, { timeout: 60_000 });
}

/**
 * A queue's depth from the queue itself (rabbitmqctl), not the management API's statistics, which an idle queue may
 * not refresh: a queue that got its messages and then nothing (nobody may consume it) can show 0 there for long.
 */
async function exactDepth(queue: string, vhost: string): Promise<number> {
  const { stdout } = await exec("rabbitmqctl", ["list_queues", "-q", "--no-table-headers", "-p", vhost, "name", "messages"], { timeout: 60_000 });
  const line = String(stdout).split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[0] === queue);
  return line ? Number(line[1]) : -1;
}

/** waits for `what`, and says what the collectors logged when it does not happen */
async function waitFor<T>(p: RunningProcess, what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  try {
    return await waitUntil(what, fn, timeoutMs, everyMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}\ncollectors said:\n${p.output().slice(-3000)}`);
  }
}

async function addVhost(v: string, open = true) {
  await rabbitmqctl("add_vhost", v);
  vhosts.push(v);
  if (open) await rabbitmqctl("set_permissions", "-p", v, user, ".*", ".*", ".*");
}

beforeAll(async () => {
  db = await freshDatabase("switchyard_rcap");
  await runMigrations(db.url);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await rabbitmqctl("add_user", user, password);
  await rabbitmqctl("set_user_tags", user, "administrator");
  await addVhost(home);
  conn = await amqp.connect(urlFor(home));
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
  for (const v of vhosts) await rabbitmqctl("delete_vhost", v).catch(() => undefined);
  await rabbitmqctl("delete_user", user).catch(() => undefined);
  await client?.end();
  await db?.drop();
});

describe("RabbitMQ capture keeps distinct dead letters apart", () => {
  it("stores 100 byte-identical dead letters without a message id, rejected within a second, as 100 rows", async () => {
    const { dlq, work } = await workAndDlq("same");
    const n = 100;
    for (let i = 0; i < n; i++) ch.sendToQueue(work, Buffer.from('{"order":"o-1","amount":10}'), { persistent: true, contentType: "application/json" });
    await ch.waitForConfirms();
    await deadLetter(work, dlq, n);
    const e = await env();
    const p = runTs("collectors/main.ts", e);
    procs.push(p);
    await waitFor(p, "the dead-letter queue drained", async () => (await depth(dlq)) === 0, 90_000, 500);
    await waitFor(p, `${n} rows`, async () => (await count(dlq)) >= n, 30_000, 250);
    await sleep(1500); // anything still in flight would show up now
    expect(await count(dlq)).toBe(n);
    // nothing is left marked as awaiting the broker's confirmation
    const pending = (await client.query("select count(*)::int n from dead_letters where source = $1 and capture_pending", [dlq])).rows[0].n;
    expect(pending).toBe(0);
    await p.stop();
  });

  it("keeps apart dead letters a recoverer republished with the same message id and no x-death: different or identical, each is a row", async () => {
    // Spring's RepublishMessageRecoverer and hand-written retry code publish straight to the DLQ, keeping the
    // message id and adding no x-death: each publish is a death of its own
    const { dlq } = await workAndDlq("republished");
    for (const [body, error] of [["A", "first failure"], ["B", "second failure"], ["A", "first failure"]] as const)
      ch.sendToQueue(dlq, Buffer.from(body), { persistent: true, messageId: "rep-1", headers: { "x-exception-message": error } });
    await ch.waitForConfirms();
    const p = runTs("collectors/main.ts", await env());
    procs.push(p);
    await waitFor(p, "the dead-letter queue drained", async () => (await depth(dlq)) === 0, 90_000, 500);
    await waitFor(p, "3 rows", async () => (await count(dlq)) >= 3, 30_000, 250);
    await sleep(1500);
    const rows = (await client.query<{ b: string; m: string | null }>("select convert_from(payload, 'UTF8') b, error_message m from dead_letters where source = $1 order by id", [dlq])).rows;
    expect(rows.map((r) => r.b)).toEqual(["A", "B", "A"]);
    await p.stop();
  });

  it("loses nothing and duplicates nothing when killed while capturing identical dead letters without message ids", async () => {
    const { dlq, work } = await workAndDlq("samekill");
    const n = 3000;
    const body = Buffer.from(JSON.stringify({ same: true, pad: "x".repeat(200) }));
    for (let i = 0; i < n; i++) ch.sendToQueue(work, body, { persistent: true });
    await ch.waitForConfirms();
    await deadLetter(work, dlq, n);
    const e = await env({ RABBITMQ_CAPTURE_PREFETCH: "200" });
    const first = runTs("collectors/main.ts", e);
    procs.push(first);
    await waitUntil("capture under way", async () => (await count(dlq)) > 0, 60_000, 10);
    await first.stop("SIGKILL");
    const atKill = await count(dlq);
    expect(atKill).toBeLessThan(n);

    const second = runTs("collectors/main.ts", e);
    procs.push(second);
    await waitFor(second, "the dead-letter queue is empty", async () => (await depth(dlq)) === 0, 120_000, 500);
    await waitFor(second, `${n} captured`, async () => (await count(dlq)) >= n, 30_000, 250);
    await sleep(1500);
    expect(await count(dlq), `killed at ${atKill} rows`).toBe(n);
    await second.stop();
  });
});

describe("RabbitMQ capture in every virtual host", () => {
  it("captures two queues of the same name in two vhosts each on its own vhost, and says which vhost it cannot open", async () => {
    const [a, b, closed] = [`${run}-a`, `${run}-b`, `${run}-closed`];
    const twin = `${run}-twin.dlq`;
    for (const v of [a, b, closed]) await addVhost(v);
    for (const v of [a, b, closed]) {
      const c = await amqp.connect(urlFor(v));
      const cc = await c.createConfirmChannel();
      await cc.assertQueue(twin, { durable: true });
      for (let i = 0; i < 10; i++) cc.sendToQueue(twin, Buffer.from(`${v} #${i}`), { messageId: `${v}-${i}` });
      await cc.waitForConfirms();
      await c.close();
    }
    // the collectors' user still lists the closed vhost's queues (it is an administrator) but cannot open it
    await rabbitmqctl("clear_permissions", "-p", closed, user);

    // the configured URL names vhost a: before, everything was consumed on a's connection
    const e = await env({ RABBITMQ_BROKERS: `local=${urlFor(a)}|${broker.managementUrl}` });
    const p = runTs("collectors/main.ts", e);
    procs.push(p);
    await waitFor(p, "both twins drained", async () => (await depth(twin, a)) === 0 && (await depth(twin, b)) === 0, 60_000, 500);
    await waitFor(p, "20 rows", async () => (await count(twin, a)) + (await count(twin, b)) >= 20, 30_000, 250);
    await sleep(1500);
    const got = (await client.query("select vhost, convert_from(payload, 'UTF8') body from dead_letters where source = $1 order by vhost, body", [twin])).rows;
    expect(got).toHaveLength(20);
    for (const r of got) expect(r.body.startsWith(`${r.vhost} #`), `${r.body} labelled ${r.vhost}`).toBe(true);
    expect(got.filter((r) => r.vhost === a)).toHaveLength(10);
    expect(got.filter((r) => r.vhost === b)).toHaveLength(10);
    // the queue in the vhost it cannot open is not shown as captured, and says why
    const state = await waitFor(p, "the closed vhost's queue reported", async () => {
      const r = await client.query("select vhost, capture_mode, capture_error from rabbitmq_queues where name = $1 and vhost = $2", [twin, closed]);
      return r.rows[0]?.capture_mode && r.rows[0].capture_mode !== "capture" ? r.rows[0] : null;
    }, 30_000, 500);
    expect(state).toMatchObject({ capture_mode: "not-captured" });
    expect(state.capture_error).toMatch(/access|refused|NOT_ALLOWED/i);
    expect(await exactDepth(twin, closed)).toBe(10);
    const captured = (await client.query("select vhost, capture_mode, capture_error from rabbitmq_queues where name = $1 and vhost = any($2) order by vhost", [twin, [a, b]])).rows;
    expect(captured).toEqual([
      { vhost: a, capture_mode: "capture", capture_error: null },
      { vhost: b, capture_mode: "capture", capture_error: null },
    ]);
    expect(p.output()).not.toContain(password);
    await p.stop();
  });
});

describe("RabbitMQ capture with hostile headers", () => {
  it("stores a NUL in a header value, a header name and the body beside 10 normal messages, and stays healthy", async () => {
    const dlq = `${run}-nul.dlq`;
    await ch.assertQueue(dlq, { durable: true });
    queues.push(dlq);
    const body = Buffer.from("before\u0000after");
    ch.sendToQueue(dlq, body, {
      headers: {
        "x-bad": "a\u0000b",
        "x-bad\u0000name": "v",
        "x-death": [{ queue: "orders\u0000", reason: "rejected\u0000", count: 2 ** 40, time: { "!": "timestamp", value: 2 ** 52 }, "routing-keys": ["k\u0000"] }],
        "x-first-death-queue": "orders\u0000",
      },
    });
    for (let i = 0; i < 10; i++) ch.sendToQueue(dlq, Buffer.from(`normal ${i}`));
    await ch.waitForConfirms();
    const e = await env();
    const p = runTs("collectors/main.ts", e);
    procs.push(p);
    await waitFor(p, "the dead-letter queue drained", async () => (await depth(dlq)) === 0, 60_000, 500);
    const got = await waitFor(p, "11 rows", async () => {
      const r = (await client.query("select * from dead_letters where source = $1 order by id", [dlq])).rows;
      return r.length >= 11 ? r : null;
    }, 30_000, 250);
    expect(got).toHaveLength(11);
    const bad = got.find((r) => Buffer.compare(r.payload, body) === 0)!;
    expect(bad, "the NUL message is stored with its bytes").toBeDefined();
    const h = bad.headers as Record<string, unknown>;
    expect(Buffer.from((h["x-bad"] as { base64: string }).base64, "base64").toString()).toBe("a\u0000b");
    const moved = h["x-bad\ufffdname"] as { name: { base64: string }; value: unknown };
    expect(Buffer.from(moved.name.base64, "base64").toString()).toBe("x-bad\u0000name");
    expect(moved.value).toBe("v");
    expect(bad.original_destination).toBe("orders\ufffd");
    expect(got.filter((r) => r.payload.toString().startsWith("normal ")).map((r) => r.payload.toString()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `normal ${i}`).sort());
    await sleep(2500); // a health check or two after the capture
    const s = source(await healthz(e), "rabbitmq", "local");
    expect(s?.healthy, s?.error ?? "").toBe(true);
    await p.stop();
  });

  it("keeps capturing past a header nested 9,000 deep (the deepest that fits a frame), stored as its raw bytes", async () => {
    const dlq = `${run}-deep.dlq`;
    await ch.assertQueue(dlq, { durable: true });
    queues.push(dlq);
    // amqplib's own encoder needs a bigger stack for this; a producer in another language would not
    const script = `
      const amqp = require("amqplib");
      (async () => {
        const c = await amqp.connect(process.argv[1]);
        const ch = await c.createConfirmChannel();
        let deep = "leaf";
        for (let i = 0; i < 9000; i++) deep = { d: deep };
        ch.sendToQueue(process.argv[2], Buffer.from("deep"), { headers: { deep, "x-order-id": "o-deep" } });
        await ch.waitForConfirms();
        await c.close();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    await exec(process.execPath, ["--stack-size=50000", "-e", script, urlFor(home), dlq], { cwd: root, timeout: 60_000 });
    for (let i = 0; i < 3; i++) ch.sendToQueue(dlq, Buffer.from(`after ${i}`));
    await ch.waitForConfirms();
    const e = await env();
    const p = runTs("collectors/main.ts", e);
    procs.push(p);
    await waitFor(p, "the dead-letter queue drained", async () => (await depth(dlq)) === 0, 60_000, 500);
    const got = await waitFor(p, "4 rows", async () => {
      const r = (await client.query("select * from dead_letters where source = $1 order by id", [dlq])).rows;
      return r.length >= 4 ? r : null;
    }, 30_000, 250);
    expect(got.map((r) => r.payload.toString()).sort()).toEqual(["after 0", "after 1", "after 2", "deep"]);
    const deep = got.find((r) => r.payload.toString() === "deep")!;
    const raw = (deep.headers as Record<string, { base64: string }>)["switchyard.undecodable-headers"];
    expect(raw, JSON.stringify(deep.headers).slice(0, 300)).toBeDefined();
    // the raw AMQP field table: the order id is in it, readable
    expect(Buffer.from(raw!.base64, "base64").includes(Buffer.from("o-deep"))).toBe(true);
    await p.stop();
  });
});
