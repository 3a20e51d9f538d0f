/**
 * `npm run bench:flows`: what the flow map costs and how fast it answers, against real Postgres and the real receiver.
 *
 * 1. Ingest with and without the rollups: BENCH_SPANS (default 1,000,000) spans of shop traffic (bench/span-gen.ts:
 *    HTTP calls, Kafka and RabbitMQ publishes and consumes) within the last 15 minutes, serialized by the
 *    OpenTelemetry SDK's protobuf serializer in batches of 512 and sent over OTLP/HTTP by 4 exporters to two collectors
 *    processes on one database of the benchmark's own, one with FLOW_ROLLUPS=on and one with off. The two alternate
 *    over the same exports in BENCH_ROUNDS (default 2) rounds, each from an empty spans table: spans/s of each.
 * 2. Then every span is stored once more (rollups already hold each once), and the flow map of the 15-minute window
 *    is asked BENCH_QUERIES (default 30) times, as GET /api/v1/flows computes it (app/_server/flows.ts: rollups,
 *    lag, queues, dead letters, lib/flows/graph.ts), the workflow list and summary (of the workflows the collectors
 *    derived from these spans, one per order id) and the two analyses likewise: p50 and p95 of each.
 */
import type { ChildProcess } from "node:child_process";
import { sql } from "drizzle-orm";
import { callSpans, duplicateProcessing } from "../db/queries/analysis";
import { listWorkflows, workflowSummary } from "../db/queries/workflows";
import { deadLetterFlows, flowEdgeTotals, latestTopicLag, queueFlowInfo } from "../db/queries/flows";
import { syncChains } from "../lib/flows/analysis";
import { buildFlowGraph } from "../lib/flows/graph";
import { parseConfig } from "../lib/config/env";
import { exportBodies, spansPerOrder } from "./span-gen";
import { benchDatabase, ingestExports as ingest, otlpAgent, pct, receiverUp as up, spawnCollectors } from "./lib";

const spans = Number(process.env.BENCH_SPANS ?? 1_000_000);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const queries = Number(process.env.BENCH_QUERIES ?? 30);
const exporters = 4;
function collectors(url: string, port: number, opsPort: number, rollups: "on" | "off"): ChildProcess {
  return spawnCollectors(url, port, opsPort, { FLOW_ROLLUPS: rollups });
}

async function main() {
  const config = parseConfig(process.env);
  const run = Date.now().toString(36);
  const bench = await benchDatabase(config.DATABASE_URL, run);
  const on = collectors(bench.url, 14488, 19490, "on");
  const off = collectors(bench.url, 14498, 19491, "off");
  const onUrl = "http://127.0.0.1:14488/v1/traces";
  const offUrl = "http://127.0.0.1:14498/v1/traces";
  try {
    await Promise.all([up(onUrl), up(offUrl)]);
    const now = Date.now();
    const orders = Math.ceil(spans / spansPerOrder);
    const bodies = [...exportBodies(orders, 512, now - 14 * 60_000, now)].map((b) => new Uint8Array(b));
    const h = bench.handle;
    const count = async () => Number((await h.db.execute<{ n: string }>(sql`select count(*) n from spans`)).rows[0]!.n);
    console.log(`${orders * spansPerOrder} spans in ${bodies.length} exports within the last 15 minutes; ${exporters} exporters; ${rounds} rounds alternating rollups on and off`);
    const rate = { on: [] as number[], off: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const from = Math.floor((r * bodies.length) / rounds);
      const to = Math.floor(((r + 1) * bodies.length) / rounds);
      const part = bodies.slice(from, to);
      const n = Math.round(((to - from) / bodies.length) * orders * spansPerOrder);
      for (const [which, url] of [["on", onUrl], ["off", offUrl]] as const) {
        await h.db.execute(sql`truncate spans, span_links`);
        await h.db.execute(sql`checkpoint`);
        const t = performance.now();
        const refused = await ingest(url, part);
        const secs = (performance.now() - t) / 1000;
        const stored = await count();
        rate[which].push(stored / secs);
        console.log(`  round ${r + 1}, rollups ${which}: ${stored} of ${n} spans stored in ${secs.toFixed(1)} s = ${Math.round(stored / secs)} spans/s (${refused} exports refused with 503 and retried)`);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`ingest: rollups on ${Math.round(mean(rate.on))} spans/s, off ${Math.round(mean(rate.off))} spans/s: on / off ${(mean(rate.on) / mean(rate.off)).toFixed(3)} (per round ${rate.on.map((x, i) => (x / rate.off[i]!).toFixed(3)).join(", ")}; target ≥ 0.85)`);

    // every span once more (the rollups hold each once already), then the window's answers
    await h.db.execute(sql`truncate spans, span_links`);
    await ingest(offUrl, bodies);
    await new Promise((r) => setTimeout(r, 3000)); // the last rollup flush
    await h.db.execute(sql`analyze`);
    const edges = Number((await h.db.execute<{ n: string }>(sql`select count(*) n from flow_edge_minutes`)).rows[0]!.n);
    console.log(`window: ${await count()} spans, ${edges} rollup rows`);
    const time = async (label: string, fn: () => Promise<unknown>, target = "target p95 ≤ 300 ms") => {
      const ms: number[] = [];
      let last: unknown;
      for (let i = 0; i < queries; i++) {
        const t = performance.now();
        last = await fn();
        ms.push(performance.now() - t);
      }
      console.log(`  ${label}: p50 ${pct(ms, 50).toFixed(0)} ms, p95 ${pct(ms, 95).toFixed(0)} ms over ${queries} (${target})`);
      return last;
    };
    const to = new Date(Date.now() + 1000);
    const from = new Date(to.getTime() - 15 * 60_000);
    const g = (await time("flow map (GET /api/v1/flows)", async () => {
      const [e, lag, queues, dl] = await Promise.all([flowEdgeTotals(h.db, from, to), latestTopicLag(h.db), queueFlowInfo(h.db), deadLetterFlows(h.db, from, to)]);
      return buildFlowGraph({ edges: e, lag, queues, deadLetters: dl, rangeSeconds: 15 * 60 });
    })) as ReturnType<typeof buildFlowGraph>;
    console.log(`    ${g.nodes.length} nodes, ${g.edges.length} edges, ${g.edges.reduce((a, e) => a + e.count, 0)} spans counted on them`);
    const wf = await h.db.execute<{ n: string; d: string }>(sql`select count(*)::text n, count(evaluated_at)::text d from workflows`);
    console.log(`  workflows: ${wf.rows[0]!.n} (one per order id), ${wf.rows[0]!.d} derived so far`);
    await time("workflow list (GET /api/v1/workflows, 50 of the window)", async () => listWorkflows(h.db, { from, to, limit: 50 }));
    await time("workflow list by state (GET /api/v1/workflows?state=pending)", async () => listWorkflows(h.db, { from, to, state: "pending", limit: 50 }));
    await time("workflow summary (GET /api/v1/workflows/summary)", async () => workflowSummary(h.db, from, to, 60));
    await time("synchronous chains (GET /api/v1/analysis/sync-chains, the newest 200,000 spans)", async () => syncChains((await callSpans(h.db, from, to, 200_000)).spans, 3), "no target: read from the raw spans on request");
    await time("duplicate processing (GET /api/v1/analysis/duplicates)", async () => duplicateProcessing(h.db, from, to, 500), "no target: read from the raw spans on request");
  } finally {
    on.kill("SIGTERM");
    off.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 2000));
    otlpAgent.destroy();
    await bench.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
