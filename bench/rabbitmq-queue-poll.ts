/**
 * `npm run bench:rabbitmq-queues`: one poll of the queue collector on a broker with BENCH_QUEUES (default 10,000)
 * queues: management API pages with `columns=`, dead-letter topology, and the Postgres write. Also shows what the
 * same listing costs without `columns=`.
 */
import { readdirSync, readFileSync } from "node:fs";
import amqp from "amqplib";
import { benchDatabase } from "./lib";
import { ManagementApi, queueColumns } from "../collectors/rabbitmq/management";
import { QueueCollector } from "../collectors/rabbitmq/queue-collector";
import { parseConfig } from "../lib/config/env";

const n = Number(process.env.BENCH_QUEUES ?? 10_000);
const polls = Number(process.env.BENCH_POLLS ?? 5);

/**
 * CPU seconds the broker's Erlang VM (beam.smp, found by name in /proc) has used so far, or null where it cannot be
 * read (another user's process, not Linux): utime + stime from /proc/<pid>/stat, in clock ticks of 1/100 s.
 */
function brokerCpuSeconds(): number | null {
  try {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let comm = "";
      try {
        comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        continue;
      }
      if (comm !== "beam.smp") continue;
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100;
    }
  } catch {
    /* not Linux */
  }
  return null;
}

async function bytesOf(url: string, auth: string): Promise<number> {
  let total = 0;
  for (let page = 1; ; page++) {
    const r = await fetch(`${url}&page=${page}`, { headers: { authorization: auth } });
    const text = await r.text();
    total += text.length;
    if (page >= (JSON.parse(text) as { page_count: number }).page_count) return total;
  }
}

async function main() {
  const config = parseConfig(process.env);
  const broker = config.RABBITMQ_BROKERS[0]!;
  const run = Date.now().toString(36);
  const conn = await amqp.connect(broker.amqpUrl);
  const ch = await conn.createChannel();
  const names = Array.from({ length: n }, (_, i) => `bench.q.${run}.${i}`);
  let t = performance.now();
  for (let i = 0; i < n; i += 500) await Promise.all(names.slice(i, i + 500).map((q, k) => ch.assertQueue(q, { durable: false, arguments: k % 10 === 0 ? { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${q}.dlq` } : {} })));
  console.log(`created ${n} queues in ${((performance.now() - t) / 1000).toFixed(1)} s; waiting 15 s for the management stats to settle`);
  await new Promise((r) => setTimeout(r, 15_000));

  try {
    await measure(config, broker, run);
  } finally {
    t = performance.now();
    for (let i = 0; i < n; i += 500) await Promise.all(names.slice(i, i + 500).map((q) => ch.deleteQueue(q).catch(() => undefined)));
    console.log(`deleted the queues in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await conn.close();
  }
}

async function measure(config: ReturnType<typeof parseConfig>, broker: ReturnType<typeof parseConfig>["RABBITMQ_BROKERS"][number], run: string) {
  let t: number;
  const { handle, drop } = await benchDatabase(config.DATABASE_URL, run);

  const auth = `Basic ${Buffer.from(`${broker.managementUser}:${broker.managementPassword}`).toString("base64")}`;
  const withColumns = await bytesOf(`${broker.managementUrl}/api/queues?page_size=500&pagination=true&columns=${queueColumns}`, auth);
  const without = await bytesOf(`${broker.managementUrl}/api/queues?page_size=500&pagination=true`, auth);
  const api = new ManagementApi(broker, 60_000);
  const apiTimes: number[] = [];
  let total = 0;
  for (let i = 0; i < polls; i++) {
    t = performance.now();
    total = (await api.queues()).length;
    apiTimes.push(performance.now() - t);
  }
  const collector = new QueueCollector(broker, { intervalMs: 10_000, dlqPatterns: ["*.dlq"], mode: "observe", fallbackQueues: [] }, handle.db, () => undefined);
  const pollTimes: number[] = [];
  const brokerCpu: number[] = [];
  for (let i = 0; i < polls; i++) {
    const cpu = brokerCpuSeconds();
    t = performance.now();
    await collector.pollOnce();
    pollTimes.push(performance.now() - t);
    const after = brokerCpuSeconds();
    if (cpu !== null && after !== null) brokerCpu.push((after - cpu) * 1000);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);
  const steady = pollTimes.slice(1);
  console.log(`broker holds ${total} queues; listing bytes per poll: ${(withColumns / 1e6).toFixed(1)} MB with columns=, ${(without / 1e6).toFixed(1)} MB without`);
  console.log(`management API listing alone (${Math.ceil(total / 500)} pages of 500): median ${med(apiTimes)} ms over ${polls} polls`);
  console.log(`first poll (every queue definition written): ${pollTimes[0]!.toFixed(0)} ms`);
  console.log(`later polls (listing + exchanges + dead-letter bindings + topology + Postgres write): median ${med(steady)} ms, min ${Math.min(...steady).toFixed(0)}, max ${Math.max(...steady).toFixed(0)} over ${steady.length} polls`);
  if (brokerCpu.length) console.log(`broker CPU per poll (beam.smp utime+stime): median ${med(brokerCpu)} ms, max ${Math.max(...brokerCpu).toFixed(0)} ms`);

  await drop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
