import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, fromJson, toBinary, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  type ExportTraceServiceResponse,
} from "../../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import type { AnyValueSchema, KeyValueSchema } from "../../lib/otlp/gen/opentelemetry/proto/common/v1/common_pb";
import type { SpanSchema } from "../../lib/otlp/gen/opentelemetry/proto/trace/v1/trace_pb";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { collectorsEnv, config, CuttableProxy, freePort, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/**
 * Spans that Postgres cannot take as they are (NUL, lone surrogates, invalid UTF-8, out-of-range numbers, text too
 * long for a btree index, huge and nested values) sent over every transport to the real collectors and Postgres: the
 * export is answered 200, what can be stored is stored (sanitised and marked), and only what cannot is rejected as
 * partial success. A real outage of Postgres still answers 503.
 */
type AnyValueInit = MessageInitShape<typeof AnyValueSchema>;
type KeyValueInit = MessageInitShape<typeof KeyValueSchema>;
type SpanInit = Partial<Extract<MessageInitShape<typeof SpanSchema>, { $typeName?: undefined }>>;

const s = (value: string): AnyValueInit => ({ value: { case: "stringValue", value } });
const kv = (key: string, value: AnyValueInit): KeyValueInit => ({ key, value });
const arr = (...values: AnyValueInit[]): AnyValueInit => ({ value: { case: "arrayValue", value: { values } } });
const kvlist = (...values: KeyValueInit[]): AnyValueInit => ({ value: { case: "kvlistValue", value: { values } } });
const FFFD = "\uFFFD";
const SANITIZED = "switchyard.sanitized";

// markers replaced in the encoded body (protobuf or JSON) by bytes that are not UTF-8
const BAD_UTF8 = "~BADUTF8~"; // 9 bytes
const BAD_UTF8_BYTES = Buffer.from([0xff, 0xfe, 0x80, 0xc0, 0xaf, 0xf8, 0x88, 0x80, 0x41]);
const SURROGATE = "~S~"; // 3 bytes: ED A0 80, a UTF-16 surrogate encoded as UTF-8 (CESU), not valid UTF-8
const SURROGATE_BYTES = Buffer.from([0xed, 0xa0, 0x80]);

function replaceAll(buf: Buffer, marker: string, bytes: Buffer): Buffer {
  const m = Buffer.from(marker);
  expect(bytes.length).toBe(m.length); // same length: protobuf length prefixes stay right
  const out = Buffer.from(buf);
  for (let i = out.indexOf(m); i >= 0; i = out.indexOf(m, i + m.length)) bytes.copy(out, i);
  return out;
}
const hostileBytes = (b: Buffer) => replaceAll(replaceAll(b, BAD_UTF8, BAD_UTF8_BYTES), SURROGATE, SURROGATE_BYTES);

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const deep = (depth: number): AnyValueInit => (depth === 0 ? s("leaf") : arr(deep(depth - 1)));
const depthOf = (v: unknown): number => (Array.isArray(v) ? 1 + depthOf(v[0]) : 0);

interface Case {
  name: string;
  span: SpanInit;
  /** rejected as partial success, not stored */
  rejected?: boolean;
  /** stored with switchyard.sanitized=true */
  sanitized: boolean;
  check?: (row: Record<string, any>) => void;
}

const HUGE = "h".repeat(4 * 1024 * 1024);
const longText = () => randomBytes(3000).toString("hex"); // 6,000 characters that do not compress: over a btree entry's 2,704 bytes

function cases(): { resources: { service: string; extra: KeyValueInit[]; scope: string; cases: Case[] }[] } {
  const destination = longText();
  const messageId = longText();
  return {
    resources: [
      {
        service: "",
        extra: [],
        scope: "scope\u0000name",
        cases: [
          { name: "clean", span: { attributes: [kv("a", s("b"))] }, sanitized: false, check: (r) => expect(r.attributes).toEqual({ a: "b" }) },
          { name: "nul in \u0000name", span: {}, sanitized: true, check: (r) => expect(r.name).toBe(`nul in ${FFFD}name`) },
          { name: "nul in key", span: { attributes: [kv("k\u0000ey", s("v"))] }, sanitized: true, check: (r) => expect(r.attributes[`k${FFFD}ey`]).toBe("v") },
          {
            name: "nul in values",
            span: { attributes: [kv("v", s("v\u0000al")), kv("list", arr(s("a\u0000"), s("ok"))), kv("map", kvlist(kv("x\u0000", s("y\u0000"))))] },
            sanitized: true,
            check: (r) => expect(r.attributes).toMatchObject({ v: `v${FFFD}al`, list: [`a${FFFD}`, "ok"], map: { [`x${FFFD}`]: `y${FFFD}` } }),
          },
          {
            name: "nul in event",
            span: { events: [{ name: "ev\u0000", timeUnixNano: nowNs(), attributes: [kv("e", s("\u0000"))] }] },
            sanitized: true,
            check: (r) => expect(r.events).toEqual([expect.objectContaining({ name: `ev${FFFD}`, attributes: { e: FFFD } })]),
          },
          {
            name: "nul in link",
            span: { links: [{ traceId: randomBytes(16), spanId: randomBytes(8), attributes: [kv("l\u0000", s("\u0000x"))] }] },
            sanitized: true,
            check: (r) => expect(r.links[0].attributes).toEqual({ [`l${FFFD}`]: `${FFFD}x` }),
          },
          { name: "nul in status", span: { status: { code: 2, message: "st\u0000atus" } }, sanitized: true, check: (r) => expect(r.status_message).toBe(`st${FFFD}atus`) },
          { name: "start at 2^63 ns", span: { startTimeUnixNano: 2n ** 63n, endTimeUnixNano: 2n ** 63n + 5n }, rejected: true, sanitized: false },
          { name: "start at 2^64-1 ns", span: { startTimeUnixNano: 2n ** 64n - 1n, endTimeUnixNano: 2n ** 64n - 1n }, rejected: true, sanitized: false },
          { name: "end at 2^64-1 ns", span: { endTimeUnixNano: 2n ** 64n - 1n }, sanitized: false, check: (r) => expect(r.duration_ms).toBeGreaterThan(1e12) },
          {
            name: "kind and status code out of range",
            span: { kind: 2 ** 31 - 1, status: { code: 2 ** 31 - 1 } },
            sanitized: true,
            check: (r) => expect([r.kind, r.status_code]).toEqual([0, 0]),
          },
          {
            name: `invalid utf-8 ${BAD_UTF8}`,
            span: { attributes: [kv("bad", s(`x${BAD_UTF8}y`)), kv(`key${SURROGATE}`, s(`lone ${SURROGATE} surrogate`))] },
            sanitized: true, // over OTLP/protobuf; see below for JSON
            check: (r) => {
              for (const t of [r.name, ...Object.keys(r.attributes), ...Object.values(r.attributes)]) {
                expect(typeof t).toBe("string");
                expect(/[\uD800-\uDFFF]/u.test(t as string)).toBe(false); // no lone surrogate
                expect(t).not.toMatch(/\u0000|~BADUTF8~|~S~/);
              }
              expect(r.name).toMatch(/^invalid utf-8 .+$/);
              expect(r.attributes.bad).toMatch(/^x.+y$/);
            },
          },
          {
            name: "escaped lone surrogate",
            span: { attributes: [kv("esc", s("x\uD800y"))] },
            sanitized: true, // in OTLP/JSON (the \ud800 escape); the protobuf encoder of this test already makes it U+FFFD
            check: (r) => expect(r.attributes.esc).toBe(`x${FFFD}y`),
          },
          {
            name: "nested 40 deep",
            span: { attributes: [kv("deep", deep(40))] },
            sanitized: false,
            check: (r) => expect(depthOf(r.attributes.deep)).toBe(40),
          },
          { name: "huge value", span: { attributes: [kv("huge", s(HUGE))] }, sanitized: false, check: (r) => expect(r.attributes.huge.length).toBe(HUGE.length) },
          {
            name: "huge array and map",
            span: {
              attributes: [
                kv("many", arr(...Array.from({ length: 50_000 }, (_, i) => ({ value: { case: "intValue" as const, value: BigInt(i) } })))),
                kv("wide", kvlist(...Array.from({ length: 20_000 }, (_, i) => kv(`k${i}`, s(String(i)))))),
              ],
            },
            sanitized: false,
            check: (r) => {
              expect(r.attributes.many).toHaveLength(50_000);
              expect(r.attributes.many[49_999]).toBe(49_999);
              expect(Object.keys(r.attributes.wide)).toHaveLength(20_000);
            },
          },
          {
            name: "messaging fields too long for an index",
            span: {
              attributes: [
                kv("messaging.system", s("kafka")),
                kv("messaging.destination.name", s(destination)),
                kv("messaging.message.id", s(messageId)),
                kv("messaging.destination.partition.id", s("99999999999")),
              ],
            },
            sanitized: true,
            check: (r) => {
              // the attributes keep every value whole; the indexed columns a prefix of it
              expect(r.attributes["messaging.destination.name"]).toBe(destination);
              expect(r.attributes["messaging.message.id"]).toBe(messageId);
              expect(destination.startsWith(r.messaging_destination)).toBe(true);
              expect(messageId.startsWith(r.messaging_message_id)).toBe(true);
              expect(r.messaging_destination.length).toBeGreaterThan(100);
              expect(r.kafka_partition).toBeNull(); // 99999999999 is no int4 partition number
            },
          },
        ],
      },
      {
        service: "svc-\u0000-nul",
        extra: [kv("host.name", s("h\u0000st"))],
        scope: "s",
        cases: [
          {
            name: "resource with nul",
            span: {},
            sanitized: true,
            check: (r) => {
              expect(r.service).toMatch(new RegExp(`^svc-${FFFD}-nul`));
              expect(r.resource_attributes["host.name"]).toBe(`h${FFFD}st`);
            },
          },
        ],
      },
      {
        service: longText(),
        extra: [],
        scope: "s",
        cases: [{ name: "service name too long for an index", span: {}, sanitized: true, check: (r) => expect(r.resource_attributes["service.name"].startsWith(r.service)).toBe(true) }],
      },
    ],
  };
}

/** One export with every case, each span in a trace of its own; returns the request and which trace is which case. */
function hostileExport(tag: string) {
  const plan = cases();
  const byTrace = new Map<string, Case>();
  const request = create(ExportTraceServiceRequestSchema, {
    resourceSpans: plan.resources.map((r, i) => ({
      resource: { attributes: [kv("service.name", s(r.service ? r.service : `${tag}-${i}`)), ...r.extra] },
      scopeSpans: [
        {
          scope: { name: r.scope },
          spans: r.cases.map((c) => {
            const traceId = randomBytes(16);
            byTrace.set(traceId.toString("hex"), c);
            const start = nowNs();
            return { traceId, spanId: randomBytes(8), name: c.name, kind: 1, startTimeUnixNano: start, endTimeUnixNano: start + 1_000_000n, ...c.span };
          }),
        },
      ],
    })),
  });
  return { request, byTrace };
}

/** The request as OTLP/JSON: proto3 JSON with hex ids and integer enums. */
function otlpJson(request: ReturnType<typeof hostileExport>["request"]): string {
  const hexIds = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(hexIds);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, ["traceId", "spanId", "parentSpanId"].includes(k) && typeof x === "string" ? Buffer.from(x, "base64").toString("hex") : hexIds(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(hexIds(toJson(ExportTraceServiceRequestSchema, request, { enumAsInteger: true })));
}

function grpcExport(port: string, body: Buffer): Promise<{ code: grpc.status; details: string; response?: ExportTraceServiceResponse }> {
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 64 * 1024 * 1024 });
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

async function startCollectors(extra: Record<string, string>) {
  const env = await collectorsEnv({
    KAFKA_CLUSTERS: `local=${config.KAFKA_CLUSTERS[0]!.brokers.join(",")}`,
    // nothing of this run is a dead letter; patterns that match no one else's topics or queues
    KAFKA_DLT_PATTERNS: `otlp-hostile-none-${process.pid}`,
    RABBITMQ_DLQ_PATTERNS: `otlp-hostile-none-${process.pid}`,
    ...extra,
  });
  const url = `http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`;
  const proc = runTs("collectors/main.ts", env);
  return { env, url, proc };
}

describe("OTLP receiver with spans Postgres cannot take as they are", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: Record<string, string>;
  let url: string;
  let collectors: RunningProcess;
  let client: pg.Client;

  beforeAll(async () => {
    db = await freshDatabase("switchyard_otlp_hostile");
    await runMigrations(db.url);
    ({ env, url, proc: collectors } = await startCollectors({ DATABASE_URL: db.url }));
    await waitUntil("receiver up", async () => (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, 60_000);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await collectors?.stop();
    await db?.drop();
  });

  async function send(transport: "protobuf" | "json" | "grpc", request: ReturnType<typeof hostileExport>["request"]) {
    if (transport === "grpc") {
      const r = await grpcExport(env.OTLP_GRPC_PORT!, hostileBytes(Buffer.from(toBinary(ExportTraceServiceRequestSchema, request))));
      expect({ code: r.code, details: r.details }).toEqual({ code: grpc.status.OK, details: "" });
      return r.response!;
    }
    const body = transport === "protobuf" ? hostileBytes(Buffer.from(toBinary(ExportTraceServiceRequestSchema, request))) : hostileBytes(Buffer.from(otlpJson(request)));
    const res = await fetch(url, { method: "POST", headers: { "content-type": transport === "protobuf" ? "application/x-protobuf" : "application/json" }, body: new Uint8Array(body) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect({ status: res.status, retryAfter: res.headers.get("retry-after") }).toEqual({ status: 200, retryAfter: null });
    return transport === "protobuf"
      ? fromBinary(ExportTraceServiceResponseSchema, bytes)
      : fromJson(ExportTraceServiceResponseSchema, JSON.parse(Buffer.from(bytes).toString("utf8")));
  }

  it.each(["protobuf", "json", "grpc"] as const)(
    "OTLP %s: stores every span it can (NUL as U+FFFD, marked), rejects only the out-of-range ones as partial success",
    async (transport) => {
      const { request, byTrace } = hostileExport(`hostile-${transport}-${Date.now()}`);
      const response = await send(transport, request);
      const expectRejected = [...byTrace.values()].filter((c) => c.rejected).length;
      expect(response.partialSuccess?.rejectedSpans).toBe(BigInt(expectRejected));
      expect(response.partialSuccess?.errorMessage).toMatch(/start time/);

      const { rows } = await client.query(
        "select s.*, r.attributes as resource_attributes from spans s join span_resources r on r.id = s.resource_id where s.trace_id = any($1)",
        [[...byTrace.keys()]],
      );
      const stored = new Map(rows.map((r) => [r.trace_id as string, r]));
      for (const [traceId, c] of byTrace) {
        const row = stored.get(traceId);
        if (c.rejected) {
          expect(row, c.name).toBeUndefined();
          continue;
        }
        expect(row, `${c.name} stored`).toBeDefined();
        const { [SANITIZED]: mark, ...attributes } = row!.attributes as Record<string, unknown>;
        // bytes that are not UTF-8: the binary decoder marks the span; in a JSON body they are U+FFFD before parsing
        if (c.name.startsWith("invalid utf-8")) expect(mark).toBe(transport === "json" ? undefined : true);
        else if (c.name === "escaped lone surrogate") expect(mark).toBe(transport === "json" ? true : undefined);
        else expect(mark, `${c.name}: ${SANITIZED}`).toBe(c.sanitized ? true : undefined);
        c.check?.({ ...row!, attributes });
      }
      expect(rows).toHaveLength(byTrace.size - expectRejected);
    },
    120_000,
  );

  it("an export whose every span is out of range is answered 200 with all of them rejected, and nothing retried", async () => {
    const start = 2n ** 63n + 1n;
    const request = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [{ resource: { attributes: [kv("service.name", s("all-bad"))] }, scopeSpans: [{ spans: [1, 2, 3].map(() => ({ traceId: randomBytes(16), spanId: randomBytes(8), name: "x", startTimeUnixNano: start, endTimeUnixNano: start })) }] }],
    });
    const response = await send("protobuf", request);
    expect(response.partialSuccess?.rejectedSpans).toBe(3n);
  });

  it.each(["protobuf", "json"] as const)("OTLP %s: attributes nested past the decoder's depth limit are a 400, not a 5xx, and ingest goes on", async (transport) => {
    const request = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: randomBytes(16), spanId: randomBytes(8), name: "too deep", startTimeUnixNano: nowNs(), attributes: [kv("d", deep(200))] }] }] }],
    });
    const body = transport === "protobuf" ? Buffer.from(toBinary(ExportTraceServiceRequestSchema, request)) : Buffer.from(otlpJson(request));
    const res = await fetch(url, { method: "POST", headers: { "content-type": transport === "protobuf" ? "application/x-protobuf" : "application/json" }, body: new Uint8Array(body) });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/depth/);
    const { request: ok, byTrace } = hostileExport(`after-deep-${transport}-${Date.now()}`);
    await send(transport, ok);
    const n = await client.query("select count(*)::int n from spans where trace_id = any($1)", [[...byTrace.keys()]]);
    expect(n.rows[0].n).toBe([...byTrace.values()].filter((c) => !c.rejected).length);
  });
});

describe("OTLP receiver when Postgres is really down", () => {
  it("answers 503 with Retry-After (gRPC: UNAVAILABLE), and stores the same export once Postgres is back", async () => {
    const db = await freshDatabase("switchyard_otlp_down");
    await runMigrations(db.url);
    const proxy = new CuttableProxy(await freePort(), { host: "127.0.0.1", port: 5432 });
    await proxy.open();
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const { env, url, proc } = await startCollectors({ DATABASE_URL: viaProxy.toString() });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await waitUntil("receiver up", async () => (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, 60_000);
      const traceId = randomBytes(16);
      const body = Buffer.from(
        toBinary(
          ExportTraceServiceRequestSchema,
          create(ExportTraceServiceRequestSchema, {
            resourceSpans: [{ resource: { attributes: [kv("service.name", s("down"))] }, scopeSpans: [{ spans: [{ traceId, spanId: randomBytes(8), name: "while down", startTimeUnixNano: nowNs() }] }] }],
          }),
        ),
      );
      await proxy.cut();
      const down = await fetch(url, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array(body) });
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toMatch(/^\d+$/);
      expect((await grpcExport(env.OTLP_GRPC_PORT!, body)).code).toBe(grpc.status.UNAVAILABLE);
      await proxy.open();
      const back = await waitUntil("stored once Postgres is back", async () => {
        const r = await fetch(url, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array(body) });
        await r.arrayBuffer();
        return r.status === 200 ? r : null;
      }, 60_000, 1000);
      expect(back.status).toBe(200);
      const n = await client.query("select count(*)::int n from spans where trace_id = $1", [traceId.toString("hex")]);
      expect(n.rows[0].n).toBe(1);
    } finally {
      await client.end();
      await proc.stop();
      await proxy.cut();
      await db.drop();
    }
  }, 180_000);
});
