/**
 * `npm run bench:trace-queries`: trace by id and trace search with BENCH_TRACE_SPANS (default 5,000,000) spans stored.
 *
 * Loads a database of its own with the synthetic shop traffic of bench/span-gen.ts (8 spans per order, 2% failed
 * payments, an analytics trace linked to each order) spread over the last 24 hours, as the receiver stores it
 * (SDK-serialized, decoded, COPY), then times the dashboard's own server functions (app/_server/traces.ts, what the
 * API routes call): `getTrace` for random stored traces, and `searchTraceSummaries` with each kind of filter.
 * BENCH_KEEP=1 keeps the loaded database for the next run (it is reused when it holds the same number of spans).
 */
import { sql } from "drizzle-orm";
import { maintainSpanPartitions } from "../db/queries/span-partitions";
import { spanCopy, storeSpanCopy, type SpanCopy } from "../db/queries/spans";
import { parseConfig } from "../lib/config/env";
import { decodeProtobufRequest } from "../lib/otlp/decode";
import { flattenRequest } from "../lib/otlp/spans";
import { exportBodies, spansPerOrder } from "./span-gen";
import { keptDatabase, pct } from "./lib";

const target = Number(process.env.BENCH_TRACE_SPANS ?? 5_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 40);
const dbName = `switchyard_bench_traces_${target}`;

async function main() {
  const config = parseConfig(process.env);
  const kept = await keptDatabase(config.DATABASE_URL, dbName);
  const { admin, url } = kept;
  let h = kept.handle;
  const stored = async () => Number((await h!.db.execute<{ n: string }>(sql`select count(*) n from spans`)).rows[0]!.n);
  const orders = Math.ceil(target / spansPerOrder);
  if (!h || (await stored()) !== orders * spansPerOrder) {
    await h?.close();
    h = await kept.create();
    await maintainSpanPartitions(h.db, { retentionDays: 7 });
    const now = Date.now();
    console.log(`loading ${orders * spansPerOrder} spans (${orders} orders over the last 24 h) into ${dbName}...`);
    const t = performance.now();
    // generate and encode here while up to 3 COPYs run in Postgres
    const queue: Promise<unknown>[] = [];
    let done = 0;
    for (const body of exportBodies(orders, 512, now - 86_400_000, now - 60_000)) {
      const batch: SpanCopy = spanCopy(flattenRequest(decodeProtobufRequest(body)).spans);
      queue.push(storeSpanCopy(h, batch).then(() => (done += batch.count)));
      if (queue.length >= 3) await queue.shift();
      if (done % 500_000 < batch.count) console.log(`  ${done} spans, ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
    await Promise.all(queue);
    console.log(`loaded in ${((performance.now() - t) / 1000).toFixed(0)} s; vacuum analyze...`);
    await h.db.execute(sql`vacuum analyze spans`);
    await h.db.execute(sql`vacuum analyze span_links`);
  } else console.log(`reusing ${dbName} (${await stored()} spans)`);
  const size = (await h.db.execute<{ s: string }>(sql`select pg_size_pretty(pg_database_size(current_database())) s`)).rows[0]!.s;
  console.log(`${await stored()} spans stored, database ${size}`);

  // the dashboard's server functions, on this database
  process.env.DATABASE_URL = url;
  const { getTrace, searchTraceSummaries } = await import("../app/_server/traces");
  const { parseTraceSearch } = await import("../lib/traces/search-query");

  const ids = (await h.db.execute<{ trace_id: string }>(sql`select trace_id from spans tablesample bernoulli (0.02) limit ${runs}`)).rows.map((r) => r.trace_id);
  const time = async (name: string, fn: (i: number) => Promise<unknown>) => {
    await fn(0); // warm
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await fn(i);
      ms.push(performance.now() - t);
    }
    console.log(`${name.padEnd(58)} p50 ${pct(ms, 50).toFixed(1).padStart(7)} ms   p95 ${pct(ms, 95).toFixed(1).padStart(7)} ms   max ${Math.max(...ms).toFixed(1).padStart(7)} ms`);
    return pct(ms, 95);
  };
  const search = (q: string) => async (i: number) => {
    const r = await searchTraceSummaries(parseTraceSearch(new URLSearchParams(q.replaceAll("{i}", String((i * 7919) % orders)))));
    if (r.items.length === 0 && !q.includes("{i}")) throw new Error(`search ${q} found nothing`);
    return r;
  };
  const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
  console.log(`${runs} runs each (after one warm-up), on ${await stored()} spans:`);
  const byId = await time("trace by id (getTrace: spans, linked traces, dead letters)", async (i) => {
    const tr = await getTrace(ids[i % ids.length]!);
    if (tr.spans.length === 0) throw new Error("empty trace");
  });
  const p95s = [
    await time("search: last hour, no filter", search("")),
    await time("search: last hour, service=payment-service", search("service=payment-service")),
    await time("search: last hour, status=error", search("status=error")),
    await time("search: last hour, operation + minDurationMs=60", search("operation=process+payments.requests&minDurationMs=60")),
    await time("search: last hour, destination=shop.orders", search("destination=shop.orders")),
    await time("search: last hour, attr order.id=<one order>", search("attr=order.id%3Dord-{i}")),
    await time("search: last 24 hours, status=error", search(`status=error&from=${encodeURIComponent(iso(86_400_000))}`)),
    await time("search: last 24 hours, messageId=<one message>", search(`messageId=ord-{i}-m&from=${encodeURIComponent(iso(86_400_000))}`)),
    await time("search: last 24 hours, page 1 then page 2 (cursor)", async () => {
      const from = iso(86_400_000);
      const first = await searchTraceSummaries(parseTraceSearch(new URLSearchParams({ from })));
      return searchTraceSummaries(parseTraceSearch(new URLSearchParams({ from, cursor: first.nextCursor! })));
    }),
  ];
  console.log(`trace by id p95 ${byId.toFixed(1)} ms (target ≤ 50 ms); worst search p95 ${Math.max(...p95s).toFixed(1)} ms (target ≤ 300 ms)`);

  await h.close();
  if (!process.env.BENCH_KEEP) await admin.query(`drop database ${dbName} with (force)`);
  await admin.end();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
