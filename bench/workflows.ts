/**
 * `npm run bench:workflows`: whether the collectors derive business workflows as fast as the receiver stores them.
 *
 * One collectors process (no brokers) on a database of the benchmark's own takes BENCH_ORDERS (default 30,000) orders
 * of shop traffic (bench/span-gen.ts: 8 spans each, an `order.id` on the entry span, a Kafka message key, HTTP, Kafka
 * and RabbitMQ hops), sent as fast as it takes them over OTLP/HTTP by 4 exporters in batches of 512, as services'
 * BatchSpanProcessors send them (one order's spans arrive in several exports). Every second the benchmark counts the
 * workflows, those derived (`evaluated_at` set) and those waiting (`dirty`), until none waits or BENCH_DRAIN_S
 * (default 300) pass after the last export. The peer is the receiver itself: orders stored per second (spans/s ÷ 8)
 * against workflows derived per second over the same run; the target is derivation ≥ 1.0× the store rate, and
 * nothing left waiting within a few seconds of the last export.
 */
import { sql } from "drizzle-orm";
import { parseConfig } from "../lib/config/env";
import { exportBodies, spansPerOrder } from "./span-gen";
import { benchDatabase, ingestExports, otlpAgent, receiverUp, spawnCollectors } from "./lib";

const orders = Number(process.env.BENCH_ORDERS ?? 30_000);
const drainSeconds = Number(process.env.BENCH_DRAIN_S ?? 300);

async function main() {
  const config = parseConfig(process.env);
  const bench = await benchDatabase(config.DATABASE_URL, Date.now().toString(36));
  const proc = spawnCollectors(bench.url, 14588, 19590);
  const url = "http://127.0.0.1:14588/v1/traces";
  const h = bench.handle;
  try {
    await receiverUp(url);
    const now = Date.now();
    const bodies = [...exportBodies(orders, 512, now - 10 * 60_000, now)].map((b) => new Uint8Array(b));
    console.log(`${orders} orders, ${orders * spansPerOrder} spans in ${bodies.length} exports within the last 10 minutes; 4 exporters`);
    const counts = async () => {
      const r = await h.db.execute<{ n: string; d: string; w: string }>(sql`select count(*)::text n, count(evaluated_at)::text d, (count(*) filter (where dirty))::text w from workflows`);
      return { total: Number(r.rows[0]!.n), derived: Number(r.rows[0]!.d), waiting: Number(r.rows[0]!.w) };
    };
    const samples: { s: number; total: number; derived: number; waiting: number }[] = [];
    const t0 = performance.now();
    let sending = true;
    let ingestSecs = Infinity;
    const sampler = (async () => {
      for (;;) {
        const c = await counts();
        const s = (performance.now() - t0) / 1000;
        samples.push({ s, ...c });
        // one workflow per order id: done when all are there and none waits
        if (!sending && c.waiting === 0 && c.total >= orders) return;
        if (!sending && s - ingestSecs > drainSeconds) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const refused = await ingestExports(url, bodies);
    ingestSecs = (performance.now() - t0) / 1000;
    sending = false;
    const stored = Number((await h.db.execute<{ n: string }>(sql`select count(*)::text n from spans`)).rows[0]!.n);
    console.log(`ingest: ${stored} spans stored in ${ingestSecs.toFixed(1)} s = ${Math.round(stored / ingestSecs)} spans/s = ${Math.round(stored / spansPerOrder / ingestSecs)} orders/s (${refused} exports refused with 503 and retried)`);
    await sampler;
    const last = samples[samples.length - 1]!;
    const atEnd = samples.filter((x) => x.s <= ingestSecs).at(-1) ?? samples[0]!;
    const doneS = last.waiting === 0 ? last.s : NaN;
    for (const x of samples.filter((_, i) => i % 5 === 0 || i === samples.length - 1)) console.log(`  ${x.s.toFixed(0).padStart(4)} s: ${x.total} workflows, ${x.derived} derived, ${x.waiting} waiting`);
    const storeRate = stored / spansPerOrder / ingestSecs;
    const deriveRate = last.waiting === 0 ? last.total / doneS : last.derived / last.s;
    console.log(
      `derivation: ${atEnd.derived} of ${atEnd.total} derived when the last export was stored (${atEnd.waiting} waiting); ` +
        (last.waiting === 0 ? `all ${last.total} derived ${(doneS - ingestSecs).toFixed(1)} s after it` : `${last.waiting} still waiting ${drainSeconds} s after it`) +
        `; ${Math.round(deriveRate)} workflows/s against ${Math.round(storeRate)} orders/s stored: ${(deriveRate / storeRate).toFixed(2)}× (target ≥ 1.0)`,
    );
    const states = await h.db.execute<{ state: string; n: string }>(sql`select state, count(*)::text n from workflows where evaluated_at is not null group by state order by 2 desc`);
    console.log(`states: ${states.rows.map((r) => `${r.state} ${r.n}`).join(", ")}`);
  } finally {
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
    otlpAgent.destroy();
    await bench.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
