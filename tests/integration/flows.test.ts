import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { callSpans, duplicateProcessing } from "../../db/queries/analysis";
import { deadLetterFlows, flowEdgeTotals, latestTopicLag, queueFlowInfo } from "../../db/queries/flows";
import { syncChains } from "../../lib/flows/analysis";
import { buildFlowGraph } from "../../lib/flows/graph";
import { collectorsEnv, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/**
 * The flow map's rollups, built by the collectors from spans the real OpenTelemetry SDK exports over OTLP, each
 * service through its own exporter (so a call's two spans arrive in two exports, in either order), then read as the
 * dashboard reads them. Hostile names, identical spans, a caller found only in Postgres, and a kill -9.
 */
describe("flow map rollups", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let env: Record<string, string>;
  let collectors: RunningProcess;
  const run = Date.now().toString(36);
  const P = `itf-${run}`;
  const topic = `${P}.placed`;

  beforeAll(async () => {
    db = await freshDatabase("switchyard_flows");
    await runMigrations(db.url);
    h = createDb(db.url);
    env = await collectorsEnv({ DATABASE_URL: db.url });
    collectors = runTs("collectors/main.ts", env);
    await waitUntil("receiver up", async () => (await fetch(`http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, 30_000);
  });
  afterAll(async () => {
    await collectors?.stop();
    await h?.close();
    await db?.drop();
  });

  /** One service's spans, exported by its own provider in one export when `fn` is done. */
  async function service(name: string, fn: (t: ReturnType<TracerProvider["getTracer"]>) => void | Promise<void>) {
    const provider = new TracerProvider({ resource: resourceFromAttributes({ "service.name": name }), spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces` }), maxExportBatchSize: 1000, maxQueueSize: 2000, scheduledDelayMillis: 60_000 })] });
    await fn(provider.getTracer("it"));
    await provider.forceFlush();
    await provider.shutdown();
  }
  const under = (span: ReturnType<ReturnType<TracerProvider["getTracer"]>["startSpan"]>): Context => trace.setSpan(ROOT_CONTEXT, span);

  async function graph() {
    const from = new Date(Date.now() - 15 * 60_000);
    const to = new Date(Date.now() + 60_000);
    const [edges, lag, queues, deadLetters] = await Promise.all([flowEdgeTotals(h.db, from, to), latestTopicLag(h.db), queueFlowInfo(h.db), deadLetterFlows(h.db, from, to)]);
    return buildFlowGraph({ edges, lag, queues, deadLetters, rangeSeconds: 16 * 60 });
  }
  const edge = (g: Awaited<ReturnType<typeof graph>>, s: string, t: string) => g.edges.find((e) => g.nodes.find((n) => n.id === e.source)?.name === s && g.nodes.find((n) => n.id === e.target)?.name === t);

  it("derives calls across exports in either order, publishes and consumes (a link-only consumer too), with coupling, intent and rate", async () => {
    // gw calls price (GET) and stock (POST); price's server span is exported before gw's client span, stock's after
    let publishCtx: Link["context"] | null = null;
    let stockCaller: Context | null = null;
    await service(`${P}-gw`, async (gw) => {
      const root = gw.startSpan("POST /checkout", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST" } });
      const toPrice = gw.startSpan("GET", { kind: SpanKind.CLIENT, attributes: { "http.request.method": "GET", "server.address": "price.internal" } }, under(root));
      await service(`${P}-price`, (price) => {
        price.startSpan("GET /price", { kind: SpanKind.SERVER, attributes: { "http.request.method": "GET" } }, under(toPrice)).end();
      });
      toPrice.end();
      const toStock = gw.startSpan("POST", { kind: SpanKind.CLIENT, attributes: { "http.request.method": "POST" } }, under(root));
      toStock.setStatus({ code: SpanStatusCode.ERROR });
      toStock.end();
      const pub = gw.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": "send" } }, under(root));
      pub.end();
      publishCtx = pub.spanContext();
      // 100 identical publishes: 100, not 1
      for (let i = 0; i < 100; i++) gw.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": "send" } }, under(root)).end();
      root.end();
      stockCaller = under(toStock);
    });
    await service(`${P}-stock`, (stock) => {
      stock.startSpan("POST /reserve", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST" } }, stockCaller!).end();
    });
    await service(`${P}-ledger`, (t) => {
      t.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": "process", "messaging.consumer.group.name": `${P}-ledger` } }, trace.setSpanContext(ROOT_CONTEXT, publishCtx!)).end();
    });
    await service(`${P}-mail`, (t) => {
      // eachBatch: a new trace, only linking to the producer
      t.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, links: [{ context: publishCtx! }], attributes: { "messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": "process", "messaging.consumer.group.name": `${P}-mail` } }).end();
    });

    const g = await waitUntil("the edges rolled up", async () => {
      const x = await graph();
      return edge(x, `${P}-gw`, `${P}-price`) && edge(x, `${P}-gw`, `${P}-stock`) && edge(x, topic, `${P}-mail`) && edge(x, topic, `${P}-ledger`) && edge(x, `${P}-gw`, topic)?.count === 101 ? x : null;
    }, 30_000, 500);
    expect(edge(g, `${P}-gw`, `${P}-price`)).toMatchObject({ kind: "call", coupling: "sync", intent: "query", count: 1, errors: 0, method: "GET" });
    expect(edge(g, `${P}-gw`, `${P}-stock`)).toMatchObject({ kind: "call", coupling: "sync", intent: "command", count: 1, errors: 1, health: "failing" });
    expect(edge(g, `${P}-gw`, topic)).toMatchObject({ kind: "publish", coupling: "async", intent: "event", count: 101 });
    expect(edge(g, topic, `${P}-mail`)).toMatchObject({ kind: "consume", coupling: "async", intent: "event", group: `${P}-mail` });
    expect(edge(g, `${P}-gw`, `${P}-gw`)).toBeUndefined();
    expect(edge(g, `${P}-gw`, "price.internal")).toBeUndefined(); // answered by price's own span, not counted to its address
    expect(g.nodes.find((n) => n.name === topic)).toMatchObject({ kind: "topic", system: "kafka" });
    expect(edge(g, `${P}-gw`, `${P}-price`)!.rate).toBeGreaterThan(0);
  });

  it("finds a caller that sent no client span in Postgres; keeps hostile names; counts on after kill -9 without counting twice", async () => {
    // the batch job's internal span calls the worker directly (no client span): found by the worker's parent id
    await service(`${P}-batch`, async (b) => {
      const job = b.startSpan("nightly", { kind: SpanKind.INTERNAL });
      job.end();
      await service(`${P}-worker`, (w) => {
        w.startSpan("POST /run", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST" } }, under(job)).end();
      });
    });
    const evil = `${P}-q\u0000<script>alert(1)</script>${"x".repeat(5000)}`;
    await service(`${P}-evil\u0000svc`, (t) => {
      t.startSpan("publish", { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": evil, "messaging.operation.type": "publish" } }).end();
    });
    const g = await waitUntil("the looked-up caller and the hostile names", async () => {
      const x = await graph();
      return edge(x, `${P}-batch`, `${P}-worker`) && x.edges.some((e) => e.kind === "publish" && e.source.includes(`${P}-evil`)) ? x : null;
    }, 40_000, 1000);
    expect(edge(g, `${P}-batch`, `${P}-worker`)).toMatchObject({ kind: "call", intent: "command", count: 1 });
    const hostile = g.edges.find((e) => e.kind === "publish" && e.source.includes(`${P}-evil`))!;
    const target = g.nodes.find((n) => n.id === hostile.target)!;
    expect(target.name.length).toBeLessThanOrEqual(201);
    expect(target.name).toContain("<script>"); // kept as text; the page renders it as text
    expect(target.name).not.toContain("\u0000");

    // kill -9 once what was sent is in; a restarted receiver adds to the same rows
    const before = edge(await graph(), `${P}-gw`, topic)!.count;
    await collectors.stop("SIGKILL");
    collectors = runTs("collectors/main.ts", env);
    await waitUntil("receiver up again", async () => (await fetch(`http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).catch(() => null))?.ok, 30_000);
    await service(`${P}-gw`, (gw) => {
      for (let i = 0; i < 50; i++) gw.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": "send" } }).end();
    });
    await waitUntil("50 more", async () => (edge(await graph(), `${P}-gw`, topic)?.count === before + 50 ? true : null), 30_000, 500);
    await new Promise((r) => setTimeout(r, 3000));
    expect(edge(await graph(), `${P}-gw`, topic)!.count).toBe(before + 50);
  });

  it("analyses: a chain of four synchronous calls is flagged; a message processed twice by one consumer is a duplicate, a failed try is not", async () => {
    const hop = async (from: string, caller: Context, to: string, method: string, route: string, next?: (ctx: Context) => Promise<void>) => {
      let server: Context | null = null;
      let client: ReturnType<ReturnType<TracerProvider["getTracer"]>["startSpan"]> | null = null;
      await service(`${P}-${from}`, (t) => {
        client = t.startSpan(method, { kind: SpanKind.CLIENT, attributes: { "http.request.method": method } }, caller);
        client.end();
      });
      await service(`${P}-${to}`, (t) => {
        const s = t.startSpan(`${method} ${route}`, { kind: SpanKind.SERVER, attributes: { "http.request.method": method } }, under(client!));
        s.end();
        server = under(s);
      });
      if (next) await next(server!);
    };
    let entry: Context | null = null;
    await service(`${P}-edge`, (t) => {
      const root = t.startSpan("POST /checkout", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST" } });
      root.end();
      entry = under(root);
    });
    await hop("edge", entry!, "price", "GET", "/price", (c1) => hop("price", c1, "stock", "POST", "/reserve", (c2) => hop("stock", c2, "wh", "GET", "/wh", (c3) => hop("wh", c3, "bin", "GET", "/bin"))));
    const mid = `m-${run}`;
    await service(`${P}-dup`, (t) => {
      const attrs = { "messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": "process", "messaging.message.id": mid, "messaging.consumer.group.name": `${P}-dup` };
      t.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes: attrs }).end();
      t.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes: attrs }).end();
      const failed = t.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes: { ...attrs, "messaging.message.id": `${mid}-retried` } });
      failed.setStatus({ code: SpanStatusCode.ERROR });
      failed.end();
      t.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes: { ...attrs, "messaging.message.id": `${mid}-retried` } }).end();
    });
    const from = new Date(Date.now() - 15 * 60_000);
    const to = new Date(Date.now() + 60_000);
    const chain = await waitUntil("the chain stored", async () => {
      const { spans } = await callSpans(h.db, from, to, 200_000);
      return syncChains(spans, 3).find((c) => c.entryService === `${P}-edge`) ?? null;
    }, 20_000, 500);
    expect(chain).toMatchObject({ depth: 4, flagged: true, availability: 1, entryOperation: "POST /checkout" });
    expect(chain.hops.map((x) => x.to)).toEqual([`${P}-price`, `${P}-stock`, `${P}-wh`, `${P}-bin`]);
    const dups = (await duplicateProcessing(h.db, from, to, 500)).filter((d) => d.consumerGroup === `${P}-dup`);
    expect(dups).toEqual([expect.objectContaining({ messageId: mid, count: 2, destination: topic, byService: false })]);
  });
});
