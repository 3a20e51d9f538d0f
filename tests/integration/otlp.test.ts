import { gzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { collectorsEnv, config, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/** The OTLP/HTTP receiver, fed by the real OpenTelemetry SDK exporters. */
describe("OTLP receiver", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: Record<string, string>;
  let collectors: RunningProcess;
  let client: pg.Client;
  let url: string;

  beforeAll(async () => {
    db = await freshDatabase("switchyard_otlp");
    await runMigrations(db.url);
    env = await collectorsEnv({ DATABASE_URL: db.url, KAFKA_CLUSTERS: `local=${config.KAFKA_CLUSTERS[0]!.brokers.join(",")}` });
    url = `http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`;
    collectors = runTs("collectors/main.ts", env);
    await waitUntil("receiver up", async () => (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, 30_000);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await collectors?.stop();
    await db?.drop();
  });

  async function exportWith(exporter: SpanExporter, service: string) {
    const provider = new TracerProvider({ resource: resourceFromAttributes({ "service.name": service }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer("it");
    const other = tracer.startSpan("producer elsewhere", { kind: SpanKind.PRODUCER });
    other.end();
    const root = tracer.startSpan("POST /orders", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST", "order.qty": 3, ratio: 0.5, ok: true, tags: ["a", "b"] } });
    const child = tracer.startSpan(
      "process shop.orders",
      {
        kind: SpanKind.CONSUMER,
        attributes: { "messaging.system": "kafka", "messaging.destination.name": "shop.orders", "messaging.consumer.group.name": "inventory", "messaging.kafka.offset": 42 },
        links: [{ context: other.spanContext(), attributes: { why: "batch" } }],
      },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    child.addEvent("exception", { "exception.type": "OutOfStock", "exception.message": "sku 42" });
    child.setStatus({ code: SpanStatusCode.ERROR, message: "out of stock" });
    child.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    return { root: root.spanContext(), child: child.spanContext(), other: other.spanContext() };
  }

  it.each([
    ["OTLP/HTTP protobuf", "proto", (u: string) => new ProtoExporter({ url: u })],
    ["OTLP/HTTP JSON", "json", (u: string) => new JsonExporter({ url: u })],
  ])("stores every span %s exported, with ids, parent, attributes, events and links", async (_name, tag, make) => {
    const service = `it-${tag}-${Date.now()}`;
    const ids = await exportWith(make(url), service);
    const rows = await waitUntil("3 spans stored", async () => {
      const r = await client.query("select * from spans where service = $1 order by start_time, span_id", [service]);
      return r.rows.length === 3 ? r.rows : null;
    });
    const byId = Object.fromEntries(rows.map((r) => [r.span_id, r]));
    const root = byId[ids.root.spanId]!;
    const child = byId[ids.child.spanId]!;
    expect(root).toMatchObject({ trace_id: ids.root.traceId, parent_span_id: null, name: "POST /orders", kind: SpanKind.SERVER + 1 });
    expect(root.attributes).toEqual({ "http.request.method": "POST", "order.qty": 3, ratio: 0.5, ok: true, tags: ["a", "b"] });
    expect(child).toMatchObject({
      trace_id: ids.root.traceId,
      parent_span_id: ids.root.spanId,
      status_code: 2,
      status_message: "out of stock",
      messaging_system: "kafka",
      messaging_destination: "shop.orders",
      messaging_consumer_group: "inventory",
      kafka_offset: "42", // bigint column, raw from pg
    });
    expect(child.links).toEqual([{ traceId: ids.other.traceId, spanId: ids.other.spanId, attributes: { why: "batch" } }]);
    expect(child.events).toEqual([expect.objectContaining({ name: "exception", attributes: { "exception.type": "OutOfStock", "exception.message": "sku 42" } })]);
    const links = await client.query("select linked_trace_id from span_links where span_id = $1", [ids.child.spanId]);
    expect(links.rows).toEqual([{ linked_trace_id: ids.other.traceId }]);
  });

  it("answers bad input with 4xx and keeps ingesting", async () => {
    const post = (body: Uint8Array | string, type: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: "POST", headers: { "content-type": type, ...headers }, body: typeof body === "string" ? body : new Uint8Array(body) });
    expect((await post(randomBytes(4096), "application/x-protobuf")).status).toBe(400);
    expect((await post('{"resourceSpans": [ {', "application/json")).status).toBe(400);
    expect((await post("hello", "text/plain")).status).toBe(415);
    expect((await post(Buffer.from("not gzip"), "application/json", { "content-encoding": "gzip" })).status).toBe(400);
    // 21 MiB of spaces: over the 20 MiB default, even when it arrives gzipped to a few KiB
    const big = gzipSync(Buffer.alloc(21 * 1024 * 1024, 0x20));
    expect(big.length).toBeLessThan(1024 * 1024);
    expect((await post(big, "application/json", { "content-encoding": "gzip" })).status).toBe(413);
    const ok = await post(gzipSync(JSON.stringify({ resourceSpans: [] })), "application/json", { "content-encoding": "gzip" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/json");
    expect(await ok.json()).toEqual({});
  });
});
