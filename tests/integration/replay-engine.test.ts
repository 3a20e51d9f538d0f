import { execFile } from "node:child_process";
import { promisify } from "node:util";
import amqp from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { createReplay } from "../../db/mutations/create-replay";
import { cancelReplay } from "../../db/mutations/cancel-replay";
import { pauseReplay } from "../../db/mutations/pause-replay";
import { resumeReplay } from "../../db/mutations/resume-replay";
import { storeDeadLetters, type NewDeadLetter } from "../../db/queries/dead-letter-store";
import { getReplay, listReplayItems } from "../../db/queries/replays";
import type { Actor } from "../../lib/audit";
import { collectorsEnv, config, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/**
 * The replay engine in the real collectors process, on the real brokers: 2,000 dead letters from each system
 * replayed while the collectors are killed (SIGKILL) twice and restarted; a consumer on the original destination
 * counts what arrived. Kafka: every one exactly once. RabbitMQ: every one at least once, duplicates only among the
 * items the replay reported uncertain. Then rate, dry run, pause and cancel, counted on the broker.
 */
const actor: Actor = { user: "it-operator", role: "operator", requestId: "it", clientAddress: "127.0.0.1" };
const run = `${process.pid}-${Date.now().toString(36)}`;
const cluster = config.KAFKA_CLUSTERS[0]!;
const broker = config.RABBITMQ_BROKERS[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rabbitmqctl = (...args: string[]) => promisify(execFile)("rabbitmqctl", args, { timeout: 60_000 });

describe("replay engine", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let env: Record<string, string>;
  let collectors: RunningProcess | null = null;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const kafka = new Kafka({ clientId: "it-replay", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topics: string[] = [];
  const queues: string[] = [];
  let seq = 0;

  const start = () => {
    collectors = runTs("collectors/main.ts", env);
    return collectors;
  };
  let said = "";
  const kill = async () => {
    await collectors?.stop("SIGKILL");
    said += collectors?.output() ?? "";
    collectors = null;
  };

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_replay");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 4 });
    env = await collectorsEnv({ DATABASE_URL: fresh.url, KAFKA_GROUP_INCLUDE: `it-replay-none-${run}` });
    conn = await amqp.connect(broker.amqpUrl);
    ch = await conn.createChannel();
    await admin.connect();
  });
  const vhosts: string[] = [];
  afterAll(async () => {
    await kill();
    for (const v of vhosts) await rabbitmqctl("delete_vhost", v).catch(() => undefined);
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    await conn?.close().catch(() => undefined);
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await h?.close();
    await fresh?.drop();
  });

  async function rabbitDeadLetters(queue: string, n: number): Promise<number[]> {
    const rows: NewDeadLetter[] = Array.from({ length: n }, (_, i) => ({
      system: "rabbitmq",
      sourceName: broker.name,
      vhost: "/",
      source: `${queue}.dlq`,
      dedupKey: `it-${run}-${seq++}`,
      payload: Buffer.from(JSON.stringify({ i, note: "x".repeat(100) })),
      payloadSize: 120,
      headers: { "x-app": "keep", "x-death": [{ count: 1, reason: "rejected", queue, exchange: "", "routing-keys": [queue] }] },
      properties: { messageId: `m-${queue}-${i}`, contentType: "application/json", deliveryMode: 2 },
      reason: "rejected",
      originalDestination: queue,
      originalExchange: "",
      originalRoutingKey: queue,
    }));
    for (let i = 0; i < rows.length; i += 500) await storeDeadLetters(h.db, rows.slice(i, i + 500));
    const r = await h.pool.query<{ id: string }>("select id from dead_letters where source = $1 order by id", [`${queue}.dlq`]);
    return r.rows.map((x) => Number(x.id));
  }

  async function kafkaDeadLetters(topic: string, n: number): Promise<number[]> {
    const rows: NewDeadLetter[] = Array.from({ length: n }, (_, i) => ({
      system: "kafka",
      sourceName: cluster.name,
      source: `${topic}.DLT`,
      dedupKey: `${topic}.DLT/0/${i}`,
      messageKey: Buffer.from(`k-${i}`),
      payload: Buffer.from(JSON.stringify({ i })),
      payloadSize: 10,
      headers: { "x-app": "keep", "kafka_dlt-original-topic": topic, "kafka_dlt-exception-message": "boom" },
      kafkaPartition: 0,
      kafkaOffset: i,
      reason: "exception",
      originalDestination: `${topic}[${i % 3}]@${i}`,
    }));
    for (let i = 0; i < rows.length; i += 500) await storeDeadLetters(h.db, rows.slice(i, i + 500));
    const r = await h.pool.query<{ id: string }>("select id from dead_letters where source = $1 order by id", [`${topic}.DLT`]);
    return r.rows.map((x) => Number(x.id));
  }

  /** Every message on a queue, as the consumer sees it: its message id, replay item header and arrival time. */
  async function consume(queue: string) {
    const got: { messageId: string; item: string | null; replayId: string | null; app: unknown; xDeath: boolean; at: number }[] = [];
    const c = await conn.createChannel();
    await c.prefetch(500);
    await c.consume(queue, (m) => {
      if (!m) return;
      const hd = m.properties.headers ?? {};
      got.push({ messageId: m.properties.messageId, item: hd["x-switchyard-replay-item"] ?? null, replayId: hd["x-switchyard-replay-id"] ?? null, app: hd["x-app"], xDeath: "x-death" in hd, at: Date.now() });
      c.ack(m);
    });
    return { got, close: () => c.close().catch(() => undefined) };
  }

  /** Kills the collectors twice while the replay is sending (after `sent` items each time), then lets it finish. */
  async function killTwiceDuring(id: number, total: number) {
    for (const frac of [0.25, 0.6]) {
      await waitUntil(`replay ${id} past ${frac * 100}%`, async () => ((await getReplay(h.db, id))!.sent >= total * frac ? true : null), 120_000, 50).catch((e: Error) => {
        throw new Error(`${e.message}; the collectors said:\n${collectors?.output().slice(-3000)}`);
      });
      await kill();
      await sleep(300);
      start();
    }
    const done = await waitUntil(`replay ${id} done`, async () => {
      const r = (await getReplay(h.db, id))!;
      return r.status === "done" ? r : null;
    }, 180_000, 500);
    // done means no batch is left open (none of its items still sending)
    expect((await h.pool.query("select count(*)::int n from replay_batches where replay_id = $1", [id])).rows[0].n).toBe(0);
    return done;
  }

  it("Kafka: 2,000 dead letters replayed through two SIGKILLs arrive exactly once each, with the app's headers and not the DLT's", async () => {
    const topic = `it-replay-k-${run}`;
    topics.push(topic);
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const ids = await kafkaDeadLetters(topic, 2000);
    expect(ids).toHaveLength(2000);
    start();
    const { id } = await createReplay(h.db, { selection: { filter: { system: "kafka", source: `${topic}.DLT`, exact: true } }, ratePerSecond: 400, force: false, dryRun: false, maxAttempts: 3 }, actor);
    const done = await killTwiceDuring(id, 2000);
    expect(done).toMatchObject({ status: "done", confirmed: 2000, remaining: 0, skipped: 0 });
    // the kills landed mid-send: the restarted process found items caught sending and looked for them
    await kill();
    expect(said).toMatch(/recovered \d+ Kafka items caught sending/);

    const seen = new Map<string, number>();
    const reader = kafka.consumer({ groupId: `it-replay-reader-${run}` });
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    let bad = 0;
    await reader.run({
      eachMessage: async ({ message }) => {
        const item = message.headers?.["x-switchyard-replay-item"]?.toString() ?? "none";
        seen.set(item, (seen.get(item) ?? 0) + 1);
        if (message.headers?.["x-app"]?.toString() !== "keep" || Object.keys(message.headers ?? {}).some((k) => k.startsWith("kafka_dlt-"))) bad++;
        if (message.headers?.["x-switchyard-replay-id"]?.toString() !== String(id)) bad++;
      },
    });
    await waitUntil("2,000 records read", async () => ([...seen.values()].reduce((a, b) => a + b, 0) >= 2000 ? true : null), 60_000);
    await sleep(1500);
    await reader.disconnect();
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(2000);
    expect(seen.size).toBe(2000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(bad).toBe(0);
    const dl = await h.pool.query("select status, count(*)::int n from dead_letters where id = any($1) group by 1", [ids]);
    expect(dl.rows).toEqual([{ status: "replayed", n: 2000 }]);
  }, 400_000);

  it("RabbitMQ: 2,000 dead letters replayed through two SIGKILLs arrive at least once each; duplicates only among the uncertain", async () => {
    const queue = `it-replay-r-${run}`;
    queues.push(queue);
    await ch.assertQueue(queue, { durable: true });
    const ids = await rabbitDeadLetters(queue, 2000);
    if (!collectors) start();
    const consumer = await consume(queue);
    const { id } = await createReplay(h.db, { selection: { filter: { system: "rabbitmq", source: `${queue}.dlq`, exact: true } }, ratePerSecond: 400, force: false, dryRun: false, maxAttempts: 3 }, actor);
    const done = await killTwiceDuring(id, 2000);
    expect(done).toMatchObject({ status: "done", confirmed: 2000, remaining: 0 });
    await waitUntil("every message consumed", async () => (new Set(consumer.got.map((g) => g.messageId)).size >= 2000 ? true : null), 30_000);
    await sleep(1000);
    await consumer.close();
    const counts = new Map<string, number>();
    for (const g of consumer.got) counts.set(g.messageId, (counts.get(g.messageId) ?? 0) + 1);
    expect(counts.size).toBe(2000);
    const uncertain = await h.pool.query<{ id: string }>("select id::text || ':' || span_id as id from replay_items where replay_id = $1 and resent", [id]);
    const uncertainItems = new Set(uncertain.rows.map((r) => r.id));
    const dupItems = consumer.got.filter((g) => counts.get(g.messageId)! > 1).map((g) => g.item!);
    expect(dupItems.every((i) => uncertainItems.has(i))).toBe(true);
    expect(done.uncertain).toBe(uncertainItems.size);
    expect(done.uncertain).toBeGreaterThan(0); // the kills landed mid-send
    expect(consumer.got.every((g) => g.app === "keep" && !g.xDeath && String(g.replayId) === String(id))).toBe(true);
    const dl = await h.pool.query("select status, count(*)::int n from dead_letters where id = any($1) group by 1", [ids]);
    expect(dl.rows).toEqual([{ status: "replayed", n: 2000 }]);
  }, 400_000);

  it("holds the rate within 10% over a 30 s replay, a dry run sends nothing, pause stops within a second, cancel leaves the rest", async () => {
    if (!collectors) start();
    // dry run: nothing on the broker
    const dryQ = `it-replay-dry-${run}`;
    queues.push(dryQ);
    await ch.assertQueue(dryQ, { durable: true });
    await rabbitDeadLetters(dryQ, 50);
    const dry = await createReplay(h.db, { selection: { filter: { source: `${dryQ}.dlq`, exact: true } }, ratePerSecond: 1000, force: false, dryRun: true, maxAttempts: 3 }, actor);
    expect(dry).toMatchObject({ status: "done", plan: { total: 50, byDestination: [{ system: "rabbitmq", destination: `(default exchange) / ${dryQ}`, count: 50 }] } });

    // rate: 600 at 20/s
    const rateQ = `it-replay-rate-${run}`;
    queues.push(rateQ);
    await ch.assertQueue(rateQ, { durable: true });
    await rabbitDeadLetters(rateQ, 600);
    const consumer = await consume(rateQ);
    const rated = await createReplay(h.db, { selection: { filter: { source: `${rateQ}.dlq`, exact: true } }, ratePerSecond: 20, force: false, dryRun: false, maxAttempts: 3 }, actor);

    // pause / resume / cancel on a second replay while the first runs
    const pq = `it-replay-pause-${run}`;
    queues.push(pq);
    await ch.assertQueue(pq, { durable: true });
    const pIds = await rabbitDeadLetters(pq, 400);
    const pc = await consume(pq);
    const p = await createReplay(h.db, { selection: { filter: { source: `${pq}.dlq`, exact: true } }, ratePerSecond: 50, force: false, dryRun: false, maxAttempts: 3 }, actor);
    await waitUntil("pause replay sending", async () => (pc.got.length >= 40 ? true : null), 30_000, 50);
    const paused = await pauseReplay(h.db, p.id, actor);
    expect(paused.status).toBe("paused");
    await sleep(1000);
    const atOneSecond = pc.got.length;
    await sleep(3000);
    expect(pc.got.length).toBe(atOneSecond);
    expect((await getReplay(h.db, p.id))!.status).toBe("paused");
    // the batch claimed beside the last send went back to pending: a paused replay holds nothing in sending
    const held = await h.pool.query("select status, count(*)::int n from replay_items where replay_id = $1 group by 1 order by 1", [p.id]);
    expect(held.rows.find((r) => r.status === "sending")).toBeUndefined();
    const heldN = (st: string) => held.rows.find((r) => r.status === st)?.n ?? 0;
    expect(heldN("pending")).toBeGreaterThan(0);
    expect(heldN("pending") + heldN("confirmed")).toBe(400);
    await resumeReplay(h.db, p.id, actor);
    await waitUntil("resumed", async () => (pc.got.length > atOneSecond + 20 ? true : null), 30_000, 50);
    const cancelled = await cancelReplay(h.db, p.id, actor);
    expect(cancelled.status).toBe("cancelled");
    await sleep(1500);
    const sentBeforeCancel = pc.got.length;
    const after = (await getReplay(h.db, p.id))!;
    expect(after.cancelled).toBeGreaterThan(0);
    expect(after.confirmed + after.cancelled).toBe(400);
    expect(sentBeforeCancel).toBe(after.confirmed);
    const st = await h.pool.query("select status, count(*)::int n from dead_letters where id = any($1) group by 1 order by 1", [pIds]);
    expect(st.rows).toEqual(
      [
        { status: "new", n: after.cancelled },
        { status: "replayed", n: after.confirmed },
      ].sort((a, b) => a.status.localeCompare(b.status)),
    );
    await pc.close();

    // the dry run's queue is still empty
    expect((await ch.checkQueue(dryQ)).messageCount).toBe(0);

    await waitUntil("600 at 20/s", async () => (consumer.got.length >= 600 ? true : null), 90_000, 200);
    await consumer.close();
    const secs = (consumer.got.at(-1)!.at - consumer.got[0]!.at) / 1000;
    // 599 gaps of 50 ms: 29.95 s
    expect(secs).toBeGreaterThan(29.95 * 0.9);
    expect(secs).toBeLessThan(29.95 * 1.1);
    await waitUntil("the rated replay done", async () => ((await getReplay(h.db, rated.id))!.status === "done" ? true : null), 10_000);
    // an illegal transition is a 409 (ConflictError), audited by the route, and changes nothing
    await expect(resumeReplay(h.db, rated.id, actor)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/is done: it cannot be resumed/) });
    await expect(pauseReplay(h.db, dry.id, actor)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/dry run/) });
    expect((await getReplay(h.db, rated.id))!.status).toBe("done");
  }, 300_000);
  it("hostile input: identical messages, NUL and invalid UTF-8, a record too large for Kafka, a routing key to nowhere, two vhosts", async () => {
    if (!collectors) start();
    const user = new URL(broker.amqpUrl).username || "guest";
    // the same queue name in the default vhost and in one of this run's own
    const v = `it-replay-vh-${run}`;
    await rabbitmqctl("add_vhost", v);
    vhosts.push(v);
    await rabbitmqctl("set_permissions", "-p", v, user, ".*", ".*", ".*");
    const q = `it-replay-h-${run}`;
    queues.push(q);
    await ch.assertQueue(q, { durable: true });
    const vconn = await amqp.connect(broker.amqpUrl.replace(/\/?$/, "/") + encodeURIComponent(v));
    const vch = await vconn.createChannel();
    await vch.assertQueue(q, { durable: true });

    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x7b, 0x00, 0x7d]); // NUL, invalid UTF-8
    const base = (i: number, vhost: string, extra: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
      system: "rabbitmq",
      sourceName: broker.name,
      vhost,
      source: `${q}.dlq`,
      dedupKey: `h-${run}-${seq++}`,
      payload: i < 100 ? Buffer.from("same payload") : bytes,
      payloadSize: 12,
      headers: { "x-app": "keep", "x-nul\u0000name": "v" },
      properties: { messageId: "same-id", deliveryMode: 2 },
      reason: "rejected",
      originalExchange: "",
      originalRoutingKey: q,
      ...extra,
    });
    // 100 identical dead letters, one of hostile bytes, one whose routing key reaches no queue, one in the other vhost,
    // and one with a header name AMQP cannot carry (over 255 bytes) among the identical ones: refused alone, its
    // neighbours' confirms still theirs
    const rows = [
      ...Array.from({ length: 50 }, (_, i) => base(i, "/")),
      base(0, "/", { headers: { ["x-" + "n".repeat(300)]: "v" } }),
      ...Array.from({ length: 51 }, (_, i) => base(50 + i, "/")),
      base(0, "/", { originalRoutingKey: `nowhere-${run}` }),
      base(200, v),
    ];
    await storeDeadLetters(h.db, rows);
    const ids = (await h.pool.query<{ id: string }>("select id from dead_letters where source = $1 order by id", [`${q}.dlq`])).rows.map((r) => Number(r.id));
    expect(ids).toHaveLength(104);
    const home = await consume(q);
    const other: Buffer[] = [];
    await vch.consume(q, (m) => {
      if (m) {
        other.push(m.content);
        vch.ack(m);
      }
    });
    const r1 = await createReplay(h.db, { selection: { filter: { source: `${q}.dlq`, exact: true } }, ratePerSecond: 500, force: false, dryRun: false, maxAttempts: 3 }, actor);
    const done = await waitUntil("hostile replay done", async () => {
      const r = (await getReplay(h.db, r1.id))!;
      return r.status === "done" ? r : null;
    }, 60_000);
    expect(done).toMatchObject({ total: 104, confirmed: 102, skipped: 2 });
    await waitUntil("101 on the home queue and 1 in the other vhost", async () => (home.got.length >= 101 && other.length >= 1 ? true : null), 30_000);
    await sleep(500);
    await home.close();
    expect(home.got).toHaveLength(101); // identical messages: every one arrives
    expect(other).toHaveLength(1);
    expect(other[0]!.equals(bytes)).toBe(true); // bytes exactly as captured
    const skippedBoth = (await listReplayItems(h.db, r1.id, { status: "skipped", limit: 10 }))!.items;
    expect(skippedBoth).toHaveLength(2);
    expect(skippedBoth.filter((i) => /^cannot be sent as AMQP/.test(i.error ?? ""))).toHaveLength(1);
    const skipped = skippedBoth.filter((i) => !/^cannot be sent as AMQP/.test(i.error ?? ""));
    expect(skipped[0]!.error).toMatch(/no queue is bound to the default exchange with routing key nowhere-/);
    // the unroutable one is not lost: its dead letter is new again
    const st = await h.pool.query("select status from dead_letters where id = $1", [skipped[0]!.deadLetterId]);
    expect(st.rows[0].status).toBe("new");
    await vch.close();
    await vconn.close();

    // Kafka: a record over the broker's limit is refused with why; the others in its batch still go
    const topic = `it-replay-big-${run}`;
    topics.push(topic);
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "100000" }] }], waitForLeaders: true });
    const big: NewDeadLetter[] = [0, 1, 2].map((i) => ({
      system: "kafka",
      sourceName: cluster.name,
      source: `${topic}.DLT`,
      dedupKey: `${topic}.DLT/0/${i}`,
      payload: i === 1 ? Buffer.alloc(300_000, 0x61) : Buffer.from(`small-${i}`),
      payloadSize: i === 1 ? 300_000 : 7,
      headers: {},
      originalDestination: topic,
    }));
    await storeDeadLetters(h.db, big);
    const r2 = await createReplay(h.db, { selection: { filter: { source: `${topic}.DLT`, exact: true } }, ratePerSecond: 100, force: false, dryRun: false, maxAttempts: 3 }, actor);
    const d2 = await waitUntil("big replay done", async () => {
      const r = (await getReplay(h.db, r2.id))!;
      return r.status === "done" ? r : null;
    }, 60_000);
    expect(d2).toMatchObject({ total: 3, confirmed: 2, skipped: 1 });
    const refused = (await listReplayItems(h.db, r2.id, { status: "skipped", limit: 10 }))!.items;
    expect(refused[0]!.error).toMatch(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/);
  }, 200_000);
  it("a typed destination: an existing queue gets the messages; a topic or queue that does not exist fails the replay with nothing sent", async () => {
    if (!collectors) start();
    const q = `it-replay-typed-${run}`;
    const target = `it-replay-typed-target-${run}`;
    queues.push(q, target);
    await ch.assertQueue(target, { durable: true });
    const ids = await rabbitDeadLetters(q, 5);
    const got = await consume(target);
    const ok = await createReplay(h.db, { selection: { ids }, destination: target, ratePerSecond: 100, force: false, dryRun: false, maxAttempts: 3 }, actor);
    await waitUntil("typed replay done", async () => ((await getReplay(h.db, ok.id))!.status === "done" ? true : null), 30_000);
    await waitUntil("5 on the typed queue", async () => (got.got.length >= 5 ? true : null), 10_000);
    await got.close();

    const more = await rabbitDeadLetters(`${q}-b`, 3);
    const missing = await createReplay(h.db, { selection: { ids: more }, destination: `no-such-queue-${run}`, ratePerSecond: 100, force: false, dryRun: false, maxAttempts: 3 }, actor);
    const failed = await waitUntil("replay to a missing queue failed", async () => {
      const r = (await getReplay(h.db, missing.id))!;
      return r.status === "failed" ? r : null;
    }, 30_000);
    expect(failed).toMatchObject({ sent: 0, confirmed: 0, cancelled: 3 });
    expect(failed.error).toMatch(/queue no-such-queue-.* does not exist in vhost \//);
    const st = await h.pool.query("select distinct status from dead_letters where id = any($1)", [more]);
    expect(st.rows).toEqual([{ status: "new" }]);

    const topic = `it-replay-typed-k-${run}`;
    const kIds = await kafkaDeadLetters(topic, 2);
    const kMissing = await createReplay(h.db, { selection: { ids: kIds }, destination: `no-such-topic-${run}`, ratePerSecond: 100, force: false, dryRun: false, maxAttempts: 3 }, actor);
    const kf = await waitUntil("replay to a missing topic failed", async () => {
      const r = (await getReplay(h.db, kMissing.id))!;
      return r.status === "failed" ? r : null;
    }, 30_000);
    expect(kf).toMatchObject({ sent: 0, confirmed: 0, cancelled: 2 });
    expect(kf.error).toMatch(/topic no-such-topic-.* does not exist/);
  }, 120_000);
  it("cancelled while the collectors are down mid-send: items caught sending are settled when they come back, none left sending", async () => {
    if (!collectors) start();
    const q = `it-replay-cx-${run}`;
    queues.push(q);
    await ch.assertQueue(q, { durable: true });
    const ids = await rabbitDeadLetters(q, 400);
    const got = await consume(q);
    const { id } = await createReplay(h.db, { selection: { ids }, ratePerSecond: 100, force: false, dryRun: false, maxAttempts: 3 }, actor);
    await waitUntil("a quarter sent", async () => ((await getReplay(h.db, id))!.sent >= 100 ? true : null), 60_000, 50);
    await kill();
    const cancelled = await cancelReplay(h.db, id, actor);
    expect(cancelled.status).toBe("cancelled");
    start();
    const settled = await waitUntil("nothing left sending", async () => {
      const r = (await getReplay(h.db, id))!;
      return r.remaining === 0 ? r : null;
    }, 60_000);
    await sleep(1000);
    await got.close();
    // every item has an end: confirmed (or uncertain) or cancelled; the consumer got at least every confirmed one
    const items = await h.pool.query<{ status: string; n: number }>("select status, count(*)::int n from replay_items where replay_id = $1 group by 1", [id]);
    expect(items.rows.every((r) => ["confirmed", "uncertain", "cancelled"].includes(r.status))).toBe(true);
    expect(items.rows.reduce((a, r) => a + r.n, 0)).toBe(400);
    expect((await h.pool.query("select count(*)::int n from replay_batches where replay_id = $1", [id])).rows[0].n).toBe(0);
    expect(new Set(got.got.map((g) => g.messageId)).size).toBeGreaterThanOrEqual(settled.confirmed);
    // no dead letter is left replaying: each is replayed (sent) or new again (cancelled before it was sent)
    const st = await h.pool.query("select status, count(*)::int n from dead_letters where id = any($1) group by 1 order by 1", [ids]);
    expect(st.rows.map((r) => r.status).sort()).toEqual(["new", "replayed"]);
    expect(st.rows.find((r) => r.status === "new")!.n).toBe(settled.cancelled);
  }, 120_000);

  it("a queue that nacks (full, reject-publish): nacked items are sent again, and a cancel ends them all, none left pending or replaying", async () => {
    if (!collectors) start();
    const q = `it-replay-full-${run}`;
    queues.push(q);
    // the broker nacks every publish past 5 messages
    await ch.assertQueue(q, { durable: true, arguments: { "x-max-length": 5, "x-overflow": "reject-publish" } });
    const ids = await rabbitDeadLetters(q, 60);
    const { id } = await createReplay(h.db, { selection: { ids }, ratePerSecond: 200, force: false, dryRun: false, maxAttempts: 3 }, actor);
    await waitUntil("5 confirmed, the rest nacked and tried again", async () => {
      const r = (await getReplay(h.db, id))!;
      return r.confirmed >= 5 && r.remaining === 55 ? r : null;
    }, 30_000, 100);
    // nacked ones go round again: still nothing confirmed past the 5 the queue holds
    await sleep(1500);
    expect((await getReplay(h.db, id))!.confirmed).toBe(5);
    await cancelReplay(h.db, id, actor);
    const end = await waitUntil("nothing left pending", async () => {
      const r = (await getReplay(h.db, id))!;
      return r.remaining === 0 ? r : null;
    }, 30_000, 200);
    expect(end).toMatchObject({ status: "cancelled", confirmed: 5, cancelled: 55 });
    const st = await h.pool.query("select status, count(*)::int n from dead_letters where id = any($1) group by 1 order by 1", [ids]);
    expect(st.rows).toEqual([
      { status: "new", n: 55 },
      { status: "replayed", n: 5 },
    ]);
    expect((await h.pool.query("select count(*)::int n from replay_batches where replay_id = $1", [id])).rows[0].n).toBe(0);
  }, 90_000);
});
