import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { collectorsEnv, config, CuttableProxy, freePort, freshDatabase, healthz, runTs, source, waitUntil, type RunningProcess } from "./helpers";

/**
 * Kafka dead-letter capture under input the happy path never sends: a partition much larger than one fetch, and a
 * record with NUL bytes in its key, value, a header value and a header name, ahead of ordinary records.
 */
describe("Kafka dead-letter capture, hardened", () => {
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const kafka = new Kafka({ clientId: "it-dlt-hard", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const run = Date.now().toString(36);
  const big = `ith-${run}.big.DLT`;
  const nul = `ith-${run}.nul.DLT`;
  const outage = `ith-${run}.outage.DLT`;
  const tx = `ith-${run}.tx.DLT`;
  const group = `it-dlt-hard-${run}`;
  const n = 4000;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let client: pg.Client;
  let proc: RunningProcess | null = null;
  let env: Record<string, string>;
  let pgProxy: CuttableProxy;

  beforeAll(async () => {
    await admin.connect();
    db = await freshDatabase("switchyard_dlth");
    await runMigrations(db.url);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await admin.createTopics({ topics: [big, nul, outage, tx].map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    const pad = "x".repeat(1000);
    for (let b = 0; b < n; b += 500) {
      await producer.send({ topic: big, messages: Array.from({ length: 500 }, (_, j) => ({ key: `b-${b + j}`, value: `{"i":${b + j},"pad":"${pad}"}` })) });
    }
    await producer.send({
      topic: nul,
      messages: [
        { key: "nul\u0000key", value: "a\u0000b", headers: { "x-bad": "a\u0000b", "x-bad\u0000name": "v", "x-error": "died\u0000here" } },
        // times no JS Date holds: a Spring header past 8.64e15 ms and a record timestamp past it
        { key: "far-header", value: "{}", headers: { "kafka_dlt-original-topic": "orders", "kafka_dlt-original-timestamp": "8700000000000000" } },
        { key: "far-record", value: "{}", timestamp: "9000000000000000" },
        ...Array.from({ length: 10 }, (_, i) => ({ key: `n-${i}`, value: `{"i":${i}}` })),
      ],
    });
    await producer.disconnect();
    // a transactional DLT publisher (Spring Kafka's can be): commit markers follow each record, and an aborted record
    // sits between; a tombstone (null value) among them
    const txp = kafka.producer({ transactionalId: `ith-${run}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await txp.connect();
    for (const [key, value, commit] of [["t1", "1", true], ["t2", null, true], ["aborted", "x", false], ["t3", "3", true]] as const) {
      const t = await txp.transaction();
      await t.send({ topic: tx, messages: [{ key, value }] });
      if (commit) await t.commit();
      else await t.abort();
    }
    await txp.disconnect();
    // the collectors reach Postgres through a proxy the last test cuts
    pgProxy = new CuttableProxy(await freePort(), { host: "127.0.0.1", port: 5432 });
    await pgProxy.open();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(pgProxy.port);
    env = await collectorsEnv({
      DATABASE_URL: viaProxy.toString(),
      KAFKA_CLUSTERS: `local=${cluster.brokers.join(",")}`,
      KAFKA_DLT_PATTERNS: `ith-${run}.*.DLT`,
      RABBITMQ_DLQ_PATTERNS: `ith-${run}-none`,
      KAFKA_DLT_GROUP: group,
      KAFKA_POLL_INTERVAL_MS: "60000",
    });
    proc = runTs("collectors/main.ts", env);
  });

  afterAll(async () => {
    await proc?.stop("SIGKILL");
    await pgProxy?.cut();
    await client?.end();
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [big, nul, outage, tx] }).catch(() => undefined);
    await admin.disconnect();
    await db?.drop();
  });

  const count = async (topic: string) => Number((await client.query("select count(*)::int as n from dead_letters where source = $1", [topic])).rows[0].n);
  // every insert attempt takes ids from the sequence, whether or not `on conflict do nothing` keeps the row
  const attempts = async () => Number((await client.query("select coalesce((select last_value from dead_letters_id_seq where is_called), 0) as n")).rows[0].n);

  it("captures a partition of 4,000 × 1 KiB records whole in one session, with insert attempts bounded by the records", async () => {
    await waitUntil(`all ${n} records of one partition captured`, async () => (await count(big)) >= n, 120_000, 500);
    expect(await count(big)).toBe(n);
    const dups = await client.query("select kafka_offset from dead_letters where source = $1 group by 1 having count(*) > 1", [big]);
    expect(dups.rows).toEqual([]);
    await waitUntil("the other topic captured too", async () => (await count(nul)) >= 13, 60_000, 500);
    const settled = await attempts();
    expect(settled).toBeLessThanOrEqual(Math.ceil((n + 11) * 1.5));
    // idle: no new records, so no new insert attempts
    await new Promise((r) => setTimeout(r, 6000));
    expect(await attempts()).toBe(settled);
    await waitUntil("offsets committed to the end", async () => {
      const o = await admin.fetchOffsets({ groupId: group, topics: [big] });
      return Number(o[0]!.partitions[0]!.offset) === n;
    }, 30_000);
  });

  it("stores records with NUL bytes and impossible times faithfully, and the records after them", async () => {
    await waitUntil("13 records of the NUL topic", async () => (await count(nul)) >= 13, 60_000, 500);
    expect(await count(nul)).toBe(13);
    const r = await client.query("select * from dead_letters where source = $1 and kafka_offset = 0", [nul]);
    const row = r.rows[0];
    expect(Buffer.compare(row.payload, Buffer.from("a\u0000b"))).toBe(0);
    expect(Buffer.compare(row.message_key, Buffer.from("nul\u0000key"))).toBe(0);
    expect(row.headers["x-bad"]).toEqual({ base64: Buffer.from("a\u0000b").toString("base64") });
    const renamed = row.headers["x-bad\ufffdname"];
    expect(Buffer.from(renamed.name.base64, "base64").toString()).toBe("x-bad\u0000name");
    expect(row.capture_error).toBeNull();
    const far = await client.query("select message_key, properties, first_dead_at, capture_error from dead_letters where source = $1 and kafka_offset in (1, 2) order by kafka_offset", [nul]);
    expect(far.rows.map((x) => x.message_key.toString())).toEqual(["far-header", "far-record"]);
    expect(far.rows[0].properties.originalTopic).toBe("orders");
    expect(far.rows[0].properties.originalTimestamp).toBeNull();
    expect(far.rows[1].first_dead_at).toBeNull();
  });

  it("captures a transactional DLT and commits past its markers: the capture group shows no lag; a tombstone stays one", async () => {
    await waitUntil("3 committed records of the transactional DLT", async () => (await count(tx)) >= 3, 60_000, 500);
    const rows = await client.query("select message_key, payload_size, properties from dead_letters where source = $1 order by kafka_offset", [tx]);
    expect(rows.rows.map((r) => r.message_key.toString())).toEqual(["t1", "t2", "t3"]);
    expect(rows.rows.map((r) => r.properties.tombstone)).toEqual([false, true, false]);
    const end = Number((await admin.fetchTopicOffsets(tx))[0]!.high);
    await waitUntil(
      "the capture group's committed offset at the end of the transactional topic",
      async () => Number((await admin.fetchOffsets({ groupId: group, topics: [tx] }))[0]!.partitions[0]!.offset) === end,
      30_000,
      500,
    );
  });

  it("pauses capture while Postgres is away, says so on the Kafka source's health, and resumes with nothing lost or doubled", async () => {
    await waitUntil("capture subscribed to the outage topic", async () => /capturing .*outage\.DLT/.test(proc!.output()), 60_000, 500);
    await pgProxy.cut();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: outage, messages: Array.from({ length: 20 }, (_, i) => ({ key: `o-${i}`, value: `{"o":${i}}` })) });
    await producer.disconnect();
    const problem = await waitUntil(
      "the Kafka source reports the paused capture",
      async () => {
        const k = source(await healthz(env), "kafka", "local");
        return k && !k.healthy && k.error?.includes("dead-letter capture paused") ? k : null;
      },
      60_000,
      500,
    );
    expect(problem.error).not.toContain("postgres://");
    // nothing was committed while Postgres was away
    const o = await admin.fetchOffsets({ groupId: group, topics: [outage] });
    expect(Math.max(0, Number(o[0]!.partitions[0]!.offset))).toBe(0);
    await pgProxy.open();
    await waitUntil("20 records captured after Postgres is back", async () => (await count(outage)) >= 20, 90_000, 500);
    await waitUntil("the Kafka source healthy again", async () => source(await healthz(env), "kafka", "local")?.healthy, 30_000, 500);
    expect(await count(outage)).toBe(20);
  });
});
