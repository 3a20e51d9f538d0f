/**
 * `npm run bench:kafka-lag`: how long one lag poll takes against the real broker, for many groups and partitions,
 * with exact lag in seconds for every lagging partition and with interpolation only.
 * BENCH_GROUPS (default 500) groups each commit on all BENCH_PARTITIONS (default 12) partitions of one topic.
 * The process is the collector's (plus the setup's clients), so its RSS bounds the collector's.
 */
import { Kafka, logLevel } from "kafkajs";
import { benchDatabase } from "./lib";
import { LagCollector } from "../collectors/kafka/lag-collector";
import { parseConfig } from "../lib/config/env";

const groups = Number(process.env.BENCH_GROUPS ?? 500);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 12);
const polls = Number(process.env.BENCH_POLLS ?? 5);

async function main() {
  const config = parseConfig(process.env);
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const run = Date.now().toString(36);
  const kafka = new Kafka({ clientId: "bench", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench.lag.${run}`;
  console.log(`setting up: topic with ${partitions} partitions, ${groups} groups...`);
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) await producer.send({ topic, messages: Array.from({ length: 1000 }, (_, i) => ({ partition: p, value: `v${i}` })) });
  await producer.disconnect();
  const ids = Array.from({ length: groups }, (_, g) => `bench-lag-${run}-${g}`);
  for (let g = 0; g < groups; g += 20) {
    await Promise.all(
      ids.slice(g, g + 20).map((groupId, k) =>
        admin.setOffsets({ groupId, topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, offset: String((g + k + p * 37) % 1000) })) }),
      ),
    );
  }

  const { handle, drop } = await benchDatabase(config.DATABASE_URL, run);

  const results: string[] = [];
  for (const exact of [500_000, 0]) {
    const collector = new LagCollector(cluster, { intervalMs: 10_000, windowSamples: 10, include: [`bench-lag-${run}-*`], exclude: [], exactMaxPartitions: exact }, handle.db, () => undefined);
    await collector.connect();
    const times: number[] = [];
    let wrote = { groups: 0, partitions: 0 };
    for (let i = 0; i < polls; i++) {
      const t = performance.now();
      wrote = await collector.pollOnce();
      times.push(performance.now() - t);
    }
    await collector.close();
    times.sort((a, b) => a - b);
    const rss = process.memoryUsage().rss / 1024 / 1024;
    const line = `${exact ? "exact lag in seconds" : "interpolated only   "}: ${wrote.groups} groups, ${wrote.partitions} group-partitions per poll; poll ms median ${times[Math.floor(times.length / 2)]!.toFixed(0)}, min ${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)} (${polls} polls); process RSS ${rss.toFixed(0)} MB`;
    console.log(line);
    results.push(line);
  }
  await drop();
  await admin.deleteGroups(ids).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
