import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { ROOT_CONTEXT, SpanKind, trace, type Context } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { collectorsEnv, config, CuttableProxy, freePort, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";
import { startAlertmanager, type RunningTool } from "./debian-tools";

/**
 * The other three rule kinds end to end, and delivery when a target misbehaves. The collectors evaluate the rules
 * only after their polls here (ALERT_EVAL_INTERVAL_MS is an hour), against the real brokers, the real OTLP receiver
 * fed by the real SDK, and the real Alertmanager:
 * - workflows_stuck: an order published that no consumer processed, stuck past WORKFLOW_STUCK_AFTER; processed, done;
 * - source_unhealthy: a RabbitMQ broker reached through a proxy the test cuts, then gives back;
 * - otlp_refusals: exports refused (503) while the receiver is saturated; quiet past the window, it takes them again.
 * Meanwhile the Slack webhook answers 500 twice before it takes anything (retried with backoff, each message once,
 * markup escaped) and the signed JSON webhook hangs on every request until the end: neither holds up Alertmanager,
 * and once the webhook answers it gets every event once, each alert's fire before its resolve.
 */
const cluster = config.KAFKA_CLUSTERS[0]!;
const run = `itd${Date.now().toString(36)}`;
const via = `via${run}`;
const secret = "it-webhook-secret-abcdef0123";
const workflowName = `${run}-checkout`;
const stuckRule = `${run}-stuck <!here>`;
const sourceRule = `${run}-source`;
const otlpRule = `${run}-otlp`;

let db: Awaited<ReturnType<typeof freshDatabase>>;
let client: pg.Client;
let am: RunningTool;
let proxy: CuttableProxy;
let collectors: RunningProcess;
let env: Record<string, string>;
let slack: http.Server;
let hook: http.Server;
const slackSeen: { status: number; text: string }[] = [];
let hookOpen = false;
const held: http.ServerResponse[] = [];
const hookTaken: { event: string; rule: string; id: number; signed: boolean }[] = [];

type AmAlert = { labels: Record<string, string>; status: { state: string }; generatorURL: string };
const amAlerts = async (alertname: string): Promise<AmAlert[]> =>
  (await (await fetch(`${am.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`)).json()) as AmAlert[];
const amActive = (name: string) => waitUntil(`Alertmanager has ${name}`, async () => (await amAlerts(name)).find((a) => a.status.state === "active") ?? null, 60_000, 500);
const amGone = (name: string) => waitUntil(`${name} resolved in Alertmanager`, async () => ((await amAlerts(name)).length === 0 ? true : null), 60_000, 500);
const events = async (rule: string) => (await client.query<{ event: string }>("select event from alert_events where rule_name = $1 order by id", [rule])).rows.map((r) => r.event);

const server = (handle: (body: string, req: http.IncomingMessage, res: http.ServerResponse) => void) =>
  http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => handle(body, req, res));
  });
const listen = async (s: http.Server) => {
  const port = await freePort();
  await new Promise<void>((r) => s.listen(port, "127.0.0.1", r));
  return `http://127.0.0.1:${port}/hook`;
};

beforeAll(async () => {
  db = await freshDatabase("switchyard_alerts2");
  await runMigrations(db.url);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  am = await startAlertmanager(await freePort(), await freePort());
  proxy = new CuttableProxy(await freePort(), { host: "127.0.0.1", port: 5672 });
  await proxy.open();

  slack = server((body, _req, res) => {
    const status = slackSeen.length < 2 ? 500 : 200;
    slackSeen.push({ status, text: (JSON.parse(body) as { text: string }).text });
    res.writeHead(status).end(status === 200 ? "ok" : "no");
  });
  hook = server((body, req, res) => {
    if (!hookOpen) return void held.push(res); // hangs: the collectors give up on it after their timeout
    const want = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
    const got = Buffer.from(String(req.headers["x-switchyard-signature"] ?? ""));
    const b = JSON.parse(body) as { event: string; rule: string; id: number };
    hookTaken.push({ event: b.event, rule: b.rule, id: b.id, signed: got.length === want.length && timingSafeEqual(got, want) });
    res.writeHead(200).end("{}");
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), "sy-alerts2-"));
  writeFileSync(
    path.join(dir, "rules.json"),
    JSON.stringify({
      rules: [
        { name: stuckRule, kind: "workflows_stuck", scope: { workflow: workflowName }, threshold: 0, severity: "warning", labels: { team: "shop" } },
        { name: sourceRule, kind: "source_unhealthy", scope: { source: via }, forMinutes: 0.05, severity: "critical" },
        { name: otlpRule, kind: "otlp_refusals", windowMinutes: 0.15, severity: "warning" },
      ],
    }),
  );
  env = await collectorsEnv({
    DATABASE_URL: db.url,
    KAFKA_CLUSTERS: `${cluster.name}=${cluster.brokers.join(",")}`,
    KAFKA_GROUP_INCLUDE: `${run}-*`,
    KAFKA_POLL_INTERVAL_MS: "1000",
    RABBITMQ_BROKERS: `${via}=amqp://guest:guest@127.0.0.1:${proxy.port}|http://127.0.0.1:15672`,
    RABBITMQ_POLL_INTERVAL_MS: "1000",
    WORKFLOW_NAMES: `POST /${run}*=${workflowName}`,
    WORKFLOW_QUIET_AFTER: "2s",
    WORKFLOW_STUCK_AFTER: "3s",
    OTLP_MAX_IN_FLIGHT: "1",
    OTLP_MAX_BODY_BYTES: String(2 * 1024 * 1024),
    ALERT_RULES_FILE: path.join(dir, "rules.json"),
    // an hour: what these tests see is evaluated after the polls
    ALERT_EVAL_INTERVAL_MS: "3600000",
    ALERTMANAGER_URL: am.url,
    ALERT_SLACK_WEBHOOK_URL: await listen(slack),
    ALERT_WEBHOOK_URL: await listen(hook),
    ALERT_WEBHOOK_SECRET: secret,
    SWITCHYARD_PUBLIC_URL: "http://switchyard.example:3000",
  });
  collectors = runTs("collectors/main.ts", env);
  await waitUntil("receiver up", async () => (await fetch(`http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).catch(() => null))?.ok, 60_000);
}, 120_000);

afterAll(async () => {
  await collectors?.stop();
  await am?.stop();
  await proxy?.cut();
  for (const r of held) r.destroy();
  await Promise.all([slack, hook].map((s) => new Promise((r) => (s ? s.close(r) : r(undefined)))));
  await client?.end();
  await db?.drop();
});

async function service(name: string, fn: (t: ReturnType<TracerProvider["getTracer"]>) => void) {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": name }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces` }), scheduledDelayMillis: 60_000 })],
  });
  fn(provider.getTracer("it"));
  await provider.forceFlush();
  await provider.shutdown();
}

describe("alerts: stuck workflows, unhealthy sources, OTLP refusals, and targets that fail", () => {
  it("an order nobody processed fires workflows_stuck in Alertmanager; processed, it resolves", async () => {
    let pubCtx: Context | null = null;
    await service(`${run}-gw`, (t) => {
      const root = t.startSpan(`POST /${run}/orders`, { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST", "order.id": `${run}-ord-1` } });
      const pub = t.startSpan("send orders", { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${run}.orders`, "messaging.operation.type": "send" } }, trace.setSpan(ROOT_CONTEXT, root));
      pub.end();
      root.end();
      pubCtx = trace.setSpan(ROOT_CONTEXT, pub);
    });
    const a = await amActive(stuckRule);
    expect(a.labels).toEqual({ alertname: stuckRule, severity: "warning", team: "shop", workflow: workflowName });
    expect(a.generatorURL).toBe(`http://switchyard.example:3000/workflows?stuck=true&name=${encodeURIComponent(workflowName).replace(/%20/g, "+")}`);
    await service(`${run}-ledger`, (t) => {
      t.startSpan(`${run}.orders process`, { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${run}.orders`, "messaging.operation.type": "process" } }, pubCtx!).end();
    });
    await amGone(stuckRule);
    expect(await events(stuckRule)).toEqual(["fired", "resolved"]);
  });

  it("a broker the collectors lose fires source_unhealthy once it has been gone forMinutes; back, it resolves", async () => {
    await waitUntil("the broker healthy through the proxy", async () => (await client.query("select 1 from source_health where system = 'rabbitmq' and name = $1 and healthy", [via])).rowCount || null, 60_000, 500);
    expect(await events(sourceRule)).toEqual([]);
    await proxy.cut();
    const a = await amActive(sourceRule);
    expect(a.labels).toEqual({ alertname: sourceRule, severity: "critical", system: "rabbitmq", source: via });
    await proxy.open();
    await amGone(sourceRule);
    expect(await events(sourceRule)).toEqual(["fired", "resolved"]);
  });

  it("exports refused while the receiver is saturated fire otlp_refusals; none for the window, it resolves", async () => {
    // one export at a time and 2 MiB of bodies in reading: twenty bodies of 1 MiB at once are partly refused
    const traceId = "ab".repeat(16);
    const body = (k: number) =>
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: `${run}-burst` } }] },
            scopeSpans: [{ spans: Array.from({ length: 50 }, (_, i) => ({ traceId, spanId: (k * 1000 + i + 1).toString(16).padStart(16, "0"), name: "burst", kind: 1, startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n), endTimeUnixNano: String(BigInt(Date.now() + 1) * 1_000_000n), attributes: [{ key: "pad", value: { stringValue: "x".repeat(20_000) } }] })) }],
          },
        ],
      });
    const statuses: number[] = [];
    for (let round = 0; round < 10 && !statuses.includes(503); round++) {
      const got = await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          fetch(`http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: body(round * 20 + k) }).then(
            async (r) => (await r.arrayBuffer(), r.status),
            () => 0,
          ),
        ),
      );
      statuses.push(...got);
    }
    expect(statuses).toContain(503);
    expect(statuses).toContain(200);
    const a = await amActive(otlpRule);
    expect(a.labels).toEqual({ alertname: otlpRule, severity: "warning", source: "otlp" });
    // a 9-second window with nothing refused: it clears
    await amGone(otlpRule);
    expect(await events(otlpRule)).toEqual(["fired", "resolved"]);
  });

  it("Slack took each event once after failing twice, markup escaped; the hanging webhook held up no one, and answering it gets every event once, in order, signed", async () => {
    await waitUntil("Slack took all six", async () => (slackSeen.filter((s) => s.status === 200).length >= 6 ? true : null), 30_000, 500);
    await new Promise((r) => setTimeout(r, 2000));
    const taken = slackSeen.filter((s) => s.status === 200).map((s) => s.text);
    expect(slackSeen.slice(0, 2).map((s) => s.status)).toEqual([500, 500]);
    // the two refused were the first event, tried again: it went once, like every other
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken).toHaveLength(6);
    const stuck = taken.filter((t) => t.includes(`${run}-stuck`));
    expect(stuck.map((t) => t.split(" ")[0])).toEqual([":red_circle:", ":large_green_circle:"]);
    expect(stuck[0]).toContain(`${run}-stuck &lt;!here&gt;`);
    expect(taken.join("\n")).not.toContain("<!here>");

    // the webhook: every request so far hung (the collectors gave up on each after their timeout)
    expect(held.length).toBeGreaterThan(0);
    expect(hookTaken).toHaveLength(0);
    hookOpen = true;
    await waitUntil("the webhook took all six", async () => (hookTaken.length >= 6 ? true : null), 90_000, 500);
    await new Promise((r) => setTimeout(r, 2000));
    expect(hookTaken).toHaveLength(6);
    expect(new Set(hookTaken.map((h) => h.id)).size).toBe(6);
    expect(hookTaken.every((h) => h.signed)).toBe(true);
    for (const rule of [stuckRule, sourceRule, otlpRule]) expect(hookTaken.filter((h) => h.rule === rule).map((h) => h.event), rule).toEqual(["fired", "resolved"]);
    const pending = await client.query("select target, attempts, last_error from alert_deliveries where delivered_at is null");
    expect(pending.rows).toEqual([]);
  }, 150_000);
});
