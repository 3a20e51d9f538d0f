import { execFileSync } from "node:child_process";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { getGroupStatus, latestPartitions } from "../../db/queries/kafka";
import { LagCollector } from "../../collectors/kafka/lag-collector";
import { ensureKafkaJars } from "../../scripts/infra/kafka";
import { config, freshDatabase, waitUntil } from "./helpers";

/** The lag collector against the real broker: figures equal Kafka's own tool, statuses follow real consumers. */
const cluster = config.KAFKA_CLUSTERS[0]!;
const kafka = new Kafka({ clientId: "it-lag", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = Date.now().toString(36);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let db: Awaited<ReturnType<typeof freshDatabase>>;
let handle: DbHandle;
const consumers: Consumer[] = [];
const groups: string[] = [];

async function topicWith(name: string, partitions: number, perPartition: number, timestamp?: (i: number) => number, valueBytes = 0) {
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) {
    // batches of 100 records, so one Fetch returns only part of a long partition
    for (let from = 0; from < perPartition; from += 100) {
      await producer.send({
        topic: name,
        messages: Array.from({ length: Math.min(100, perPartition - from) }, (_, k) => {
          const i = from + k;
          return { partition: p, value: `m${i}`.padEnd(valueBytes, "."), ...(timestamp ? { timestamp: String(timestamp(i)) } : {}) };
        }),
      });
    }
  }
  await producer.disconnect();
}

async function produce(topic: string, n: number) {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `x${i}` })) });
  await producer.disconnect();
}

function collector(groupId: string, opts: Partial<{ intervalMs: number; windowSamples: number; exactMaxPartitions: number }> = {}) {
  groups.push(groupId);
  return new LagCollector(
    cluster,
    { intervalMs: 1000, windowSamples: 4, include: [groupId], exclude: [], exactMaxPartitions: 500, ...opts },
    handle.db,
    () => undefined,
  );
}

/** Polls `n` times, `gapMs` apart; returns the group's status after each poll. */
async function pollTimes(c: LagCollector, groupId: string, n: number, gapMs = 1000): Promise<string[]> {
  await c.connect();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i) await sleep(gapMs);
    await c.pollOnce();
    out.push((await getGroupStatus(handle.db, cluster.name, groupId))!.status);
  }
  return out;
}

beforeAll(async () => {
  await admin.connect();
  db = await freshDatabase("switchyard_lag");
  await runMigrations(db.url);
  handle = createDb(db.url, { max: 3 });
});

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  await handle?.close();
  await db?.drop();
});

describe("lag collector", () => {
  it("reports per-partition lag equal to what kafka-consumer-groups --describe prints", async () => {
    const topic = `it.lag.cmp.${run}`;
    const groupId = `it-lag-cmp-${run}`;
    await topicWith(topic, 3, 120);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "7" }, { partition: 1, offset: "120" }, { partition: 2, offset: "55" }] });
    const c = collector(groupId);
    await pollTimes(c, groupId, 1);
    await c.close();

    // Kafka's own ConsumerGroupCommand, from the same jars the broker runs
    const cp = await ensureKafkaJars(() => undefined);
    const out = execFileSync("java", ["-cp", cp, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server", cluster.brokers[0]!, "--describe", "--group", groupId], { encoding: "utf8" });
    const theirs = out
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[1] === topic)
      .map((c) => ({ partition: Number(c[2]), committedOffset: Number(c[3]), endOffset: Number(c[4]), lag: Number(c[5]) }))
      .sort((a, b) => a.partition - b.partition);
    expect(theirs).toHaveLength(3);
    const ours = (await latestPartitions(handle.db, cluster.name, groupId)).map((p) => ({ partition: p.partition, committedOffset: p.committedOffset, endOffset: p.endOffset, lag: p.lag }));
    expect(ours).toEqual(theirs);
    expect((await getGroupStatus(handle.db, cluster.name, groupId))!.totalLag).toBe(113 + 0 + 65);
  });

  it("reads lag in seconds exactly from the oldest unconsumed record's timestamp, for every group on a partition", async () => {
    const topic = `it.lag.secs.${run}`;
    const base = Date.now() - 3_600_000; // an hour ago, one record per second
    await topicWith(topic, 1, 3000, (i) => base + i * 1000, 200); // ~600 KB: a 64 KB Fetch covers a fraction
    // three groups on the same partition, far enough apart that one Fetch cannot cover them all
    const at = { a: 40, b: 1500, c: 2990 } as const;
    for (const [g, offset] of Object.entries(at)) await admin.setOffsets({ groupId: `it-lag-secs-${g}-${run}`, topic, partitions: [{ partition: 0, offset: String(offset) }] });
    const ids = Object.keys(at).map((g) => `it-lag-secs-${g}-${run}`);
    groups.push(...ids);
    const c = new LagCollector(cluster, { intervalMs: 1000, windowSamples: 4, include: ["it-lag-secs-*-" + run], exclude: [], exactMaxPartitions: 500 }, handle.db, () => undefined);
    await c.connect();
    const before = Date.now();
    await c.pollOnce();
    const after = Date.now();
    await c.close();
    for (const [g, offset] of Object.entries(at)) {
      const [p] = await latestPartitions(handle.db, cluster.name, `it-lag-secs-${g}-${run}`);
      expect(p!.lagMethod).toBe("exact");
      // the sample is this poll's, and its lag in seconds is the record's real age at the sample's time (to the
      // millisecond: the record's own timestamp is read), however long the poll itself took on a loaded machine
      const sampledAt = p!.sampledAt.getTime();
      expect(sampledAt).toBeGreaterThanOrEqual(before);
      expect(sampledAt).toBeLessThanOrEqual(after);
      const age = (sampledAt - (base + offset * 1000)) / 1000;
      expect(Math.abs(p!.lagSeconds! - age), `group ${g}`).toBeLessThan(0.01);
    }
  });

  it("interpolates lag in seconds from end-offset samples when exact reads are off budget", async () => {
    const topic = `it.lag.interp.${run}`;
    const groupId = `it-lag-interp-${run}`;
    await topicWith(topic, 1, 10);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "10" }] });
    const c = collector(groupId, { exactMaxPartitions: 0 });
    await c.connect();
    await c.pollOnce(); // table: end 10 at t0
    await sleep(1000);
    const producedAt = Date.now();
    await produce(topic, 10); // offsets 10..19 produced now
    await sleep(1000);
    await c.pollOnce(); // table: end 20 at t1
    await sleep(1500);
    await c.pollOnce();
    await c.close();
    const [p] = await latestPartitions(handle.db, cluster.name, groupId);
    expect(p!.lagMethod).toBe("interpolated");
    expect(p!.lag).toBe(10);
    const age = (p!.sampledAt.getTime() - producedAt) / 1000; // the records' real age when the sample was taken
    expect(Math.abs(p!.lagSeconds! - age)).toBeLessThan(1.5); // interpolated between polls: within one poll interval
  });

  it("shows a partition with no committed offset for what it is, and a deleted topic", async () => {
    const topic = `it.lag.none.${run}`;
    const gone = `it.lag.gone.${run}`;
    const groupId = `it-lag-none-${run}`;
    await topicWith(topic, 2, 10);
    await topicWith(gone, 1, 10);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "4" }] });
    await admin.setOffsets({ groupId, topic: gone, partitions: [{ partition: 0, offset: "3" }] });
    await admin.deleteTopics({ topics: [gone] });
    await waitUntil("topic deleted", async () => !(await admin.listTopics()).includes(gone), 20_000);
    const c = collector(groupId);
    await pollTimes(c, groupId, 1);
    await c.close();
    const parts = await latestPartitions(handle.db, cluster.name, groupId);
    const byKey = Object.fromEntries(parts.map((p) => [`${p.topic}/${p.partition}`, p]));
    // only partition 0 of `topic` has a committed offset; kafka lists the group on the topic, both partitions show
    expect(byKey[`${topic}/0`]).toMatchObject({ committedOffset: 4, lag: 6 });
    expect(byKey[`${topic}/1`]).toMatchObject({ committedOffset: null, endOffset: 10, lag: null, lagSeconds: null, lagMethod: "none" });
    // Kafka drops a deleted topic's committed offsets soon after deletion; until then the row says what it is,
    // and it never shows as lag 0
    const g = byKey[`${gone}/0`];
    if (g) expect(g).toMatchObject({ committedOffset: 3, endOffset: null, lag: null, lagMethod: "none" });
    // the partition it never committed on counts no lag; the backlog it would face on joining is apart
    expect(byKey[`${topic}/1`]).toMatchObject({ logStartOffset: 0, status: "OK" });
    expect(await getGroupStatus(handle.db, cluster.name, groupId)).toMatchObject({ totalLag: 6, uncommittedBacklog: 10, status: "STOP" });
  });
});

describe("a cluster that goes down", () => {
  it("keeps its groups' last figures and says why they are old, without crashing", async () => {
    const topic = `it.lag.down.${run}`;
    const groupId = `it-lag-down-${run}`;
    await topicWith(topic, 1, 10);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "2" }] });
    await pollTimes(collector(groupId), groupId, 1);
    // the same cluster name, now unreachable
    const down = new LagCollector(
      { name: cluster.name, brokers: ["127.0.0.1:1"] },
      { intervalMs: 500, windowSamples: 4, include: [groupId], exclude: [], exactMaxPartitions: 10 },
      handle.db,
      () => undefined,
    ).start();
    const row = await waitUntil("error recorded", async () => {
      const g = await getGroupStatus(handle.db, cluster.name, groupId);
      return g?.error ? g : null;
    }, 20_000);
    await down.stop();
    expect(row.error).toMatch(/cluster unreachable.*connection refused/);
    expect(row.totalLag).toBe(8); // the last known figure, not 0
  });
});

describe("group status with real consumers", () => {
  it("STOP: the consumer went away with messages left", async () => {
    const topic = `it.status.stop.${run}`;
    const groupId = `it-status-stop-${run}`;
    await topicWith(topic, 1, 20);
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await waitUntil("consumed", async () => seen >= 20, 30_000);
    await consumer.disconnect();
    await produce(topic, 30);
    // no member left and lag: STOP at the first poll (Burrow waited for a window; Switchyard sees the members)
    const statuses = await pollTimes(collector(groupId), groupId, 3);
    expect(statuses).toEqual(["STOP", "STOP", "STOP"]);
    const g = (await getGroupStatus(handle.db, cluster.name, groupId))!;
    expect(g).toMatchObject({ state: "Empty", members: 0, totalLag: 30, uncommittedBacklog: 0 });
    expect(g.emptySince).toBeInstanceOf(Date);
    const history = await handle.db.execute<{ reason: string }>(sql`select reason from kafka_group_status_history where group_id = ${groupId} order by id`);
    expect(history.rows.map((r) => r.reason)).toEqual([expect.stringMatching(/^no active members/)]);
  });

  it("STALL: a member owns the partition but its offset does not move", async () => {
    const topic = `it.status.stall.${run}`;
    const groupId = `it-status-stall-${run}`;
    await topicWith(topic, 1, 5);
    const consumer = kafka.consumer({ groupId, sessionTimeout: 60_000 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    await consumer.run({
      autoCommitInterval: 100,
      eachMessage: async () => {
        if (++seen > 5) await stuck; // the sixth message hangs the consumer
      },
    });
    await waitUntil("first five consumed and committed", async () => {
      const o = await admin.fetchOffsets({ groupId, topics: [topic] });
      return Number(o[0]!.partitions[0]!.offset) >= 5;
    }, 30_000);
    await produce(topic, 20);
    const statuses = await pollTimes(collector(groupId), groupId, 5);
    release();
    expect(statuses.at(-1)).toBe("STALL");
  });

  it("REWIND: the committed offset went backwards", async () => {
    const topic = `it.status.rewind.${run}`;
    const groupId = `it-status-rewind-${run}`;
    await topicWith(topic, 1, 100);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "80" }] });
    const c = collector(groupId);
    await pollTimes(c, groupId, 2);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "10" }] });
    const statuses = await pollTimes(c, groupId, 1);
    await c.close();
    expect(statuses).toEqual(["REWIND"]);
  });

  it("catching up: OK, consuming faster than producing, with an ETA", async () => {
    const topic = `it.status.catchup.${run}`;
    const groupId = `it-status-catchup-${run}`;
    await topicWith(topic, 1, 400);
    const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 512 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommitInterval: 200, eachMessage: async () => sleep(10) });
    await waitUntil("a first commit", async () => Number((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset) > 0, 30_000);
    const c = collector(groupId);
    await c.connect();
    const seen: { status: string; eta: number | null; lag: number | null; cr: number | null }[] = [];
    for (let i = 0; i < 5; i++) {
      if (i) await sleep(1000);
      await c.pollOnce();
      const g = (await getGroupStatus(handle.db, cluster.name, groupId))!;
      seen.push({ status: g.status, eta: g.etaSeconds, lag: g.totalLag, cr: g.consumeRate });
    }
    await c.close();
    await consumer.disconnect();
    expect(seen.every((s) => s.status === "OK")).toBe(true);
    const mid = seen.find((s) => s.lag! > 0 && s.eta !== null);
    expect(mid, JSON.stringify(seen)).toBeDefined();
    expect(mid!.cr!).toBeGreaterThan(0);
    expect(seen.at(-1)!.lag!).toBeLessThan(seen[0]!.lag!);
  });
});
