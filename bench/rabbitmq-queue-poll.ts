/**
 * `npm run bench:rabbitmq-queues`: one poll of the queue collector on a broker with BENCH_QUEUES (default 10,000)
 * queues: management API pages with `columns=`, dead-letter topology, and the Postgres write. Also shows what the
 * same listing costs without `columns=`.
 */
import amqp from "amqplib";
import { benchDatabase } from "./lib";
import { ManagementApi, queueColumns } from "../collectors/rabbitmq/management";
import { QueueCollector } from "../collectors/rabbitmq/queue-collector";
import { parseConfig } from "../lib/config/env";

const n = Number(process.env.BENCH_QUEUES ?? 10_000);
const polls = Number(process.env.BENCH_POLLS ?? 3);

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
  for (let i = 0; i < polls; i++) {
    t = performance.now();
    await collector.pollOnce();
    pollTimes.push(performance.now() - t);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);
  console.log(`broker holds ${total} queues; listing bytes per poll: ${(withColumns / 1e6).toFixed(1)} MB with columns=, ${(without / 1e6).toFixed(1)} MB without`);
  console.log(`management API listing (${Math.ceil(total / 500)} pages of 500): median ${med(apiTimes)} ms over ${polls} polls`);
  console.log(`full poll (listing + exchanges + bindings + topology + Postgres write): median ${med(pollTimes)} ms, min ${Math.min(...pollTimes).toFixed(0)}, max ${Math.max(...pollTimes).toFixed(0)}`);

  await drop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
