import { describe, expect, it } from "vitest";
import { buildFlowGraph, type EdgeTotal, type FlowInput, type QueueInfo } from "./graph";
import { bucketOf, emptyBuckets, quantileMs } from "./histogram";
import { FlowAggregator, observeSpans, type ObservedSpan } from "./observe";

const t0 = new Date("2026-12-01T10:00:30Z");
let n = 0;
const span = (p: Partial<ObservedSpan> & { service: string; kind: number }): ObservedSpan => ({
  traceId: "t".padEnd(32, "0"),
  spanId: (++n).toString(16).padStart(16, "0"),
  parentSpanId: null,
  name: "op",
  startTime: t0,
  durationMs: 10,
  statusCode: 0,
  attributes: {},
  messagingSystem: null,
  messagingDestination: null,
  messagingOperation: null,
  messagingConsumerGroup: null,
  ...p,
});

const totals = (samples: ReturnType<FlowAggregator["due"]>["samples"]): EdgeTotal[] =>
  samples.map(({ minute: _m, ...s }) => s);

describe("histogram", () => {
  it("gives the bucket bound holding the quantile, the largest observation past the last bound, null when empty", () => {
    const b = emptyBuckets();
    for (const ms of [1, 3, 3, 40, 40, 40, 40, 40, 40, 900]) b[bucketOf(ms)]!++;
    expect(quantileMs(b, 0.5)).toBe(50);
    expect(quantileMs(b, 0.95)).toBe(1000);
    expect(quantileMs(emptyBuckets(), 0.5)).toBeNull();
    const big = emptyBuckets();
    big[bucketOf(90_000)] = 1;
    expect(quantileMs(big, 0.5, 90_000)).toBe(90_000);
  });
});

describe("observeSpans and FlowAggregator", () => {
  it("matches a server span to its caller's client span in either order and across exports; self-calls are no edge", () => {
    const client = span({ service: "gw", kind: 3, attributes: { "http.request.method": "get", "server.address": "price" }, durationMs: 30 });
    const server = span({ service: "price", kind: 2, parentSpanId: client.spanId, attributes: { "http.request.method": "GET" }, statusCode: 2 });
    const self = span({ service: "gw", kind: 2, parentSpanId: span({ service: "gw", kind: 3 }).spanId });
    for (const order of [[server, client], [client, server]]) {
      const agg = new FlowAggregator();
      agg.add(observeSpans([order[0]!]), 0);
      agg.add(observeSpans([order[1]!, self]), 1);
      const { samples, lookups } = agg.due(2);
      expect(lookups).toEqual([]);
      expect(samples).toHaveLength(1);
      expect(samples[0]).toMatchObject({ source: "gw", target: "price", edge: "call", method: "GET", count: 1, errors: 1, durationSumMs: 30 });
    }
  });

  it("a client span no server answers becomes a call to its peer; a server span whose caller never came is looked up", () => {
    const agg = new FlowAggregator({ clientWaitMs: 100, serverWaitMs: 50, maxWaiting: 1000 });
    agg.add(observeSpans([span({ service: "gw", kind: 3, attributes: { "http.method": "POST", "url.full": "https://payments.example:8443/pay" } })]), 0);
    const orphan = span({ service: "stock", kind: 2, parentSpanId: "ab".repeat(8) });
    agg.add(observeSpans([orphan]), 0);
    expect(agg.due(10)).toEqual({ samples: [], lookups: [] });
    const mid = agg.due(60);
    expect(mid.lookups).toHaveLength(1);
    agg.callFrom("price", mid.lookups[0]!);
    const late = agg.due(200);
    expect(late.samples.map((s) => `${s.source}->${s.target}:${s.method}`).sort()).toEqual(["gw->payments.example:POST", "price->stock:"]);
    expect(agg.pending).toEqual({ samples: 0, waiting: 0 });
  });

  it("sums identical messaging spans into one sample per edge and minute, keeping consumer groups apart", () => {
    const pub = { service: "orders", kind: 4, messagingSystem: "kafka", messagingDestination: "shop.orders", messagingOperation: "send" };
    const spans = [
      ...Array.from({ length: 100 }, () => span(pub)),
      span({ ...pub, startTime: new Date(t0.getTime() + 60_000) }),
      span({ service: "ledger", kind: 5, messagingSystem: "kafka", messagingDestination: "shop.orders", messagingConsumerGroup: "ledger" }),
      span({ service: "mail", kind: 5, messagingSystem: "kafka", messagingDestination: "shop.orders", messagingConsumerGroup: "mail", statusCode: 2 }),
      span({ service: "books", kind: 5, messagingSystem: "rabbitmq", messagingDestination: "books" }),
    ];
    const o = observeSpans(spans);
    const pubs = o.samples.filter((s) => s.edge === "publish");
    expect(pubs.map((s) => s.count).sort((a, b) => a - b)).toEqual([1, 100]);
    expect(o.samples.filter((s) => s.edge === "consume").map((s) => `${s.source}/${s.sourceKind}->${s.target}:${s.group}:${s.errors}`).sort()).toEqual([
      "books/queue->books::0",
      "shop.orders/topic->ledger:ledger:0",
      "shop.orders/topic->mail:mail:1",
    ]);
  });

  it("cuts names and words so the rollups' key takes them, never inside a surrogate pair; counts one span per message", () => {
    const o = observeSpans([
      span({ service: `${"a".repeat(119)}😀tail`, kind: 4, messagingSystem: "kafka", messagingDestination: "t".repeat(5000), messagingOperation: "send" }),
      span({ service: "s", kind: 4, messagingSystem: "kafka", messagingDestination: "t", messagingOperation: "create" }),
      span({ service: "s", kind: 5, messagingSystem: "kafka", messagingDestination: "t", messagingOperation: "receive" }),
      span({ service: "s", kind: 5, messagingSystem: "kafka", messagingDestination: "t", messagingOperation: "settle" }),
      span({ service: "s", kind: 5, messagingSystem: "kafka", messagingDestination: "t", messagingOperation: "process" }),
      // the default exchange routes by queue name: a publish to the queue itself
      span({ service: "s", kind: 4, messagingSystem: "rabbitmq", messagingDestination: "", rabbitmqRoutingKey: "jobs", messagingOperation: "publish" }),
    ]);
    const [long, ...rest] = o.samples;
    expect(long!.source).toBe(`${"a".repeat(119)}…`);
    expect(long!.target).toHaveLength(121);
    expect(rest.map((x) => `${x.edge}:${x.target}:${x.targetKind}`).sort()).toEqual(["consume:s:service", "publish:jobs:queue"]);
    const c = observeSpans([span({ service: "gw", kind: 3, attributes: { "http.request.method": "X".repeat(4000) } }), span({ service: "gw", kind: 3, attributes: { "db.system": "postgresql" } })]).clients;
    expect(c).toHaveLength(1);
    expect(c[0]!.method.length).toBeLessThanOrEqual(33);
  });

  it("gives lookups that could not be made back to the next expire", () => {
    const agg = new FlowAggregator({ clientWaitMs: 100, serverWaitMs: 10, maxWaiting: 1000 });
    agg.add(observeSpans([span({ service: "w", kind: 2, parentSpanId: "cd".repeat(8) })]), 0);
    const first = agg.expire(20);
    expect(first).toHaveLength(1);
    agg.retryLookups(first);
    expect(agg.pending.waiting).toBe(1);
    expect(agg.expire(21)).toEqual(first);
    expect(agg.expire(22)).toEqual([]);
  });

  it("bounds what waits: past maxWaiting the oldest give up first", () => {
    const agg = new FlowAggregator({ clientWaitMs: 1e9, serverWaitMs: 1e9, maxWaiting: 10 });
    agg.add(observeSpans(Array.from({ length: 50 }, (_, i) => span({ service: "gw", kind: 3, attributes: { "server.address": `s${i}` } }))), 0);
    expect(agg.pending.waiting).toBe(10);
    expect(agg.due(1).samples).toHaveLength(40);
  });
});

/** An edge's rollups over the range: 60 of 10 ms by default. */
const e = (p: Partial<EdgeTotal> & Pick<EdgeTotal, "source" | "target" | "edge">): EdgeTotal => ({
  sourceKind: "service",
  targetKind: "service",
  system: "http",
  group: "",
  method: "",
  count: 60,
  errors: 0,
  durationSumMs: 600,
  maxMs: 20,
  buckets: (() => {
    const b = emptyBuckets();
    b[bucketOf(10)] = 60;
    return b;
  })(),
  ...p,
});

describe("buildFlowGraph", () => {
  const input = {
    edges: [
      e({ source: "gw", target: "price", edge: "call", method: "GET" }),
      e({ source: "price", target: "stock", edge: "call", method: "POST", errors: 30 }),
      e({ source: "gw", target: "shop.orders", targetKind: "topic", edge: "publish", system: "kafka" }),
      e({ source: "shop.orders", sourceKind: "topic", target: "ledger", edge: "consume", system: "kafka", group: "ledger" }),
      e({ source: "shop.orders", sourceKind: "topic", target: "mail", edge: "consume", system: "kafka", group: "mail" }),
      // kafkajs's consumer spans name no group: the group whose members' client id is the service's
      e({ source: "shop.orders", sourceKind: "topic", target: "inventory", edge: "consume", system: "kafka" }),
      e({ source: "ledger", target: "books", targetKind: "exchange", edge: "publish", system: "rabbitmq" }),
      e({ source: "books", sourceKind: "queue", target: "bookkeeper", edge: "consume", system: "rabbitmq" }),
    ],
    lag: [
      { cluster: "local", group: "mail", topic: "shop.orders", messages: 900, seconds: 840, status: "STALL", clientIds: ["mail"] },
      { cluster: "local", group: "shop-inventory", topic: "shop.orders", messages: 0, seconds: 0, status: "OK", clientIds: ["inventory"] },
    ],
    queues: [
      { broker: "local", vhost: "/", name: "books", ready: 3, unacked: 0, consumers: 1, isDeadLetterQueue: false, deadLetterTargets: ["books.dlq"], boundFrom: [{ exchange: "ledger.events", routingKey: "entry.*" }] },
      { broker: "local", vhost: "/", name: "audit", ready: 0, unacked: 0, consumers: 1, isDeadLetterQueue: false, deadLetterTargets: [], boundFrom: [{ exchange: "ledger.events", routingKey: "#" }] },
    ],
    deadLetters: [
      { system: "rabbitmq", source: "books.dlq", originalDestination: "books", count: 4 },
      { system: "kafka", source: "shop.orders.DLT", originalDestination: "shop.orders[2]@5", count: 1 },
      { system: "kafka", source: "shop.orders.DLT", originalDestination: "shop.orders[0]@17", count: 1 },
    ],
    rangeSeconds: 60,
  };

  it("names coupling and intent, figures and health on every edge and node", () => {
    const g = buildFlowGraph(input);
    const edge = (s: string, t: string) => g.edges.find((x) => x.source === s && x.target === t)!;
    const node = (id: string) => g.nodes.find((x) => x.id === id)!;
    expect(edge("service:gw", "service:price")).toMatchObject({ coupling: "sync", intent: "query", rate: 1, errorRate: 0, p50Ms: 10, p95Ms: 10, health: "healthy" });
    expect(edge("service:price", "service:stock")).toMatchObject({ coupling: "sync", intent: "command", errorRate: 0.5, health: "failing" });
    expect(edge("service:gw", "kafka:shop.orders")).toMatchObject({ coupling: "async", intent: "event" });
    expect(edge("kafka:shop.orders", "service:mail")).toMatchObject({ intent: "event", group: "mail" });
    expect(edge("kafka:shop.orders", "service:inventory")).toMatchObject({ intent: "event", group: "shop-inventory" });
    // an exchange nothing is bound to: a command; the exchange and the queue of one name stay two nodes
    expect(edge("service:ledger", "rabbitmq:exchange:books")).toMatchObject({ coupling: "async", intent: "command" });
    expect(edge("rabbitmq:queue:books", "service:bookkeeper")).toMatchObject({ kind: "consume", intent: "command" });
    expect(edge("rabbitmq:queue:books", "rabbitmq:queue:books.dlq")).toMatchObject({ kind: "dead_letter", count: 4 });
    // bindings: an exchange routing to two queues fans a fact out, before any traffic
    expect(edge("rabbitmq:exchange:ledger.events", "rabbitmq:queue:books")).toMatchObject({ kind: "route", coupling: "async", intent: "event", method: "entry.*", count: 0 });
    expect(node("rabbitmq:exchange:ledger.events")).toMatchObject({ kind: "exchange" });
    expect(edge("kafka:shop.orders", "kafka:shop.orders.DLT")).toMatchObject({ kind: "dead_letter", count: 2 });
    expect(node("kafka:shop.orders")).toMatchObject({ kind: "topic", health: "failing", deadLetters: 2, lag: [{ group: "mail", seconds: 840, status: "STALL" }, { group: "shop-inventory" }] });
    expect(g.nodes.filter((n) => n.name.startsWith("shop.orders")).map((n) => n.name).sort()).toEqual(["shop.orders", "shop.orders.DLT"]);
    expect(node("rabbitmq:queue:books")).toMatchObject({ kind: "queue", depth: { ready: 3, consumers: 1 }, health: "degraded" });
    expect(node("rabbitmq:queue:books.dlq")).toMatchObject({ kind: "dlq", deadLetters: 4, health: "degraded" });
    expect(node("kafka:shop.orders.DLT")).toMatchObject({ kind: "dlt" });
    expect(node("service:stock")).toMatchObject({ health: "failing" });
    expect(node("service:gw")).toMatchObject({ health: "healthy" });
  });

  it("takes overrides from configuration, and focuses on what touches one service through its brokers", () => {
    const g = buildFlowGraph({ ...input, overrides: [{ match: "gw->price", intent: "command" }, { match: "ledger->*", coupling: "sync" }] });
    expect(g.edges.find((x) => x.id.startsWith("service:gw->service:price"))).toMatchObject({ intent: "command", overridden: true });
    expect(g.edges.find((x) => x.id.startsWith("service:ledger->rabbitmq:exchange:books"))).toMatchObject({ coupling: "sync", overridden: true });
    // focus through an exchange: its queues and their consumers, and the publishers of the exchange
    const viaExchange = buildFlowGraph({ ...input, edges: [...input.edges, e({ source: "audit", sourceKind: "queue", target: "auditor", edge: "consume", system: "rabbitmq" }), e({ source: "ledger", target: "ledger.events", targetKind: "exchange", edge: "publish", system: "rabbitmq" })], focus: "auditor" });
    expect(viaExchange.nodes.map((x) => x.id).sort()).toEqual(["rabbitmq:exchange:ledger.events", "rabbitmq:queue:audit", "rabbitmq:queue:books", "service:auditor", "service:bookkeeper", "service:ledger"].concat(["rabbitmq:queue:books.dlq"]).sort());
    const f = buildFlowGraph({ ...input, focus: "mail" });
    expect(f.nodes.map((x) => x.id).sort()).toEqual(["kafka:shop.orders", "kafka:shop.orders.DLT", "service:gw", "service:inventory", "service:ledger", "service:mail"]);
    expect(buildFlowGraph({ ...input, focus: "nobody" })).toEqual({ nodes: [], edges: [] });
  });
});

describe("several vhosts and clusters", () => {
  const q = (broker: string, vhost: string, name: string, extra: Partial<QueueInfo> = {}): QueueInfo => ({ broker, vhost, name, ready: 0, unacked: 0, consumers: 1, isDeadLetterQueue: false, deadLetterTargets: [], boundFrom: [], ...extra });
  const input: FlowInput = {
    edges: [
      e({ source: "gw", target: "orders", targetKind: "exchange", edge: "publish", system: "rabbitmq" }),
      e({ source: "billing", target: "invoices", targetKind: "exchange", edge: "publish", system: "rabbitmq" }),
    ],
    lag: [
      { cluster: "eu", group: "mail", topic: "shop.orders", messages: 900, seconds: 840, status: "STALL" },
      { cluster: "us", group: "mail", topic: "shop.orders", messages: 0, seconds: 0, status: "OK" },
    ],
    queues: [
      q("local", "/", "orders", { ready: 5, boundFrom: [{ exchange: "orders", routingKey: "#" }], deadLetterTargets: ["orders.dlq"] }),
      q("local", "staging", "orders", { ready: 70, consumers: 0, boundFrom: [{ exchange: "orders", routingKey: "#" }] }),
      q("local", "/", "invoices", { boundFrom: [{ exchange: "invoices", routingKey: "" }] }),
    ],
    deadLetters: [
      { system: "rabbitmq", sourceName: "local", vhost: "/", source: "orders.dlq", originalDestination: "orders", count: 3 },
      { system: "kafka", sourceName: "eu", source: "shop.orders.DLT", originalDestination: "shop.orders[0]@4", count: 2 },
    ],
    rangeSeconds: 60,
  };

  it("a queue, exchange or topic of one name in two vhosts or clusters is two nodes, each with its own figures", () => {
    const g = buildFlowGraph(input);
    const node = (id: string) => g.nodes.find((x) => x.id === id);
    expect(node("rabbitmq:queue:orders@local//")).toMatchObject({ broker: "local", vhost: "/", depth: { ready: 5 }, deadLetters: 3 });
    expect(node("rabbitmq:queue:orders@local/staging")).toMatchObject({ broker: "local", vhost: "staging", depth: { ready: 70, consumers: 0 }, health: "failing" });
    expect(node("rabbitmq:queue:orders@local/staging")!.deadLetters).toBeUndefined();
    // each exchange routes to its own vhost's queue only
    const routes = g.edges.filter((x) => x.kind === "route" && x.target.startsWith("rabbitmq:queue:orders")).map((x) => `${x.source} -> ${x.target}`).sort();
    expect(routes).toEqual(["rabbitmq:exchange:orders@local// -> rabbitmq:queue:orders@local//", "rabbitmq:exchange:orders@local/staging -> rabbitmq:queue:orders@local/staging"]);
    // the dead letters went from the / vhost's queue to its DLQ
    expect(g.edges.find((x) => x.kind === "dead_letter" && x.target.startsWith("rabbitmq:queue:orders.dlq"))).toMatchObject({ source: "rabbitmq:queue:orders@local//", count: 3 });
    // a topic in two clusters: the lag of each cluster on its own node; the DLT's dead letters from eu's
    expect(node("kafka:shop.orders@eu")).toMatchObject({ cluster: "eu", health: "failing", deadLetters: 2, lag: [{ cluster: "eu", status: "STALL" }] });
    expect(node("kafka:shop.orders@us")).toMatchObject({ cluster: "us", health: "healthy", lag: [{ cluster: "us", status: "OK" }] });
    expect(g.edges.find((x) => x.kind === "dead_letter" && x.system === "kafka")).toMatchObject({ source: "kafka:shop.orders@eu" });
  });

  it("spans' traffic to a name known in several places goes to a node of its own that says so; a name known once keeps its plain id", async () => {
    const { nodeLines, nodeLinks } = await import("./view");
    const g = buildFlowGraph(input);
    const unplaced = g.nodes.find((x) => x.id === "rabbitmq:exchange:orders")!;
    expect(unplaced).toMatchObject({ unplaced: true });
    expect(unplaced.healthReason).toContain("local//, local/staging");
    expect(g.edges.find((x) => x.kind === "publish" && x.source === "service:gw")).toMatchObject({ target: "rabbitmq:exchange:orders" });
    expect(nodeLines(unplaced)[0]).toBe("where: not known (spans)");
    // invoices is only in /: one node, its plain id, placed; gw's publish and the binding meet on it
    expect(g.nodes.filter((x) => x.name === "invoices" && x.kind === "exchange").map((x) => x.id)).toEqual(["rabbitmq:exchange:invoices"]);
    expect(g.edges.find((x) => x.kind === "publish" && x.source === "service:billing")).toMatchObject({ target: "rabbitmq:exchange:invoices" });
    const staging = g.nodes.find((x) => x.id === "rabbitmq:queue:orders@local/staging")!;
    expect(nodeLines(staging)[0]).toBe("local · vhost staging");
    expect(nodeLinks(staging, "1h").map((l) => l.href)).toContain("/rabbitmq/local/staging/orders");
    const dlq = g.nodes.find((x) => x.name === "orders.dlq")!;
    expect(nodeLinks(dlq, "1h").map((l) => l.href)).toContain("/dead-letters?system=rabbitmq&broker=local&vhost=%2F&source=orders.dlq&exact=true");
  });
});

describe("view", () => {
  const g = buildFlowGraph({
    edges: [
      { source: "gw", sourceKind: "service", target: "shop.orders", targetKind: "topic", edge: "publish", system: "kafka", group: "", method: "", count: 6, errors: 3, durationSumMs: 60, maxMs: 10, buckets: (() => { const b = emptyBuckets(); b[bucketOf(10)] = 6; return b; })() },
    ],
    lag: [
      { cluster: "local", group: "fast", topic: "shop.orders", messages: 3, seconds: 1, status: "OK" },
      { cluster: "local", group: "shop-analytics-slow", topic: "shop.orders", messages: 9000, seconds: 840, status: "WARN" },
    ],
    queues: [],
    deadLetters: [],
    rangeSeconds: 600,
  });
  it("labels as plain text: coupling, intent, rate, p95, errors; the worst lag first", async () => {
    const { edgeLabel, nodeLines, nodeLinks, elkInput } = await import("./view");
    expect(edgeLabel(g.edges[0]!)).toBe("async · event · 0.600/min · p95 10 ms · 50.0% err");
    const topic = g.nodes.find((n) => n.name === "shop.orders")!;
    expect(nodeLines(topic)).toEqual(["lag 9,000 msgs / 14 min (shop-analytics-slow WARN)", "2 consumer groups"]);
    expect(nodeLinks(topic, "1h").map((l) => l.href)).toEqual(["/traces?destination=shop.orders&range=1h", "/kafka/local/fast", "/kafka/local/shop-analytics-slow"]);
    const elk = elkInput(g);
    expect(elk.children.map((c) => c.id).sort()).toEqual(["kafka:shop.orders", "service:gw"]);
    expect(elk.edges).toEqual([{ id: g.edges[0]!.id, sources: ["service:gw"], targets: ["kafka:shop.orders"] }]);
  });
});
