/**
 * `npm run bench:otlp-ingest`: how fast spans are written, and how fast the receiver ingests them.
 *   1. Writing BENCH_SPANS (default 50,000) spans with their links to Postgres in batches of 500, four ways: drizzle's
 *      multi-row `.values()`, one `json_populate_recordset` insert … on conflict per table (db/queries/bulk.ts), COPY
 *      into a staging table then `insert … select … on conflict do nothing`, and COPY straight into the tables with
 *      the merge only on a key conflict (`storeSpans`, what the receiver does). BENCH_METHODS=0 skips this part.
 *   2. Sustained ingest: BENCH_INGEST_SPANS (default 1,000,000) spans of shop traffic (bench/span-gen.ts) serialized
 *      by the OpenTelemetry SDK's protobuf serializer in batches of 512, sent over OTLP/HTTP by BENCH_EXPORTERS
 *      (default 4) exporters, one export at a time each, to a collectors process (`collectors/main.ts`) writing to a
 *      database of the benchmark's own: spans/s, stored = sent, export latency, 503s, the collectors' RSS, and the CPU
 *      of the collectors, Postgres and the sender.
 *   3. The raw COPY rate of the same rows (decoded and turned into COPY text here as the receiver does) into the same emptied tables,
 *      as many connections as exporters: Postgres's ceiling for these rows on this machine. Ingest and raw COPY
 *      alternate in BENCH_ROUNDS (default 4) rounds over the same exports, each from empty tables.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { stringify } from "csv-stringify";
import pg from "pg";
import { getTableColumns, sql } from "drizzle-orm";
import { from as copyFrom } from "pg-copy-streams";
import { flattenRequest, type SpanRecord } from "../lib/otlp/spans";
import { decodeProtobufRequest } from "../lib/otlp/decode";
import { exportBodies, spansPerOrder } from "./span-gen";
import { parseConfig } from "../lib/config/env";
import { insertResources, insertSpans, linkColumns, spanColumns, spanCopy, spanRows, storeSpans } from "../db/queries/spans";
import { spanLinks, spans } from "../db/schema";
import type { DbHandle } from "../db/client";
import { benchDatabase, otlpAgent, pct, postExport } from "./lib";

const total = Number(process.env.BENCH_SPANS ?? 50_000);
const batch = 500;
const sdkBatch = 512; // the BatchSpanProcessor's default maxExportBatchSize

function makeSpans(n: number): SpanRecord[] {
  const out: SpanRecord[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const traceId = randomBytes(16).toString("hex");
    const at = new Date(now - (i % 3600) * 1000);
    const consumer = i % 3 === 0;
    out.push({
      traceId,
      spanId: randomBytes(8).toString("hex"),
      parentSpanId: i % 5 === 0 ? null : randomBytes(8).toString("hex"),
      service: `service-${i % 7}`,
      name: consumer ? "shop.orders process" : "POST /orders",
      kind: consumer ? 5 : 2,
      startUnixNano: BigInt(at.getTime()) * 1_000_000n + BigInt(i % 1000),
      startTime: at,
      durationMs: (i % 250) + 0.123,
      statusCode: i % 50 === 0 ? 2 : 0,
      statusMessage: i % 50 === 0 ? "out of stock" : null,
      attributes: consumer
        ? { "messaging.system": "kafka", "messaging.destination.name": "shop.orders", "messaging.consumer.group.name": "inventory", "messaging.kafka.offset": i, "messaging.message.id": `m-${i}` }
        : { "http.request.method": "POST", "http.route": "/orders", "http.response.status_code": 201, "url.path": "/orders", "order.id": `ord-${i}` },
      resourceAttributes: { "service.name": `service-${i % 7}`, "service.version": "1.4.2", "telemetry.sdk.language": "nodejs", "host.name": "bench" },
      events: i % 50 === 0 ? [{ name: "exception", timeUnixNano: String(at.getTime() * 1e6), attributes: { "exception.type": "OutOfStock", "exception.message": "sku 42" } }] : [],
      links: consumer ? [{ traceId: randomBytes(16).toString("hex"), spanId: randomBytes(8).toString("hex"), attributes: {} }] : [],
      messagingSystem: consumer ? "kafka" : null,
      messagingDestination: consumer ? "shop.orders" : null,
      messagingOperation: consumer ? "process" : null,
      messagingConsumerGroup: consumer ? "inventory" : null,
      messagingMessageId: consumer ? `m-${i}` : null,
      kafkaPartition: consumer ? i % 3 : null,
      kafkaOffset: consumer ? i : null,
      rabbitmqRoutingKey: null,
    });
  }
  return out;
}

const linksOf = (records: SpanRecord[]) => records.flatMap((s) => s.links.map((l) => ({ traceId: s.traceId, spanId: s.spanId, linkedTraceId: l.traceId, linkedSpanId: l.spanId, startTime: s.startTime })));

async function drizzleValues(h: DbHandle, records: SpanRecord[]) {
  const { rows, resources } = spanRows(records);
  await h.db.transaction(async (tx) => {
    await tx.execute(insertResources(resources));
    await tx.insert(spans).values(rows).onConflictDoNothing();
    const links = linksOf(records);
    if (links.length) await tx.insert(spanLinks).values(links).onConflictDoNothing();
  });
}

/** COPY (CSV, via pg-copy-streams and csv-stringify) into temporary staging tables, then insert … on conflict. */
async function copyInsert(h: DbHandle, records: SpanRecord[]) {
  const client = await h.pool.connect();
  try {
    await client.query("begin");
    const { rows: spanRowList, resources } = spanRows(records);
    await h.db.execute(insertResources(resources)); // outside this transaction: resources are few and idempotent
    for (const [table, rows] of [
      [spans, spanRowList],
      [spanLinks, linksOf(records)],
    ] as const) {
      if (rows.length === 0) continue;
      const cols = Object.entries(getTableColumns(table)).filter(([k]) => k in (rows[0] as object));
      const name = `${(table as unknown as { [k: symbol]: string })[Symbol.for("drizzle:Name")]}`;
      await client.query(`create temp table if not exists stage_${name} (like ${name} including defaults) on commit delete rows`);
      const csv = stringify({ quoted_string: true, cast: { date: (d) => d.toISOString(), bigint: (b) => b.toString(), object: (o) => JSON.stringify(o) } });
      const source = Readable.from((rows as Record<string, unknown>[]).map((r) => cols.map(([k]) => r[k] ?? null)));
      await pipeline(source, csv, client.query(copyFrom(`copy stage_${name} (${cols.map(([, c]) => `"${c.name}"`).join(", ")}) from stdin (format csv)`)));
      await client.query(`insert into ${name} select * from stage_${name} on conflict do nothing`);
    }
    await client.query("commit");
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

async function timeMethod(name: string, h: DbHandle, records: SpanRecord[], write: (h: DbHandle, r: SpanRecord[]) => Promise<void>) {
  await h.db.execute(sql`truncate spans, span_links`);
  const t = performance.now();
  for (let i = 0; i < records.length; i += batch) await write(h, records.slice(i, i + batch));
  const secs = (performance.now() - t) / 1000;
  const stored = Number((await h.db.execute<{ n: string }>(sql`select count(*) n from spans`)).rows[0]!.n);
  console.log(`${name}: ${records.length} spans in ${secs.toFixed(2)} s = ${Math.round(records.length / secs)} spans/s (stored ${stored})`);
  return records.length / secs;
}

/** CPU seconds (user + system) used so far by the given process, or by every process named `comm`, with their exited children. */
function cpuSeconds(pidOrComm: number | string): number {
  const ticks = 100; // USER_HZ on Linux
  const pids = typeof pidOrComm === "number" ? [String(pidOrComm)] : readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (typeof pidOrComm === "string" && stat.slice(stat.indexOf("(") + 1, close) !== pidOrComm) continue;
      const f = stat.slice(close + 2).split(" ");
      // utime + stime, plus cutime + cstime: what exited children used (Postgres backends that closed, counted on the
      // postmaster once it reaps them)
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

function rssMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Sustained ingest: the SDK-serialized bodies sent by `exporters` concurrent exporters (each one export at a time,
 * as a BatchSpanProcessor does), honouring 503 + Retry-After; then the raw COPY of the same rows into the same tables.
 */
async function sustained(url: string, h: DbHandle, exporters: number, orders: number) {
  const now = Date.now();
  const bodies = [...exportBodies(orders, sdkBatch, now - 3600_000, now)].map((b) => new Uint8Array(b));
  const sent = orders * spansPerOrder;
  console.log(`sustained ingest: ${sent} spans (${orders} orders) in ${bodies.length} SDK-serialized exports of up to ${sdkBatch} spans, ${(bodies.reduce((n, b) => n + b.length, 0) / 1e6).toFixed(0)} MB of protobuf, ${exporters} exporters`);
  const port = 14388;
  // BENCH_NODE_ARGS: extra node flags for the collectors process (e.g. --cpu-prof to profile it)
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const p = spawn(process.execPath, [...nodeArgs, "--import", "tsx", path.join(__dirname, "..", "collectors", "main.ts")], {
    // the receiver alone: no Kafka cluster or RabbitMQ broker to poll, whose work (a DLT consumer catching up on old
    // dead letters, say) would land in the figures
    env: { ...process.env, DATABASE_URL: url, KAFKA_CLUSTERS: "", RABBITMQ_BROKERS: "", OTLP_HTTP_PORT: String(port), OTLP_GRPC_PORT: "14387", COLLECTORS_PORT: "19488" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // the collectors' own log lines about ingest (a store that failed, say) belong in the benchmark's output
  createInterface({ input: p.stdout! }).on("line", (l) => l.includes("[otlp]") && console.log(`  collectors: ${l}`));
  try {
    const endpoint = `http://127.0.0.1:${port}/v1/traces`;
    for (let i = 0; ; i++) {
      const ok = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 100) throw new Error("collectors did not start");
      await new Promise((r) => setTimeout(r, 300));
    }
    // the receiver's own COPY text (db/queries/spans.ts) of the same exports, for the raw COPY
    const payloads = bodies.map((b) => spanCopy(flattenRequest(decodeProtobufRequest(b)).spans));
    // connections opened first and closed after Postgres's CPU is read: an exited backend's CPU is no longer counted
    const clients = await Promise.all(
      Array.from({ length: exporters }, async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        return c;
      }),
    );
    const count = async () => Number((await h.db.execute<{ n: string }>(sql`select count(*) n from spans`)).rows[0]!.n);
    /** Empty tables, the resources stored (the receiver has them after its first export), no checkpoint pending. */
    const reset = async () => {
      await h.db.execute(sql`truncate spans, span_links`);
      for (const p of payloads) await h.db.execute(insertResources(p.resources));
      await h.db.execute(sql`checkpoint`);
    };
    const latencies: number[] = [];
    let refused = 0;
    let done = 0;
    const idleRss = rssMb(p.pid!, "VmRSS");
    let maxRss = idleRss;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(p.pid!, "VmRSS"))), 200);
    const t = performance.now();
    const progress = setInterval(() => console.log(`  ${done}/${bodies.length} exports, ${Math.round(performance.now() - t)} ms`), 5000);

    /** Sends exports [from, to) with `exporters` concurrent exporters, each one export at a time as a BatchSpanProcessor. */
    const ingest = async (from: number, to: number) => {
      let next = from;
      const worker = async () => {
        for (let i = next++; i < to; i = next++) {
          for (;;) {
            const t0 = performance.now();
            const r = await postExport(endpoint, bodies[i]!);
            latencies.push(performance.now() - t0);
            if (r.status === 200) break;
            if (r.status !== 503) throw new Error(`export answered ${r.status}`);
            refused++;
            await new Promise((res) => setTimeout(res, Number(r.retryAfter ?? 1) * 1000));
          }
          done++;
        }
      };
      await Promise.all(Array.from({ length: exporters }, worker));
    };
    /** COPYs the same exports' rows over `exporters` connections, one transaction per export's spans and links. */
    const rawCopy = async (from: number, to: number) => {
      let next = from;
      const copier = async (client: pg.Client) => {
        for (let i = next++; i < to; i = next++) {
          const c = payloads[i]!;
          await client.query("begin");
          await pipeline(Readable.from([c.spans]), client.query(copyFrom(`copy spans (${spanColumns.join(", ")}) from stdin`)));
          if (c.links) await pipeline(Readable.from([c.links]), client.query(copyFrom(`copy span_links (${linkColumns.join(", ")}) from stdin`)));
          await client.query("commit");
        }
      };
      await Promise.all(clients.map(copier));
    };

    // Ingest and raw COPY alternate in rounds over the same exports, each round from empty tables: a host whose speed
    // drifts during the run (seen here: 20-50% between runs an hour apart) then weighs on both rates alike.
    const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
    const total = { ingest: 0, copy: 0, sent: 0, lost: 0, copyLost: 0, collector: 0, postgres: 0, sender: 0, copyPostgres: 0 };
    for (let r = 0; r < rounds; r++) {
      const from = Math.floor((r * bodies.length) / rounds);
      const to = Math.floor(((r + 1) * bodies.length) / rounds);
      const spans = payloads.slice(from, to).reduce((n, p) => n + p.count, 0);
      await reset();
      const cpu0 = { collector: cpuSeconds(p.pid!), postgres: cpuSeconds("postgres"), sender: process.cpuUsage() };
      const ti = performance.now();
      await ingest(from, to);
      const ingestSecs = (performance.now() - ti) / 1000;
      const sender = process.cpuUsage(cpu0.sender);
      total.collector += cpuSeconds(p.pid!) - cpu0.collector;
      total.postgres += cpuSeconds("postgres") - cpu0.postgres;
      total.sender += (sender.user + sender.system) / 1e6;
      const stored = await count();
      await reset();
      const pg0 = cpuSeconds("postgres");
      const tc = performance.now();
      await rawCopy(from, to);
      const copySecs = (performance.now() - tc) / 1000;
      total.copyPostgres += cpuSeconds("postgres") - pg0;
      const copied = await count();
      Object.assign(total, { ingest: total.ingest + ingestSecs, copy: total.copy + copySecs, sent: total.sent + spans, lost: total.lost + spans - stored, copyLost: total.copyLost + spans - copied });
      console.log(
        `  round ${r + 1}/${rounds}: ${spans} spans; ingest ${Math.round(spans / ingestSecs)} spans/s (stored ${stored}), raw COPY ${Math.round(spans / copySecs)} spans/s (stored ${copied}): ${((100 * copySecs) / ingestSecs).toFixed(0)}%`,
      );
    }
    clearInterval(progress);
    clearInterval(sampler);
    const hwm = rssMb(p.pid!, "VmHWM");
    await Promise.all(clients.map((c) => c.end()));
    const rate = total.sent / total.ingest;
    const copyRate = total.sent / total.copy;
    console.log(
      `OTLP/HTTP protobuf, sustained: ${total.sent} spans in ${total.ingest.toFixed(1)} s = ${Math.round(rate)} spans/s; stored ${total.sent - total.lost} (lost ${total.lost}); ` +
        `export latency p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms; 503 answers ${refused}; ` +
        `collector RSS idle ${idleRss.toFixed(0)} MB, at most ${maxRss.toFixed(0)} MB while ingesting, peak ${hwm.toFixed(0)} MB`,
    );
    const perSpan = (x: number) => ((x / total.sent) * 1e6).toFixed(0);
    console.log(`  CPU while ingesting: collectors ${total.collector.toFixed(1)} s (${perSpan(total.collector)} µs/span), Postgres ${total.postgres.toFixed(1)} s (${perSpan(total.postgres)} µs/span), sender ${total.sender.toFixed(1)} s (${perSpan(total.sender)} µs/span) of ${(2 * total.ingest).toFixed(1)} s on 2 cores`);
    console.log(`raw COPY of the same rows into the same tables (${exporters} connections, one COPY per export's spans and links): ${total.sent - total.copyLost} spans in ${total.copy.toFixed(1)} s = ${Math.round(copyRate)} spans/s; Postgres CPU ${total.copyPostgres.toFixed(1)} s (${perSpan(total.copyPostgres)} µs/span)`);
    console.log(`ingest reaches ${((100 * rate) / copyRate).toFixed(0)}% of the raw COPY rate`);
  } finally {
    otlpAgent.destroy();
    p.kill("SIGTERM");
    await new Promise((r) => p.once("exit", r));
  }
}

async function main() {
  const config = parseConfig(process.env);
  const run = Date.now().toString(36);
  const { handle, url, drop } = await benchDatabase(config.DATABASE_URL, run);
  try {
    const records = makeSpans(total);
    if (process.env.BENCH_METHODS !== "0") {
    console.log(`${total} spans (${linksOf(records).length} links), batches of ${batch}; each method twice, the second run counts`);
    for (const [name, fn] of [
      ["drizzle .values() multi-row insert", drizzleValues],
      ["json_populate_recordset bulk insert ... on conflict (insertSpans)", (h: DbHandle, r: SpanRecord[]) => insertSpans(h.db, r)],
      ["COPY straight into the tables, merged only on a key conflict (storeSpans, used)", async (h: DbHandle, r: SpanRecord[]) => void (await storeSpans(h, r))],
      ["COPY to staging + insert ... on conflict", copyInsert],
    ] as const) {
      await timeMethod(`${name} (warm-up)`, handle, records.slice(0, 5000), fn);
      await timeMethod(name, handle, records, fn);
    }
    }
    await sustained(url, handle, Number(process.env.BENCH_EXPORTERS ?? 4), Math.ceil(Number(process.env.BENCH_INGEST_SPANS ?? 1_000_000) / spansPerOrder));
  } finally {
    await drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
