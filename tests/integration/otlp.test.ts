import { gzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as GrpcExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import * as grpc from "@grpc/grpc-js";
import http from "node:http";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  type ExportTraceServiceResponse,
} from "../../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
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
    ["OTLP/gRPC (gzip)", "grpc", () => new GrpcExporter({ url: `http://127.0.0.1:${env.OTLP_GRPC_PORT}`, compression: "gzip" as never })],
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

  /** One Export call over gRPC with a raw request body. */
  function grpcExport(body: Buffer): Promise<{ code: grpc.status; details: string; response?: ExportTraceServiceResponse }> {
    const c = new grpc.Client(`127.0.0.1:${env.OTLP_GRPC_PORT}`, grpc.credentials.createInsecure());
    return new Promise((resolve) => {
      c.makeUnaryRequest(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        (b: Buffer) => b,
        (b: Buffer) => fromBinary(ExportTraceServiceResponseSchema, b),
        body,
        (err, response) => {
          c.close();
          resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: "", response });
        },
      );
    });
  }

  const validRequest = (service: string, spanIds: string[]) =>
    create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: service } } }] },
          scopeSpans: [
            {
              spans: spanIds.map((id) => ({
                traceId: Buffer.from(randomBytes(16)),
                spanId: Buffer.from(id, "hex"),
                name: "op",
                kind: 1,
                startTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
                endTimeUnixNano: BigInt(Date.now()) * 1_000_000n + 1000n,
              })),
            },
          ],
        },
      ],
    });

  it("gRPC: partial success, INVALID_ARGUMENT for garbage, RESOURCE_EXHAUSTED over the limit, and keeps ingesting", async () => {
    const service = `it-grpc-raw-${Date.now()}`;
    // one valid span and one with a 4-byte span id: stored and rejected
    const partial = await grpcExport(Buffer.from(toBinary(ExportTraceServiceRequestSchema, validRequest(service, ["0102030405060708", "0a0b0c0d"]))));
    expect(partial.code).toBe(grpc.status.OK);
    expect(partial.response?.partialSuccess?.rejectedSpans).toBe(1n);
    expect(partial.response?.partialSuccess?.errorMessage).toMatch(/trace id must be 16 bytes and span id 8 bytes/);
    const garbage = await grpcExport(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(garbage.code).toBe(grpc.status.INVALID_ARGUMENT);
    const big = await grpcExport(Buffer.alloc(21 * 1024 * 1024));
    expect(big.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const empty = await grpcExport(Buffer.alloc(0));
    expect(empty.code).toBe(grpc.status.OK);
    expect(empty.response?.partialSuccess).toBeUndefined();
    const stored = await waitUntil("the valid span stored", async () => {
      const r = await client.query("select span_id from spans where service = $1", [service]);
      return r.rows.length ? r.rows : null;
    });
    expect(stored).toEqual([{ span_id: "0102030405060708" }]);
  });

  it("HTTP: partial success says how many spans were rejected and why, in the request's content type", async () => {
    const service = `it-partial-${Date.now()}`;
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: toBinary(ExportTraceServiceRequestSchema, validRequest(service, ["1112131415161718", "0000000000000000"])) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    const body = fromBinary(ExportTraceServiceResponseSchema, new Uint8Array(await res.arrayBuffer()));
    expect(body.partialSuccess?.rejectedSpans).toBe(1n);
  });

  it("answers 1,000 malformed bodies with 4xx, stays up, and still stores a valid export after them", async () => {
    const valid = Buffer.from(toBinary(ExportTraceServiceRequestSchema, validRequest("it-fuzz-shape", ["2122232425262728"])));
    const validJson = JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ traceId: "ab".repeat(16), spanId: "cd".repeat(8), name: "x" }] }] }] });
    const bodies: { body: Uint8Array | string; type: string }[] = [];
    for (let i = 0; i < 1000; i++) {
      switch (i % 4) {
        case 0: // random bytes that are not an ExportTraceServiceRequest (a leading invalid wire type)
          bodies.push({ body: Buffer.concat([Buffer.from([0x0f]), randomBytes(1 + (i % 300))]), type: "application/x-protobuf" });
          break;
        case 1: // a valid request cut short
          bodies.push({ body: valid.subarray(0, 1 + (i % (valid.length - 2))), type: "application/x-protobuf" });
          break;
        case 2: // JSON of the wrong types
          bodies.push({ body: validJson.replace('"name":"x"', `"name":${i}`).replace('"spans":[', i % 8 === 2 ? '"spans":{"a":[' : '"spans":['), type: "application/json" });
          break;
        default: // JSON cut short
          bodies.push({ body: validJson.slice(0, 1 + (i % (validJson.length - 1))), type: "application/json" });
      }
    }
    const statuses = new Map<number, number>();
    // as many at once as the receiver admits (OTLP_MAX_IN_FLIGHT, 8 by default): more would be answered 503, rightly
    for (let i = 0; i < bodies.length; i += 8) {
      const answers = await Promise.all(
        bodies.slice(i, i + 8).map(async (b) => {
          const r = await fetch(url, { method: "POST", headers: { "content-type": b.type }, body: typeof b.body === "string" ? b.body : new Uint8Array(b.body) });
          await r.arrayBuffer();
          return r.status;
        }),
      );
      for (const s of answers) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    // every one is a client error (400), none accepted, none a server error
    expect(Object.fromEntries(statuses)).toEqual({ 400: 1000 });
    const service = `it-after-fuzz-${Date.now()}`;
    const ok = await fetch(url, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: toBinary(ExportTraceServiceRequestSchema, validRequest(service, ["3132333435363738"])) });
    expect(ok.status).toBe(200);
    await waitUntil("stored after the fuzzing", async () => (await client.query("select 1 from spans where service = $1", [service])).rows.length === 1);
  });
});

describe("OTLP receiver under saturation", () => {
  it("refuses with 503 and Retry-After while every ingest slot is busy, and accepts again when one frees", async () => {
    const db = await freshDatabase("switchyard_otlp_sat");
    await runMigrations(db.url);
    const env = await collectorsEnv({ DATABASE_URL: db.url, OTLP_MAX_IN_FLIGHT: "1", KAFKA_CLUSTERS: `local=${config.KAFKA_CLUSTERS[0]!.brokers.join(",")}` });
    const port = Number(env.OTLP_HTTP_PORT);
    const p = runTs("collectors/main.ts", env);
    const url = `http://127.0.0.1:${port}/v1/traces`;
    try {
      await waitUntil("receiver up", async () => (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, 30_000);
      // hold the only slot: an export whose store waits on a lock of the spans table (a body still arriving holds none)
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      try {
        await locker.query("begin");
        await locker.query("lock table spans in access exclusive mode");
        const body = (id: string) =>
          JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ traceId: randomBytes(16).toString("hex"), spanId: id, name: "x", startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n) }] }] }] });
        const held = fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body("0102030405060708") });
        await waitUntil("the export waiting on the lock", async () => {
          const r = await locker.query("select count(*)::int n from pg_locks where relation = 'spans'::regclass and not granted");
          return r.rows[0].n > 0;
        });
        const refused = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body("1112131415161718") });
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
        await locker.query("commit");
        expect((await held).status).toBe(200);
        expect((await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body("1112131415161718") })).status).toBe(200);
      } finally {
        await locker.end();
      }
    } finally {
      await p.stop();
      await db.drop();
    }
  });
});
