import { Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { getGroupStatus } from "../../db/queries/kafka";
import { LagCollector } from "../../collectors/kafka/lag-collector";
import { config, freshDatabase, waitUntil } from "./helpers";

/**
 * Group ids and client ids are any string Kafka accepts, NUL bytes included; Postgres text cannot hold U+0000. One
 * such group must not fail the whole poll's write and so blank the lag of every other group of the cluster.
 */
const cluster = config.KAFKA_CLUSTERS[0]!;
const kafka = new Kafka({ clientId: "it-lag-hostile", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = Date.now().toString(36);

let db: Awaited<ReturnType<typeof freshDatabase>>;
let handle: DbHandle;
let consumer: Consumer | null = null;
const topic = `it.lagh.${run}`;
const good = `it-lagh-${run}-good`;
const bad = `it-lagh-${run}-bad\u0000group`;
// the same name once Postgres has it: must not fail the poll's upsert by meeting its own row twice
const twin = `it-lagh-${run}-bad\ufffdgroup`;
const member = `it-lagh-${run}-member`;

beforeAll(async () => {
  await admin.connect();
  db = await freshDatabase("switchyard_lagh");
  await runMigrations(db.url);
  handle = createDb(db.url, { max: 3 });
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ value: `m${i}` })) });
  await producer.disconnect();
  await admin.setOffsets({ groupId: good, topic, partitions: [{ partition: 0, offset: "10" }] });
  await admin.setOffsets({ groupId: bad, topic, partitions: [{ partition: 0, offset: "20" }] });
  await admin.setOffsets({ groupId: twin, topic, partitions: [{ partition: 0, offset: "25" }] });
  // a live member whose client id holds a NUL byte (member details are stored as jsonb)
  consumer = new Kafka({ clientId: "client\u0000id", brokers: cluster.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: member, sessionTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
});

afterAll(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await admin.deleteGroups([good, bad, twin, member]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await handle?.close();
  await db?.drop();
});

describe("lag collector with hostile group and client ids", () => {
  it("records every group, the NUL in a name shown as U+FFFD", async () => {
    const c = new LagCollector(cluster, { intervalMs: 1000, windowSamples: 4, include: [`it-lagh-${run}-*`], exclude: [], exactMaxPartitions: 500 }, handle.db, () => undefined);
    await c.connect();
    try {
      await waitUntil(
        "the member group to be stable with its member",
        async () => {
          await c.pollOnce();
          const m = await getGroupStatus(handle.db, cluster.name, member);
          return m && m.members > 0 ? m : null;
        },
        60_000,
        1000,
      );
      const g = await getGroupStatus(handle.db, cluster.name, good);
      expect(g?.totalLag).toBe(40);
      const b = await getGroupStatus(handle.db, cluster.name, bad.replace("\u0000", "\ufffd"));
      // one of the two that share a stored name (which one depends on Kafka's listing order)
      expect([25, 30]).toContain(b?.totalLag);
    } finally {
      await c.close();
    }
  });

  it("a topic deleted under a group's committed offsets fails no poll: the other groups keep their lag", async () => {
    const doomed = `it.lagh.${run}.doomed`;
    const orphan = `it-lagh-${run}-orphan`;
    await admin.createTopics({ topics: [{ topic: doomed, numPartitions: 2 }], waitForLeaders: true });
    await admin.setOffsets({ groupId: orphan, topic: doomed, partitions: [{ partition: 0, offset: "0" }, { partition: 1, offset: "0" }] });
    const c = new LagCollector(cluster, { intervalMs: 1000, windowSamples: 4, include: [`it-lagh-${run}-*`], exclude: [], exactMaxPartitions: 500 }, handle.db, () => undefined);
    await c.connect();
    try {
      await c.pollOnce(); // the collector has read the topic's partitions
      await admin.deleteTopics({ topics: [doomed] });
      await waitUntil("the topic gone", async () => !(await admin.listTopics()).includes(doomed), 30_000, 250);
      for (let i = 0; i < 3; i++) await c.pollOnce();
      expect((await getGroupStatus(handle.db, cluster.name, good))?.totalLag).toBe(40);
    } finally {
      await c.close();
      await admin.deleteGroups([orphan]).catch(() => undefined);
    }
  });
});
