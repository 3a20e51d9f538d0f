/**
 * `npm run bench:replay`: replay throughput, against the real brokers.
 *
 * RabbitMQ: BENCH_MESSAGES (default 50,000) dead letters of 1 KiB, persistent, replayed by the collectors' replay
 * engine (collectors/replay/engine.ts, publisher confirms, every item's state in Postgres before and after its send)
 * at REPLAY_MAX_RATE to a fresh durable queue; timed from the replay's creation until it is done and the queue
 * holds them all. Side by side in the same run, the shovel plugin's "Move messages" (what the management UI does: a
 * dynamic shovel with src-delete-after "queue-length", here with ack-mode on-confirm) moving the same number of the
 * same messages from a queue to a fresh durable queue; timed from the shovel's creation until the destination holds
 * them all. And the floor under any replay from Node: the same messages published by amqplib with publisher
 * confirms and nothing else. The three alternate, BENCH_ROUNDS (default 2) each, so the host's drift weighs on all alike.
 *
 * BENCH_PEERS=0 runs only Switchyard's replays (for profiling a change; no comparison), BENCH_KAFKA=0 skips Kafka's,
 * BENCH_KEEP_DB=1 leaves the benchmark's database in place afterwards (to look at its plans and statistics), and
 * BENCH_SQL runs its SQL in the benchmark's database once it is migrated (to try a storage or index change first).
 *
 * Kafka (skipped with BENCH_KAFKA=0): the same number of 1 KiB Kafka dead letters replayed (acks=all, idempotent producer) to a fresh topic of
 * 3 partitions; timed until the replay is done and the topic's end offsets add up to them.
 *
 * The engine runs in this process on a Postgres pool of its own, whose statements are timed by kind, and its senders'
 * publish, pacing and confirm waits are timed too: the summary says where each batch's time went.
 * The shovel plugin is enabled here (`rabbitmq-plugins enable`, idempotent). Queues, topics, shovels and the
 * benchmark's database are removed at the end.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import inspector from "node:inspector";
import { promisify } from "node:util";
import amqp from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import type pg from "pg";
import { ReplayEngine } from "../collectors/replay/engine";
import { createDb } from "../db/client";
import { createReplay } from "../db/mutations/create-replay";
import { storeDeadLetters, type NewDeadLetter } from "../db/queries/dead-letter-store";
import { getReplay } from "../db/queries/replays";
import { maintainSpanPartitions } from "../db/queries/span-partitions";
import { parseConfig, type RabbitBrokerConfig } from "../lib/config/env";
import { benchDatabase } from "./lib";

const n = Number(process.env.BENCH_MESSAGES ?? 50_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const payloadBytes = 1024;
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 600_000);
const actor = { user: "bench", role: "operator", requestId: "bench-replay", clientAddress: "127.0.0.1" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

/**
 * BENCH_CPU_PROFILE=prefix: a V8 CPU profile of this process (the engine and the benchmark) over each Switchyard
 * replay, written to prefix-<run>.cpuprofile (open it in Chrome's DevTools or speedscope). Returns the stop.
 */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r))));
  await post("Profiler.enable");
  await post("Profiler.start");
  return async (file: string) => {
    const r = (await post("Profiler.stop")) as { profile: unknown };
    writeFileSync(file, JSON.stringify(r.profile));
    session.disconnect();
    console.log(`  CPU profile: ${file}`);
  };
}

/** Milliseconds and counts per label. */
class Timings {
  readonly m = new Map<string, { ms: number; n: number }>();
  add(label: string, ms: number) {
    const e = this.m.get(label) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    this.m.set(label, e);
  }
  get(label: string) {
    return this.m.get(label) ?? { ms: 0, n: 0 };
  }
  reset() {
    this.m.clear();
  }
}

/** What kind of statement the engine sent, from its text (db/queries/replay-run.ts, db/queries/spans.ts). */
function statementKind(text: string): string {
  if (/^\s*(begin|commit|rollback)/i.test(text)) return "sql: begin/commit";
  // making the replay (db/mutations/create-replay.ts)
  if (/^\s*select 1 from "?dead_letters"? where id in/.test(text) && /for update/.test(text)) return "create: lock the selection";
  if (/with c as materialized/.test(text)) return "create: take the dead letters, insert items, plan (one statement)";
  if (/pg_advisory_xact_lock/.test(text)) return "create: status-change lock";
  if (/^\s*update "replays" set/.test(text)) return "create: replay row";
  if (/select reason, system, destination, count\(\*\)/.test(text)) return "create: plan";
  if (/^\s*insert into "replays"/.test(text)) return "create: replay row";
  if (/insert into replay_items/.test(text)) return "create: insert items";
  if (/update dead_letters set status = 'replaying'/.test(text)) return "create: mark dead letters replaying";
  if (/pg_notify|insert into "audit/.test(text)) return "create: audit, notify";
  if (/coalesce\(octet_length\(i.edited_payload\), d.payload_size\) as size/.test(text) || /insert into replay_batches/.test(text) || /from replays where id = \S+ for share/.test(text)) return "sql: claim items";
  if (/^\s*select i.id::text as id, i.dead_letter_id/.test(text)) return "sql: claim items (payloads)";
  if (/delete from replay_batches/.test(text)) return "sql: close batch";
  if (/update replay_items i set\s+status = case when i.resent/.test(text)) return "sql: confirm items (and their dead letters)";
  if (/update dead_letters set status = 'replayed'/.test(text)) return "sql: confirm dead letters";
  if (/span_resources|"spans"|"span_links"|insert into spans/.test(text)) return "sql: replay spans (with the answers)";
  if (/update replay_batches set kafka_targets/.test(text)) return "sql: note Kafka targets";
  if (/from replays where id =/.test(text)) return "sql: replay state";
  if (/set heartbeat_at = now\(\) where id/.test(text)) return "sql: heartbeat";
  if (/with cand as|set status = 'failed_again'/.test(text)) return "sql: settle (every second)";
  if (/where status in \('pending', 'running'\) and not dry_run/.test(text)) return "sql: look for replays";
  if (/set status = 'running'|set status = 'done'/.test(text)) return "sql: start/finish replay";
  if (/with open as/.test(text)) return "sql: recover (items left sending)";
  return "sql: other";
}

/** Statements of the engine's pool not yet answered (so the pool is closed only once its last one is). */
let inFlight = 0;

/**
 * With BENCH_EXPLAIN=1 the engine's connections (and the replay's creation) load auto_explain (as a superuser, which the local `postgres` is): the
 * plan of each of its statements over 50 ms, with actual rows, times and buffers, goes to the Postgres server's log.
 */
function explained(url: string): string {
  if (process.env.BENCH_EXPLAIN !== "1") return url;
  const u = new URL(url);
  u.searchParams.set("options", "-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=50ms -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on");
  return u.toString();
}

/** Times every statement of the pool's connections (callback or promise form, as node-postgres and drizzle use them). */
function timeStatements(pool: pg.Pool, t: Timings) {
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      const kind = statementKind(typeof first === "string" ? first : (first?.text ?? ""));
      const t0 = now();
      inFlight++;
      const cb = args.length > 0 && typeof args[args.length - 1] === "function" ? (args[args.length - 1] as (...r: unknown[]) => void) : null;
      if (cb) {
        args[args.length - 1] = (...r: unknown[]) => {
          inFlight--;
          t.add(kind, now() - t0);
          cb(...r);
        };
        return query(...args);
      }
      const r = query(...args) as Promise<unknown> | undefined;
      if (r && typeof r.then === "function")
        return r.finally(() => {
          inFlight--;
          t.add(kind, now() - t0);
        });
      inFlight--;
      return r;
    };
  });
}

/**
 * Times the senders' steps. This reaches into the engine's private fields (its senders, its send, its spans, a
 * sender's channel): for measuring only, and it fails loudly if they are renamed.
 */
function timeEngine(engine: ReplayEngine, t: Timings) {
  const e = engine as unknown as {
    send: (...a: unknown[]) => Promise<void>;
  };
  if (typeof e.send !== "function") throw new Error("the replay engine's internals changed: update bench/replay.ts timeEngine");
  const wrap = <A extends unknown[], R>(label: string, f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t0 = now();
      try {
        return await f(...a);
      } finally {
        t.add(label, now() - t0);
      }
    };
  // each run has senders of its own (made inside the run), so the broker side is timed as the send minus its SQL
  e.send = wrap("batch: engine send (all below but claim)", e.send.bind(engine));
}

/** CPU seconds (user + system) of every process named `comm`, with their exited children (Postgres's backends). */
function cpuSeconds(comm: string): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== comm) continue;
      const f = stat.slice(close + 2).split(" ");
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
    } catch {
      // ended meanwhile, or another user's
    }
  }
  return total;
}
function cpuMark() {
  const self = process.cpuUsage();
  return { self: (self.user + self.system) / 1e6, broker: cpuSeconds("beam.smp"), postgres: cpuSeconds("postgres"), kafka: cpuSeconds("java") };
}
type Cpu = ReturnType<typeof cpuMark>;
const cpuSince = (a: Cpu): Cpu => {
  const b = cpuMark();
  return { self: b.self - a.self, broker: b.broker - a.broker, postgres: b.postgres - a.postgres, kafka: b.kafka - a.kafka };
};

function payload(i: number): Buffer {
  const head = JSON.stringify({ orderId: `ord-${i}`, amount: (i % 997) + 0.5, note: "" });
  return Buffer.from(head.slice(0, -2) + "x".repeat(payloadBytes - head.length) + '"}');
}
/** Each dead letter in a trace of its own (`salt`: one per set of dead letters), as the demo's are. */
const traceId = (salt: number, i: number) => (salt * 10_000_000 + i + 1).toString(16).padStart(32, "0");
const traceparent = (salt: number, i: number) => `00-${traceId(salt, i)}-00f067aa0ba902b7-01`;

/** Management API call with the broker's credentials. */
async function mgmt(broker: RabbitBrokerConfig, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${broker.managementUrl}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${broker.managementUser}:${broker.managementPassword}`).toString("base64")}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Enables the shovel plugin (idempotent) and waits until the management API knows shovels. */
async function enableShovel(broker: RabbitBrokerConfig) {
  console.log("enabling the RabbitMQ shovel plugin: rabbitmq-plugins enable rabbitmq_shovel rabbitmq_shovel_management (idempotent)");
  const { stdout } = await promisify(execFile)("rabbitmq-plugins", ["enable", "rabbitmq_shovel", "rabbitmq_shovel_management"]);
  const line = stdout.split("\n").find((l) => /enabled|already/i.test(l));
  if (line) console.log(`  ${line.trim()}`);
  for (let i = 0; i < 100; i++) {
    const r = await mgmt(broker, "GET", "/api/shovels");
    if (r.ok) return;
    await sleep(200);
  }
  throw new Error("the shovel plugin did not come up (GET /api/shovels)");
}

/** Fills a queue with `n` persistent 1 KiB messages, confirmed. */
async function fillQueue(ch: amqp.ConfirmChannel, queue: string, run: string) {
  for (let i = 0; i < n; i++) {
    ch.sendToQueue(queue, payload(i), { persistent: true, contentType: "application/json", messageId: `bench-${run}-${i}`, headers: { traceparent: traceparent(0, i), "x-tenant": "bench" } });
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
}

async function waitFor(what: string, done: () => Promise<boolean>, started: number) {
  while (!(await done())) {
    if (now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

interface Result {
  what: string;
  secs: number;
  rate: number;
  note: string;
}

async function main() {
  const config = parseConfig(process.env);
  const broker = config.RABBITMQ_BROKERS[0]!;
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const rate = config.REPLAY_MAX_RATE;
  const run = Date.now().toString(36);
  // names outside the default dead-letter patterns, so a running demo's collectors do not consume them
  const prefix = `bench-replay-${run}`;
  await enableShovel(broker);
  const conn = await amqp.connect(broker.amqpUrl);
  const ch = await conn.createConfirmChannel();
  const kafka = new Kafka({ clientId: "bench-replay", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const bench = await benchDatabase(config.DATABASE_URL, run);
  // the day's partitions of spans, as the collectors make them at start (the replay writes a span per message)
  await maintainSpanPartitions(bench.handle.db, { retentionDays: config.RETENTION_SPANS_DAYS });
  const timings = new Timings();
  const createTimings = new Timings();
  const creator = createDb(explained(bench.url), { max: 2, application: "switchyard-bench-create" });
  timeStatements(creator.pool, createTimings);
  const engineDb = createDb(explained(bench.url), { max: 10, application: "switchyard-replay-bench" });
  timeStatements(engineDb.pool, timings);
  const engine = new ReplayEngine({ ...config, DATABASE_URL: bench.url }, engineDb, (s) => console.log(`  ${s}`));
  timeEngine(engine, timings);
  engine.start();
  if (process.env.BENCH_EXPLAIN === "1") console.log("BENCH_EXPLAIN=1: plans of the engine's statements over 50 ms go to the Postgres server's log");
  const queues: string[] = [];
  const shovels: string[] = [];
  const topics: string[] = [];
  const results: Result[] = [];
  const breakdowns: string[] = [];
  let batch = 0;
  let salt = 0;

  /**
   * Inserts `n` dead letters of one source (as the capture stores them), then analyzes the tables, as autovacuum does
   * in a running database (the plans of the engine's statements depend on these statistics). Returns the source.
   */
  const deadLetters = async (source: string, row: (i: number, traceparent: string) => Partial<NewDeadLetter> & Pick<NewDeadLetter, "system" | "sourceName">) => {
    const at = new Date();
    const set = ++salt;
    for (let i = 0; i < n; i += 1000) {
      const rows: NewDeadLetter[] = [];
      for (let k = i; k < Math.min(n, i + 1000); k++) {
        const p = payload(k);
        rows.push({ source, dedupKey: `${source}-${k}`, payload: p, payloadSize: p.length, reason: "rejected", traceId: traceId(set, k), firstDeadAt: at, lastDeadAt: at, ...row(k, traceparent(set, k)) });
      }
      await storeDeadLetters(bench.handle.db, rows);
    }
    await bench.handle.pool.query("analyze dead_letters, replay_items, replays, spans, span_links");
    return source;
  };

  /** Creates the replay of a source's dead letters and waits until it is done and `arrived` says all are there. */
  const replay = async (what: string, source: string, arrived: () => Promise<number>): Promise<Result> => {
    timings.reset();
    createTimings.reset();
    const profile = process.env.BENCH_CPU_PROFILE ? await startProfile() : null;
    const cpu = cpuMark();
    const started = now();
    const { id } = await createReplay(creator.db, { selection: { filter: { source, exact: true } }, ratePerSecond: rate, force: false, dryRun: false, maxAttempts: config.REPLAY_MAX_ATTEMPTS }, actor);
    const created = now() - started;
    let status = "";
    let firstSend = 0;
    await waitFor(
      `${what}: replay ${id} done`,
      async () => {
        status = (await bench.handle.pool.query<{ status: string }>("select status from replays where id = $1", [id])).rows[0]!.status;
        if (!firstSend && status === "running") firstSend = now() - started;
        if (status === "failed" || status === "cancelled") throw new Error(`replay ${id} ${status}`);
        return status === "done" && (await arrived()) >= n;
      },
      started,
    );
    const secs = (now() - started) / 1000;
    const used = cpuSince(cpu);
    if (profile) await profile(`${process.env.BENCH_CPU_PROFILE}-${what.replace(/\W+/g, "-")}.cpuprofile`);
    const summary = (await getReplay(bench.handle.db, id))!;
    const got = await arrived();
    batch++;
    breakdowns.push(breakdown(`${what} #${batch}`, secs, created, used));
    return {
      what,
      secs,
      rate: n / secs,
      note: `replay ${id}: created in ${created.toFixed(0)} ms (plan, ${n} items), running after ${firstSend.toFixed(0)} ms; confirmed ${summary.confirmed}, skipped ${summary.skipped}, remaining ${summary.remaining}; arrived ${got}; CPU s: bench ${used.self.toFixed(1)}, broker ${used.broker.toFixed(1)}, Postgres ${used.postgres.toFixed(1)}, Kafka ${used.kafka.toFixed(1)}`,
    };
  };

  /**
   * Where the time of one replay went: making it (createReplay's statements), then sending, per step: its total,
   * per batch, per message, and its share of the sending time. The steps of a batch run one after another; settling
   * runs beside them on another connection. Derived rows are what is left of a step once its timed parts are taken.
   */
  const breakdown = (title: string, secs: number, createdMs: number, used: Cpu): string => {
    const batches = Math.max(1, timings.get("batch: engine send (all below but claim)").n);
    const sendingMs = secs * 1000 - createdMs;
    const lines = [
      `${title}: ${secs.toFixed(2)} s = making the replay ${(createdMs / 1000).toFixed(2)} s + sending ${(sendingMs / 1000).toFixed(2)} s in ${batches} batches (${(sendingMs / batches).toFixed(0)} ms each); CPU s: bench+engine ${used.self.toFixed(1)}, broker ${used.broker.toFixed(1)}, Postgres ${used.postgres.toFixed(1)}, Kafka ${used.kafka.toFixed(1)}`,
    ];
    const row = (label: string, ms: number, calls: number | null, of: number, per: number) =>
      `  ${label.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms ${(ms / per).toFixed(1).padStart(7)} ms/batch ${((ms * 1000) / n).toFixed(0).padStart(5)} µs/msg ${((100 * ms) / of).toFixed(0).padStart(3)}%${calls === null ? "" : `  (${calls} calls)`}`;
    lines.push("  making the replay (one transaction):");
    for (const [label, v] of [...createTimings.m.entries()].sort((a, b) => b[1].ms - a[1].ms)) lines.push(row(label, v.ms, v.n, createdMs, 1).replace(/ +[\d.]+ ms\/batch/, ""));
    lines.push("  sending, per batch:");
    for (const [label, v] of [...timings.m.entries()].sort((a, b) => b[1].ms - a[1].ms)) lines.push(row(label, v.ms, v.n, sendingMs, batches));
    const ms = (l: string) => timings.get(l).ms;
    const engineSend = ms("batch: engine send (all below but claim)");
    const confirmSql = ms("sql: confirm items (and their dead letters)") + ms("sql: confirm dead letters");
    const derived: [string, number][] = [["(derived) between batches: batch time − engine send (the next claim runs beside it)", sendingMs - engineSend]];
    if (timings.m.has("rabbit: sender.send")) {
      derived.push(["(derived) publish loop: sender.send − pace − waitForConfirms", ms("rabbit: sender.send") - ms("rabbit: pace (rate limit)") - ms("rabbit: waitForConfirms")]);
      derived.push(["(derived) engine send − sender.send − spans (≈ confirm tx)", engineSend - ms("rabbit: sender.send") - ms("sql: replay spans (with the answers)")]);
    }
    if (timings.m.has("kafka: producer.send acks=all")) {
      derived.push(["(derived) engine send − plan − note − producer − confirm SQL − spans (≈ pace, tx)", engineSend - ms("kafka: plan (partitions, end offsets)") - ms("sql: note Kafka targets") - ms("kafka: producer.send acks=all") - confirmSql - ms("sql: replay spans (with the answers)")]);
    }
    for (const [label, v] of derived) lines.push(row(label, v, null, sendingMs, batches));
    return lines.join("\n");
  };

  const rabbitSwitchyard = async (k: number): Promise<Result> => {
    const target = `${prefix}-switchyard-${k}`;
    queues.push(target);
    await ch.assertQueue(target, { durable: true });
    const source = await deadLetters(`${prefix}-rabbit-dl-${k}`, (i, tp) => ({
      system: "rabbitmq",
      sourceName: broker.name,
      vhost: "/",
      originalExchange: "",
      originalRoutingKey: target,
      originalDestination: target,
      properties: { deliveryMode: 2, contentType: "application/json", messageId: `bench-${run}-${k}-${i}` },
      headers: { traceparent: tp, "x-tenant": "bench", "x-death": [{ count: 1, reason: "rejected", queue: target, exchange: "", "routing-keys": [target] }], "x-first-death-queue": target, "x-first-death-reason": "rejected" },
    }));
    const r = await replay("RabbitMQ, Switchyard replay", source, async () => (await ch.checkQueue(target)).messageCount);
    await ch.deleteQueue(target);
    return r;
  };

  const rabbitShovel = async (k: number): Promise<Result> => {
    const src = `${prefix}-shovel-src-${k}`;
    const dest = `${prefix}-shovel-dest-${k}`;
    const name = `${prefix}-move-${k}`;
    queues.push(src, dest);
    shovels.push(name);
    await ch.assertQueue(src, { durable: true });
    await ch.assertQueue(dest, { durable: true });
    await fillQueue(ch, src, `${run}-${k}`);
    const cpu = cpuMark();
    const started = now();
    const put = await mgmt(broker, "PUT", `/api/parameters/shovel/%2F/${encodeURIComponent(name)}`, {
      value: { "src-protocol": "amqp091", "src-uri": broker.amqpUrl, "src-queue": src, "dest-protocol": "amqp091", "dest-uri": broker.amqpUrl, "dest-queue": dest, "src-delete-after": "queue-length", "ack-mode": "on-confirm" },
    });
    if (!put.ok) throw new Error(`creating shovel ${name}: HTTP ${put.status} ${await put.text()}`);
    await waitFor(`shovel ${name}`, async () => (await ch.checkQueue(dest)).messageCount >= n, started);
    const secs = (now() - started) / 1000;
    const used = cpuSince(cpu);
    const left = (await ch.checkQueue(src)).messageCount;
    // it deletes itself once it has moved the queue's length at its start
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = (await mgmt(broker, "GET", `/api/parameters/shovel/%2F/${encodeURIComponent(name)}`)).status === 404;
      if (!gone) await sleep(100);
    }
    await ch.deleteQueue(src);
    await ch.deleteQueue(dest);
    return { what: "RabbitMQ, shovel \"Move messages\"", secs, rate: n / secs, note: `left in the source ${left}; shovel ${gone ? "deleted itself" : "still there"}; CPU s: bench ${used.self.toFixed(1)}, broker ${used.broker.toFixed(1)}, Postgres ${used.postgres.toFixed(1)}` };
  };

  // the floor under any replay from Node: the same messages published by amqplib with publisher confirms, in
  // batches of 2,000 as the engine sends them, and nothing else (no Postgres, no pacing, no spans)
  const rabbitFloor = async (k: number): Promise<Result> => {
    const dest = `${prefix}-floor-${k}`;
    queues.push(dest);
    await ch.assertQueue(dest, { durable: true });
    const pub = await conn.createConfirmChannel();
    const cpu = cpuMark();
    const started = now();
    for (let i = 0; i < n; i++) {
      pub.publish("", dest, payload(i), { persistent: true, mandatory: true, contentType: "application/json", messageId: `bench-${run}-floor-${k}-${i}`, headers: { traceparent: traceparent(0, i), "x-tenant": "bench", "x-switchyard-replay-id": "0", "x-switchyard-replay-count": 1 } });
      if (i % 2000 === 1999) await pub.waitForConfirms();
    }
    await pub.waitForConfirms();
    const secs = (now() - started) / 1000;
    const used = cpuSince(cpu);
    const have = (await ch.checkQueue(dest)).messageCount;
    await pub.close();
    await ch.deleteQueue(dest);
    return { what: "RabbitMQ, amqplib publish + confirms alone (the floor)", secs, rate: n / secs, note: `in the queue ${have}; CPU s: bench ${used.self.toFixed(1)}, broker ${used.broker.toFixed(1)}` };
  };

  const kafkaSwitchyard = async (): Promise<Result> => {
    const topic = `${prefix}-kafka`;
    topics.push(topic);
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const source = await deadLetters(`${prefix}-kafka-dl`, (i, tp) => ({
      system: "kafka",
      sourceName: cluster.name,
      originalDestination: topic,
      messageKey: Buffer.from(`ord-${i}`),
      kafkaPartition: i % 3,
      kafkaOffset: i,
      headers: { traceparent: tp, "x-tenant": "bench", "kafka_dlt-original-topic": topic, "kafka_dlt-exception-fqcn": "org.example.BenchException" },
    }));
    const ends = async () => (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0);
    return replay("Kafka, Switchyard replay (acks=all)", source, ends);
  };

  try {
    console.log(`${n} messages of ${payloadBytes} B, persistent; replay rate ${rate}/s (REPLAY_MAX_RATE); ${rounds} rounds of RabbitMQ, alternating`);
    for (let k = 1; k <= rounds; k++) {
      for (const step of process.env.BENCH_PEERS === "0" ? [() => rabbitSwitchyard(k)] : [() => rabbitSwitchyard(k), () => rabbitShovel(k), () => rabbitFloor(k)]) {
        const r = await step();
        console.log(`${r.what}: ${n} in ${r.secs.toFixed(2)} s = ${Math.round(r.rate)} msg/s (${r.note})`);
        results.push(r);
      }
    }
    const kr = process.env.BENCH_KAFKA === "0" ? null : await kafkaSwitchyard();
    if (kr) {
      console.log(`${kr.what}: ${n} in ${kr.secs.toFixed(2)} s = ${Math.round(kr.rate)} msg/s (${kr.note})`);
      results.push(kr);
    }

    console.log("\nWhere the replays' time went (statement times from the engine's pool; steps from its senders):");
    for (const b of breakdowns) console.log(b);

    const sy = results.filter((r) => r.what.startsWith("RabbitMQ, Switchyard"));
    const sh = results.filter((r) => r.what.startsWith("RabbitMQ, shovel"));
    const mean = (rs: Result[]) => rs.reduce((a, r) => a + r.rate, 0) / rs.length;
    console.log(`\n| run | messages | time | messages/s |\n| --- | --- | --- | --- |`);
    for (const r of results) console.log(`| ${r.what} | ${n} | ${r.secs.toFixed(2)} s | ${Math.round(r.rate)} |`);
    if (sh.length) console.log(`\nRabbitMQ: Switchyard ${sy.map((r) => Math.round(r.rate)).join(", ")} msg/s, shovel ${sh.map((r) => Math.round(r.rate)).join(", ")} msg/s;` + ` Switchyard / shovel per round ${sy.map((r, i) => (r.rate / sh[i]!.rate).toFixed(2)).join(", ")}, of the means ${(mean(sy) / mean(sh)).toFixed(2)} (target ≥ 1.0)`);
    const fl = results.filter((r) => r.what.includes("the floor"));
    if (sh.length) console.log(`RabbitMQ floor (amqplib publish + confirms, no bookkeeping): ${fl.map((r) => Math.round(r.rate)).join(", ")} msg/s; floor / shovel per round ${fl.map((r, i) => (r.rate / sh[i]!.rate).toFixed(2)).join(", ")}`);
    if (kr) console.log(`Kafka: ${Math.round(kr.rate)} msg/s (acks=all)`);
  } finally {
    await engine.stop();
    // stop() does not wait for a settling pass under way: let its statements finish before the pool closes
    for (let i = 0; i < 100 && inFlight > 0; i++) await sleep(50);
    await engineDb.close();
    await creator.close();
    for (const s of shovels) await mgmt(broker, "DELETE", `/api/parameters/shovel/%2F/${encodeURIComponent(s)}`).catch(() => undefined);
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    await conn.close().catch(() => undefined);
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    if (process.env.BENCH_KEEP_DB === "1") {
      await bench.release();
      console.log(`kept the benchmark's database (BENCH_KEEP_DB=1): ${bench.url}`);
    } else await bench.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
