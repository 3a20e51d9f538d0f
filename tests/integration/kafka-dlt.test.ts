import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { springDltHeaders } from "../../demo/dlt";
import { runMigrations } from "../../db/migrate";
import { collectorsEnv, config, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/** Dead-letter topics captured into Postgres: parsed, byte-faithful, and exactly once across a crash. */
describe("Kafka dead-letter capture", () => {
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const kafka = new Kafka({ clientId: "it-dlt", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const run = Date.now().toString(36);
  const topic = `it-${run}.payments.DLT`;
  const again = `it-${run}.again.DLT`;
  const group = `it-dlt-capture-${run}`;
  const n = 3000;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let client: pg.Client;
  let env: Record<string, string>;
  const procs: RunningProcess[] = [];

  beforeAll(async () => {
    await admin.connect();
    db = await freshDatabase("switchyard_dlt");
    await runMigrations(db.url);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    const error = Object.assign(new Error("card declined <script>alert(1)</script>"), { name: "com.acme.PaymentException" });
    for (let b = 0; b < n; b += 500) {
      await producer.send({
        topic,
        messages: Array.from({ length: 500 }, (_, j) => {
          const i = b + j;
          const headers = springDltHeaders({
            topic: "payments",
            partition: i % 4,
            groupId: "payment-service",
            error,
            message: { offset: String(1000 + i), timestamp: String(Date.now() - 60_000), key: null, value: null, attributes: 0, headers: {} } as never,
          });
          return {
            partition: i % 2,
            key: `order-${i}`,
            // one in a hundred is binary garbage, as a poison message can be
            value: i % 100 === 0 ? Buffer.from([0xff, 0x00, 0xfe, i % 256]) : JSON.stringify({ i }),
            headers: { ...headers, traceparent: `00-${(i + 1).toString(16).padStart(32, "0")}-00000000000000aa-01` },
          };
        }),
      });
    }
    await producer.disconnect();
    env = await collectorsEnv({
      DATABASE_URL: db.url,
      KAFKA_CLUSTERS: `local=${cluster.brokers.join(",")}`,
      KAFKA_DLT_PATTERNS: `it-${run}.*.DLT`,
      // capture nothing else of the shared brokers (a RabbitMQ dead letter of someone else's counted here once)
      RABBITMQ_DLQ_PATTERNS: `it-${run}-none`,
      KAFKA_DLT_GROUP: group,
      KAFKA_POLL_INTERVAL_MS: "60000",
    });
  });

  afterAll(async () => {
    for (const p of procs) await p.stop("SIGKILL");
    await client?.end();
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic, again] }).catch(() => undefined);
    await admin.disconnect();
    await db?.drop();
  });

  const count = async () => Number((await client.query("select count(*)::int as n from dead_letters where source = $1", [topic])).rows[0].n);

  it("captures every record exactly once even when the collectors are killed mid-capture", async () => {
    const first = runTs("collectors/main.ts", env);
    procs.push(first);
    await waitUntil("capture under way", async () => (await count()) > 0, 60_000, 20);
    await first.stop("SIGKILL");
    const atKill = await count();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(n); // killed mid-capture, not after

    const second = runTs("collectors/main.ts", env);
    procs.push(second);
    await waitUntil(`all ${n} captured`, async () => (await count()) >= n, 90_000, 250);
    // the group's committed offsets reach the end: nothing left to capture, nothing captured twice
    await waitUntil("offsets committed to the end", async () => {
      const o = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const sum = o[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
      return sum === n;
    }, 30_000);
    expect(await count()).toBe(n);
    const dups = await client.query("select kafka_partition, kafka_offset, count(*) from dead_letters where source = $1 group by 1, 2 having count(*) > 1", [topic]);
    expect(dups.rows).toEqual([]);
    await second.stop();
  });

  it("parses Spring's headers and keeps payloads byte for byte", async () => {
    const r = await client.query("select * from dead_letters where message_key = $1", [Buffer.from("order-200")]);
    const row = r.rows[0];
    expect(row).toMatchObject({
      system: "kafka",
      source_name: "local",
      source: topic,
      reason: "exception",
      error_type: "com.acme.PaymentException",
      error_message: "card declined <script>alert(1)</script>",
      original_destination: "payments[0]@1200",
      trace_id: (201).toString(16).padStart(32, "0"),
      payload_size: 4,
      payload_truncated: false,
    });
    expect(Buffer.compare(row.payload, Buffer.from([0xff, 0x00, 0xfe, 200]))).toBe(0);
    expect(row.headers["kafka_dlt-original-partition"]).toEqual({ base64: Buffer.from([0, 0, 0, 0]).toString("base64") });
    expect(row.properties).toMatchObject({ format: "spring", originalTopic: "payments", originalPartition: 0, originalOffset: 1200, consumerGroup: "payment-service" });
  });

  it("a topic deleted and made again under its name: the new records, at the same offsets, are captured, not taken for the old", async () => {
    // also what a Kafka cluster set up afresh under the same name does to every topic (a CI run's flow map once had no
    // dead-letter edge for minutes: its new .DLT's records were dropped as the previous cluster's, offset for offset)
    const countAgain = async () => Number((await client.query("select count(*)::int as n from dead_letters where source = $1", [again])).rows[0].n);
    const produce = async (tag: string) => {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: again, messages: Array.from({ length: 5 }, (_, i) => ({ key: `${tag}-${i}`, value: JSON.stringify({ tag, i }) })) });
      await producer.disconnect();
    };
    await admin.createTopics({ topics: [{ topic: again, numPartitions: 1 }], waitForLeaders: true });
    await produce("first");
    const one = runTs("collectors/main.ts", env);
    procs.push(one);
    await waitUntil("the first topic's 5 records", async () => (await countAgain()) === 5, 90_000);
    await one.stop();

    await admin.deleteTopics({ topics: [again] });
    await waitUntil("the topic gone", async () => !(await admin.listTopics()).includes(again), 30_000);
    await waitUntil("the topic made again", async () => admin.createTopics({ topics: [{ topic: again, numPartitions: 1 }], waitForLeaders: true }).then((made) => made, () => false), 30_000, 1000);
    await produce("second");
    const two = runTs("collectors/main.ts", env);
    procs.push(two);
    await waitUntil("the second topic's 5 records too", async () => (await countAgain()) === 10, 90_000);
    const keys = await client.query("select convert_from(message_key, 'UTF8') as k, kafka_offset from dead_letters where source = $1 order by 1", [again]);
    expect(keys.rows.map((r) => `${r.k}@${r.kafka_offset}`)).toEqual([0, 1, 2, 3, 4].map((i) => `first-${i}@${i}`).concat([0, 1, 2, 3, 4].map((i) => `second-${i}@${i}`)));
    await two.stop();

    // the second topic's records read again from the start (a group whose offsets expired, a KAFKA_DLT_GROUP
    // changed): each meets its row, none is stored twice
    await admin.resetOffsets({ groupId: group, topic: again, earliest: true });
    const three = runTs("collectors/main.ts", env);
    procs.push(three);
    await waitUntil("the second topic read again to its end", async () => {
      const o = await admin.fetchOffsets({ groupId: group, topics: [again] });
      return o[0]!.partitions[0]!.offset === "5";
    }, 90_000);
    expect(await countAgain()).toBe(10);
    await three.stop();
  });
});
