/**
 * `npm run bench:otlp-ingest`: how fast spans are written, and how fast the receiver ingests them.
 *   1. Writing BENCH_SPANS (default 50,000) spans with their links to Postgres in batches of 500, three ways: drizzle's
 *      multi-row `.values()`, the one-statement `json_populate_recordset` insert the collectors use
 *      (db/queries/bulk.ts), and COPY into a staging table then `insert … select … on conflict do nothing` (COPY has no
 *      ON CONFLICT, and a retried export must not fail or duplicate).
 *   2. End to end: OTLP/HTTP protobuf exports of 500 spans each, 4 at a time, to a collectors process
 *      (`collectors/main.ts`) writing to a database of the benchmark's own: spans stored per second, and how many
 *      exports were refused with 503 (and retried).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { create, toBinary } from "@bufbuild/protobuf";
import { stringify } from "csv-stringify";
import { getTableColumns, sql } from "drizzle-orm";
import { from as copyFrom } from "pg-copy-streams";
import { ExportTraceServiceRequestSchema } from "../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import type { SpanRecord } from "../lib/otlp/spans";
import { parseConfig } from "../lib/config/env";
import { insertSpans } from "../db/queries/spans";
import { spanLinks, spans } from "../db/schema";
import type { DbHandle } from "../db/client";
import { benchDatabase } from "./lib";

const total = Number(process.env.BENCH_SPANS ?? 50_000);
const batch = 500;

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
  await h.db.transaction(async (tx) => {
    await tx.insert(spans).values(records).onConflictDoNothing();
    const links = linksOf(records);
    if (links.length) await tx.insert(spanLinks).values(links).onConflictDoNothing();
  });
}

/** COPY (CSV, via pg-copy-streams and csv-stringify) into temporary staging tables, then insert … on conflict. */
async function copyInsert(h: DbHandle, records: SpanRecord[]) {
  const client = await h.pool.connect();
  try {
    await client.query("begin");
    for (const [table, rows] of [
      [spans, records],
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

function exportBody(records: SpanRecord[]): Uint8Array {
  return toBinary(
    ExportTraceServiceRequestSchema,
    create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: "bench-exporter" } } }] },
          scopeSpans: [
            {
              spans: records.map((s) => ({
                traceId: Buffer.from(s.traceId, "hex"),
                spanId: Buffer.from(s.spanId, "hex"),
                name: s.name,
                kind: s.kind,
                startTimeUnixNano: s.startUnixNano,
                endTimeUnixNano: s.startUnixNano + BigInt(Math.round(s.durationMs * 1e6)),
                attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: { value: typeof v === "number" ? { case: "intValue" as const, value: BigInt(v) } : { case: "stringValue" as const, value: String(v) } } })),
              })),
            },
          ],
        },
      ],
    }),
  );
}

async function endToEnd(url: string, records: SpanRecord[], h: DbHandle) {
  const port = 14388;
  const p = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "collectors", "main.ts")], {
    env: { ...process.env, DATABASE_URL: url, KAFKA_POLL_INTERVAL_MS: "600000", RABBITMQ_POLL_INTERVAL_MS: "600000", RABBITMQ_DLQ_MODE: "observe", OTLP_HTTP_PORT: String(port), OTLP_GRPC_PORT: "14387", COLLECTORS_PORT: "19488" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    const endpoint = `http://127.0.0.1:${port}/v1/traces`;
    for (let i = 0; ; i++) {
      const ok = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 100) throw new Error("collectors did not start");
      await new Promise((r) => setTimeout(r, 300));
    }
    await h.db.execute(sql`truncate spans, span_links`);
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < records.length; i += batch) bodies.push(exportBody(records.slice(i, i + batch)));
    let refused = 0;
    let next = 0;
    const t = performance.now();
    const worker = async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        for (;;) {
          const r = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: Buffer.from(bodies[i]!) });
          await r.arrayBuffer();
          if (r.status === 200) break;
          if (r.status !== 503) throw new Error(`export answered ${r.status}`);
          refused++;
          await new Promise((res) => setTimeout(res, 50));
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const secs = (performance.now() - t) / 1000;
    const stored = Number((await h.db.execute<{ n: string }>(sql`select count(*) n from spans`)).rows[0]!.n);
    console.log(`OTLP/HTTP protobuf end to end (4 exporters, ${batch} spans per export): ${records.length} spans in ${secs.toFixed(2)} s = ${Math.round(records.length / secs)} spans/s; stored ${stored}; 503 answers ${refused}`);
  } finally {
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
    console.log(`${total} spans (${linksOf(records).length} links), batches of ${batch}; each method twice, the second run counts`);
    for (const [name, fn] of [
      ["drizzle .values() multi-row insert", drizzleValues],
      ["json_populate_recordset bulk insert (used)", (h: DbHandle, r: SpanRecord[]) => insertSpans(h.db, r)],
      ["COPY to staging + insert ... on conflict", copyInsert],
    ] as const) {
      await timeMethod(`${name} (warm-up)`, handle, records.slice(0, 5000), fn);
      await timeMethod(name, handle, records, fn);
    }
    await endToEnd(url, records, handle);
  } finally {
    await drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
