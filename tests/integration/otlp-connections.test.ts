import http from "node:http";
import http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import net from "node:net";
import { constants as zlibConstants, createGzip, deflateSync, gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema } from "../../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { storeSpanCopy } from "../../db/queries/spans";
import { SpanIngest } from "../../collectors/otlp/ingest";
import { preparePool } from "../../collectors/otlp/prepare-pool";
import { startOtlpHttpReceiver } from "../../collectors/otlp/receiver";
import { collectorsEnv, config, freePort, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/**
 * The OTLP/HTTP receiver's connections: slow clients cost only their own socket (admission comes after the body, whose
 * read is bounded in time), and a refused body (413 for a gzip bomb) never leaves a keep-alive socket unusable.
 */
const exportBody = (service: string, traceId: Buffer) =>
  Buffer.from(
    toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, {
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: service } } }] },
            scopeSpans: [{ spans: [{ traceId, spanId: randomBytes(8), name: "op", startTimeUnixNano: BigInt(Date.now()) * 1_000_000n }] }],
          },
        ],
      }),
    ),
  );

/** An ordinary export of about 2 KiB: one span with some attributes. */
const ordinaryExport = (service: string, traceId: Buffer) =>
  Buffer.from(
    toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, {
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: service } } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId,
                    spanId: randomBytes(8),
                    name: "op",
                    startTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
                    attributes: Array.from({ length: 16 }, (_, i) => ({ key: `attr.${i}`, value: { value: { case: "stringValue" as const, value: randomBytes(48).toString("hex") } } })),
                  },
                ],
              },
            ],
          },
        ],
      }),
    ),
  );

/** An export whose one span carries an attribute of `padding` bytes. */
const paddedExport = (service: string, traceId: Buffer, padding: number) =>
  Buffer.from(
    toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, {
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: service } } }] },
            scopeSpans: [{ spans: [{ traceId, spanId: randomBytes(8), name: "op", startTimeUnixNano: BigInt(Date.now()) * 1_000_000n, attributes: [{ key: "pad", value: { value: { case: "stringValue", value: "x".repeat(padding) } } }] }] }],
          },
        ],
      }),
    ),
  );

const exportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/** A connection that sends a request's headers, promising a body, and then nothing. */
function stall(port: number, contentLength = 1000): Promise<{ socket: net.Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = "";
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${contentLength}\r\n\r\n`);
      resolve({ socket, received: () => received, closed });
    });
    const closed = new Promise<number>((r) => socket.on("close", () => r(Date.now() - started)));
    socket.on("data", (d) => (received += d.toString("latin1")));
    socket.on("error", () => undefined);
    socket.once("error", reject);
  });
}

/** One request through an agent; resolves with the status or the error code, never rejects. */
function request(agent: http.Agent, port: number, body: Buffer | string, headers: Record<string, string>): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/v1/traces", method: "POST", agent, headers: { "content-length": String(Buffer.byteLength(body)), ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end(body);
  });
}

/** The collectors' node process: tsx runs the entry point in a child of its own. */
function collectorsPid(tsxPid: number): number {
  const children = readFileSync(`/proc/${tsxPid}/task/${tsxPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  return children.length ? Number(children[0]) : tsxPid;
}
const rssBytes = (pid: number) => {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0; // gone
  }
};

/** Samples a process's RSS every 100 ms until stopped; answers the highest seen. */
function rssPeak(pid: number): { stop(): number } {
  let peak = rssBytes(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 100);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, rssBytes(pid));
    },
  };
}

const MiB = 1024 * 1024;

/** A connection that sends the start of a gzip body and then nothing: its Content-Length promises more. */
function stallGzip(port: number, compressed: Buffer): Promise<{ socket: net.Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = "";
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: gzip\r\nContent-Length: ${compressed.length + 1024 * 1024}\r\n\r\n`);
      socket.write(compressed);
      resolve({ socket, received: () => received, closed });
    });
    const closed = new Promise<number>((r) => socket.on("close", () => r(Date.now() - started)));
    socket.on("data", (d) => (received += d.toString("latin1")));
    socket.on("error", () => undefined);
    socket.once("error", reject);
  });
}

/** The start of a gzip stream of `inflated` zero bytes, flushed so that all of them can be decompressed, not ended. */
function gzipStart(inflated: number): Promise<Buffer> {
  const gz = createGzip();
  const out: Buffer[] = [];
  gz.on("data", (c: Buffer) => out.push(c));
  gz.write(Buffer.alloc(inflated));
  return new Promise((resolve) =>
    gz.flush(zlibConstants.Z_SYNC_FLUSH, () => {
      resolve(Buffer.concat(out));
      gz.destroy();
    }),
  );
}

describe("OTLP/HTTP receiver connections (collectors process)", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: Record<string, string>;
  let port: number;
  let collectors: RunningProcess;
  let client: pg.Client;
  let startRss: number;

  beforeAll(async () => {
    db = await freshDatabase("switchyard_otlp_conn");
    await runMigrations(db.url);
    env = await collectorsEnv({
      DATABASE_URL: db.url,
      KAFKA_CLUSTERS: `local=${config.KAFKA_CLUSTERS[0]!.brokers.join(",")}`,
      KAFKA_DLT_PATTERNS: `otlp-conn-none-${process.pid}`,
      RABBITMQ_DLQ_PATTERNS: `otlp-conn-none-${process.pid}`,
    });
    port = Number(env.OTLP_HTTP_PORT);
    collectors = runTs("collectors/main.ts", env);
    await waitUntil("receiver up", async () => (await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, 60_000);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    startRss = rssBytes(collectorsPid(collectors.proc.pid!));
  });
  afterAll(async () => {
    await client?.end();
    await collectors?.stop();
    await db?.drop();
  });

  it("20 connections that send headers and stall do not hold ingest: valid exports still answer 200 and are stored", async () => {
    // more stalled clients than OTLP_MAX_IN_FLIGHT (8): before, each held an ingest slot for the 60 s request timeout
    const stalled = await Promise.all(Array.from({ length: 20 }, () => stall(port)));
    try {
      await new Promise((r) => setTimeout(r, 500));
      const service = `stalled-${Date.now()}`;
      const traces = Array.from({ length: 16 }, () => randomBytes(16));
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      const statuses = await Promise.all(traces.map((t) => request(agent, port, exportBody(service, t), { "content-type": "application/x-protobuf" })));
      agent.destroy();
      expect(statuses).toEqual(traces.map(() => 200));
      const n = await client.query("select count(*)::int n from spans where service = $1", [service]);
      expect(n.rows[0].n).toBe(traces.length);
      // and none of the stalled ones was answered: they are only waiting for their own bodies
      expect(stalled.map((s) => s.received())).toEqual(stalled.map(() => ""));
    } finally {
      for (const s of stalled) s.socket.destroy();
    }
  });

  it.each([8, 20])("%i stalled gzip bodies of ~20 MiB inflated each cost only their own sockets: ordinary exports answer 200, RSS stays bounded", async (n) => {
    const pid = collectorsPid(collectors.proc.pid!);
    const before = startRss;
    const gzipped = await gzipStart(20 * MiB - 128);
    const peak = rssPeak(pid);
    // each just under the 20 MiB limit after decompression, from ~20 KiB sent: together 8 x 20 MiB or more, the
    // whole budget of bytes being read
    const stalled: Awaited<ReturnType<typeof stallGzip>>[] = [];
    let grew = 0;
    try {
      for (let i = 0; i < n; i++) stalled.push(await stallGzip(port, gzipped));
      // time for the receiver to inflate what they sent (it answers the exports below whether or not it has)
      await new Promise((r) => setTimeout(r, 1500));
      const service = `gzip-stalled-${n}-${Date.now()}`;
      const traces = Array.from({ length: 10 }, () => randomBytes(16));
      const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
      const statuses: (number | string)[] = [];
      for (const t of traces) statuses.push(await request(agent, port, ordinaryExport(service, t), { "content-type": "application/x-protobuf" }));
      agent.destroy();
      expect(statuses).toEqual(traces.map(() => 200));
      expect((await client.query("select count(*)::int n from spans where service = $1", [service])).rows[0].n).toBe(traces.length);
      // every stalled body is answered in the end (refused to make room, too slow, or past the body timeout) and its
      // connection closed; none is left holding memory
      const closedAfter = await Promise.all(stalled.map((s) => Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(-1), 30_000))])));
      expect(closedAfter.filter((ms) => ms < 0)).toEqual([]);
      expect(stalled.map((s) => s.received().slice(0, 12))).toEqual(stalled.map(() => expect.stringMatching(/^HTTP\/1\.1 (503|408)$/)));
    } finally {
      for (const s of stalled) s.socket.destroy();
      grew = peak.stop() - before;
    }
    // the bytes being read are bounded by the in-flight limit times the body limit (8 x 20 MiB), whatever the count:
    // above what the collectors held once started (unbounded, 20 such bodies would hold 400 MiB)
    expect(grew).toBeLessThan(300 * MiB);
  });

  it("gRPC: 30 streams of one session each sending 19 of a 19.5 MiB message and stalling are answered and reset, RSS stays bounded, valid calls succeed", async () => {
    const pid = collectorsPid(collectors.proc.pid!);
    const peak = rssPeak(pid);
    const session = http2.connect(`http://127.0.0.1:${env.OTLP_GRPC_PORT}`);
    session.on("error", () => undefined);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(Math.floor(19.5 * MiB), 1); // under the 20 MiB limit
    const most = Buffer.alloc(19 * MiB, 0x0a);
    const c = new grpc.Client(`127.0.0.1:${env.OTLP_GRPC_PORT}`, grpc.credentials.createInsecure());
    const call = (body: Buffer) =>
      new Promise<grpc.status>((resolve) => c.makeUnaryRequest(exportPath, (b: Buffer) => b, (b: Buffer) => b, body, (err) => resolve(err ? err.code : grpc.status.OK)));
    let grew = 0;
    const stalled = Array.from({ length: 30 }, () => {
      const st = session.request({ ":method": "POST", ":path": exportPath, "content-type": "application/grpc", te: "trailers" });
      st.on("error", () => undefined);
      st.write(prefix);
      st.write(most);
      const closed = new Promise<boolean>((r) => st.on("close", () => r(true)));
      return { st, closed };
    });
    try {
      // valid calls while the stalled streams arrive and after
      const service = `grpc-partial-${Date.now()}`;
      const codes: grpc.status[] = [];
      for (let i = 0; i < 6; i++) {
        codes.push(await call(ordinaryExport(service, randomBytes(16))));
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(codes).toEqual(codes.map(() => grpc.status.OK));
      expect((await client.query("select count(*)::int n from spans where service = $1", [service])).rows[0].n).toBe(codes.length);
      // every stalled stream (evicted to make room, too slow, or past the body timeout) is reset with REFUSED_STREAM,
      // which a gRPC client reads as UNAVAILABLE: retry
      const closed = await Promise.all(stalled.map((s) => Promise.race([s.closed, new Promise<boolean>((r) => setTimeout(() => r(false), 40_000))])));
      expect(closed.filter((x) => !x)).toHaveLength(0);
      expect(stalled.map((s) => s.st.rstCode)).toEqual(stalled.map(() => http2.constants.NGHTTP2_REFUSED_STREAM));
    } finally {
      c.close();
      for (const s of stalled) s.st.close();
      session.destroy();
      grew = peak.stop() - startRss;
    }
    // 30 x 19 MiB held would be 570 MiB; the budget of bytes being received is 8 x 20 MiB
    expect(grew).toBeLessThan(300 * MiB);
  });

  it("after a 413 for a gzip bomb, 50 requests on the same keep-alive agent get answers, none ECONNRESET", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    try {
      // 512 MiB of spaces as 64 gzip members of 8 MiB each (gunzip reads them as one stream), about 0.5 MiB: the 20 MiB
      // limit after decompression is reached within the first 3 members, and most of the body is still unread
      const member = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
      const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
      const refused = await request(agent, port, bomb, { "content-type": "application/json", "content-encoding": "gzip" });
      expect(refused).toBe(413);
      // bodies refused before they were read: gzip that is not gzip, a content-encoding not served
      expect(await request(agent, port, Buffer.from("not gzip at all, and long enough to be read in part"), { "content-type": "application/json", "content-encoding": "gzip" })).toBe(400);
      expect(await request(agent, port, "{}", { "content-type": "application/json", "content-encoding": "br" })).toBe(400);
      const results: (number | string)[] = [];
      for (let i = 0; i < 50; i += 2) {
        results.push(...(await Promise.all([0, 1].map(() => request(agent, port, "{}", { "content-type": "application/json" })))));
        if (i % 10 === 0) results.push(await request(agent, port, bomb, { "content-type": "application/json", "content-encoding": "gzip" }));
      }
      expect(results.filter((r) => r !== 200 && r !== 413)).toEqual([]);
      expect(results.filter((r) => r === 200)).toHaveLength(50);
      // compressed bodies that are whole still decompress and store, on the same sockets
      const service = `compressed-${Date.now()}`;
      expect(await request(agent, port, gzipSync(exportBody(service, randomBytes(16))), { "content-type": "application/x-protobuf", "content-encoding": "gzip" })).toBe(200);
      expect(await request(agent, port, deflateSync(exportBody(service, randomBytes(16))), { "content-type": "application/x-protobuf", "content-encoding": "deflate" })).toBe(200);
      expect((await client.query("select count(*)::int n from spans where service = $1", [service])).rows[0].n).toBe(2);
    } finally {
      agent.destroy();
    }
  });

  it("gRPC: 20 streams that send headers and stall do not hold ingest, and a gzip bomb is RESOURCE_EXHAUSTED on a channel that goes on serving", async () => {
    const session = http2.connect(`http://127.0.0.1:${env.OTLP_GRPC_PORT}`);
    session.on("error", () => undefined);
    const stalled = Array.from({ length: 20 }, () => {
      const st = session.request({ ":method": "POST", ":path": exportPath, "content-type": "application/grpc", te: "trailers" });
      st.on("error", () => undefined);
      st.write(Buffer.from([0, 0, 0, 4, 0])); // a message of 1,024 bytes announced, none sent
      return st;
    });
    const c = new grpc.Client(`127.0.0.1:${env.OTLP_GRPC_PORT}`, grpc.credentials.createInsecure(), { "grpc.default_compression_algorithm": 2 });
    const call = (body: Buffer) =>
      new Promise<grpc.status>((resolve) => c.makeUnaryRequest(exportPath, (b: Buffer) => b, (b: Buffer) => b, body, (err) => resolve(err ? err.code : grpc.status.OK)));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const service = `grpc-stalled-${Date.now()}`;
      const traces = Array.from({ length: 12 }, () => randomBytes(16));
      const codes: grpc.status[] = [];
      // four at a time, within OTLP_MAX_IN_FLIGHT (8): more at once would rightly be UNAVAILABLE
      for (let i = 0; i < traces.length; i += 4) codes.push(...(await Promise.all(traces.slice(i, i + 4).map((t) => call(exportBody(service, t))))));
      expect(codes).toEqual(traces.map(() => grpc.status.OK));
      // 64 MiB of zeros, gzipped by the channel to a few KiB: over the 20 MiB limit once inflated
      expect(await call(Buffer.alloc(64 * 1024 * 1024))).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const after = randomBytes(16);
      expect(await call(exportBody(service, after))).toBe(grpc.status.OK);
      const n = await client.query("select count(*)::int n from spans where service = $1", [service]);
      expect(n.rows[0].n).toBe(traces.length + 1);
    } finally {
      c.close();
      for (const st of stalled) st.close();
      session.destroy();
    }
  });
});

describe("OTLP/HTTP receiver body limits (the receiver in this process, on the real Postgres)", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let server: http.Server;
  let port: number;
  const decoders = preparePool(0);

  beforeAll(async () => {
    db = await freshDatabase("switchyard_otlp_body");
    await runMigrations(db.url);
    h = createDb(db.url, { max: 2 });
    port = await freePort();
    const ingest = new SpanIngest({ maxInFlight: 1, prepare: decoders.prepare, store: (batch) => storeSpanCopy(h, batch), log: () => undefined });
    server = await startOtlpHttpReceiver({ host: "127.0.0.1", port, maxBodyBytes: 256 * 1024, bodyTimeoutMs: 1500, ingest, log: () => undefined });
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await decoders.close();
    await h?.close();
    await db?.drop();
  });

  it("answers a body that does not arrive within the body timeout with 408 and closes its connection", async () => {
    const s = await stall(port);
    const after = await Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
    s.socket.destroy();
    expect(after).toBeGreaterThanOrEqual(1000);
    expect(after).toBeLessThan(15_000);
    expect(s.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(s.received()).toMatch(/\r\nconnection: close\r\n/i);
  });

  it("bounds the bytes of bodies being read (the in-flight limit times the body limit) by evicting the stalled body, not by refusing a new one", async () => {
    // one client holds 200 KiB of the 256 KiB budget and stalls; a second one's 100 KiB does not fit beside it
    const held = await stall(port, 250 * 1024);
    held.socket.write(Buffer.alloc(200 * 1024, 0x20));
    await new Promise((r) => setTimeout(r, 300));
    // a small export still fits beside it, and is stored (the held body takes no ingest slot, though there is only one)
    const small = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array(exportBody("budget", randomBytes(16))) });
    expect(small.status).toBe(200);
    // a body that needs the room is read: the stalled one is evicted (503 with Retry-After, connection closed)
    const traceId = randomBytes(16);
    const big = paddedExport("budget-big", traceId, 100 * 1024);
    const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array(big) });
    expect(res.status).toBe(200);
    expect(await held.closed).toBeGreaterThan(0);
    expect(held.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(held.received()).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(held.received()).toMatch(/\r\nconnection: close\r\n/i);
  });

  it("answers a body that stops arriving (below the least rate) before the body timeout with 408", async () => {
    // 150 KiB sent, then nothing: below the least rate in the next window; on a receiver with a longer body timeout
    const p = await freePort();
    const ingest = new SpanIngest({ maxInFlight: 1, prepare: decoders.prepare, store: (batch) => storeSpanCopy(h, batch), log: () => undefined });
    const slow = await startOtlpHttpReceiver({ host: "127.0.0.1", port: p, maxBodyBytes: 256 * 1024, bodyTimeoutMs: 60_000, minBytesPerSecond: 1024, ingest, log: () => undefined });
    try {
      const s = await stall(p, 250 * 1024);
      s.socket.write(Buffer.alloc(150 * 1024, 0x20));
      const after = await Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(-1), 30_000))]);
      s.socket.destroy();
      expect(after).toBeGreaterThan(0);
      expect(s.received()).toMatch(/^HTTP\/1\.1 408 /);
      // a body that keeps coming, slower than a burst but above the rate, is read whole
      // (16 KiB at 5 KiB/s, over more than one window of 2 s, each needing 2 KiB)
      const body = paddedExport("steady", randomBytes(16), 16 * 1024);
      const c = await stall(p, body.length);
      for (let i = 0; i < body.length; i += 512) {
        c.socket.write(body.subarray(i, i + 512));
        await new Promise((r) => setTimeout(r, 100));
      }
      await waitUntil("the answer", async () => c.received().includes("\r\n\r\n"), 20_000, 50);
      c.socket.destroy();
      expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });
});
