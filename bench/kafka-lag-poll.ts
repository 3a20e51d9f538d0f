/**
 * `npm run bench:kafka-lag`: how long one lag poll takes against the real broker, for many groups and partitions,
 * with exact lag in seconds for every lagging partition and with interpolation only.
 * BENCH_GROUPS (default 500) groups each commit on all BENCH_PARTITIONS (default 12) partitions of one topic.
 * The polls run in a child process that holds nothing but one LagCollector and its Postgres pool, so its peak RSS is
 * the collector's own (for one cluster of this size).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { z } from "zod";
import { benchDatabase } from "./lib";
import { LagCollector } from "../collectors/kafka/lag-collector";
import { parseConfig } from "../lib/config/env";
import { createDb } from "../db/client";

const groups = Number(process.env.BENCH_GROUPS ?? 500);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 12);
const polls = Number(process.env.BENCH_POLLS ?? 5);

const childInput = z.object({ databaseUrl: z.string(), include: z.string(), exact: z.number(), polls: z.number() });
const childResult = z.object({ groups: z.number(), partitions: z.number(), times: z.array(z.number()), maxRssMb: z.number() });

/** The child: connect one collector, poll `polls` times, report the times and the process's peak RSS. */
async function child(input: z.infer<typeof childInput>) {
  const config = parseConfig(process.env);
  const db = createDb(input.databaseUrl, { max: 3 });
  const collector = new LagCollector(config.KAFKA_CLUSTERS[0]!, { intervalMs: 10_000, windowSamples: 10, include: [input.include], exclude: [], exactMaxPartitions: input.exact }, db.db, () => undefined);
  await collector.connect();
  const times: number[] = [];
  let wrote = { groups: 0, partitions: 0 };
  for (let i = 0; i < input.polls; i++) {
    const t = performance.now();
    wrote = await collector.pollOnce();
    times.push(performance.now() - t);
  }
  await collector.close();
  await db.close();
  const result: z.infer<typeof childResult> = { ...wrote, times, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/**
 * The whole collectors process (`collectors/main.ts`, every source on, RabbitMQ in observe mode so nothing is drained)
 * polling the benchmark's groups every 2 s for `seconds`: its mean Kafka poll time from its own /metrics and its
 * peak RSS (VmHWM) from /proc.
 */
async function wholeCollector(databaseUrl: string, include: string, seconds: number): Promise<{ polls: number; meanMs: number; steadyRssMb: number; peakRssMb: number }> {
  const opsPort = 19464;
  const p = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "collectors", "main.ts")], {
    env: { ...process.env, DATABASE_URL: databaseUrl, KAFKA_GROUP_INCLUDE: include, KAFKA_POLL_INTERVAL_MS: "2000", RABBITMQ_DLQ_MODE: "observe", OTLP_HTTP_PORT: "14318", OTLP_GRPC_PORT: "14317", COLLECTORS_PORT: String(opsPort) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    // resident size sampled every second once the process has started (its first 10 s hold startup: compiling the
    // TypeScript, migrations, first connections); the peak (VmHWM) covers the whole life
    const rssSamples: number[] = [];
    const kb = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    const readStatus = () => import("node:fs/promises").then((fs) => fs.readFile(`/proc/${p.pid}/status`, "utf8"));
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      if (s >= 10) rssSamples.push(kb(await readStatus(), "VmRSS") / 1024);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const num = (name: string) => Number(metrics.split("\n").find((l) => l.startsWith(name))?.split(" ").at(-1) ?? NaN);
    const polls = num("switchyard_kafka_lag_poll_seconds_count");
    const meanMs = (num("switchyard_kafka_lag_poll_seconds_sum") / polls) * 1000;
    return { polls, meanMs, steadyRssMb: Math.max(...rssSamples), peakRssMb: kb(await readStatus(), "VmHWM") / 1024 };
  } finally {
    p.kill("SIGTERM");
    await new Promise((r) => p.once("exit", r));
  }
}

function runChild(input: z.infer<typeof childInput>): Promise<z.infer<typeof childResult>> {
  return new Promise((resolve, reject) => {
    const tsx = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
    const p = spawn(tsx, [__filename], { env: { ...process.env, BENCH_CHILD: JSON.stringify(input) }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) reject(new Error(`bench child exited ${code}: ${out.slice(-2000)}`));
      else resolve(childResult.parse(JSON.parse(line.slice(7))));
    });
  });
}

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

  const { url, drop } = await benchDatabase(config.DATABASE_URL, run);
  try {
    for (const exact of [500_000, 0]) {
      const r = await runChild({ databaseUrl: url, include: `bench-lag-${run}-*`, exact, polls });
      const times = [...r.times].sort((a, b) => a - b);
      console.log(
        `${exact ? "exact lag in seconds" : "interpolated only   "}: ${r.groups} groups, ${r.partitions} group-partitions per poll; ` +
          `poll ms median ${times[Math.floor(times.length / 2)]!.toFixed(0)}, min ${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)} (${polls} polls); ` +
          `collector process peak RSS ${r.maxRssMb.toFixed(0)} MB`,
      );
    }
    const w = await wholeCollector(url, `bench-lag-${run}-*`, 40);
    console.log(
      `whole collectors process (collectors/main.ts, every source, default exact budget): ${w.polls} polls, mean ${w.meanMs.toFixed(0)} ms (its /metrics); ` +
        `RSS while polling (sampled each second after the first 10 s) at most ${w.steadyRssMb.toFixed(0)} MB, peak over its life (VmHWM) ${w.peakRssMb.toFixed(0)} MB`,
    );
  } finally {
    await drop();
    await admin.deleteGroups(ids).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
}

const childEnv = process.env.BENCH_CHILD;
(childEnv ? child(childInput.parse(JSON.parse(childEnv))) : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
