import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import amqp from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { createAlertRule } from "../../db/mutations/create-alert-rule";
import { updateAlertRule } from "../../db/mutations/update-alert-rule";
import { alertHistory } from "../../db/queries/alerts";
import type { Actor } from "../../lib/audit";
import { collectorsEnv, config, freePort, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";
import { startAlertmanager, type RunningTool } from "./debian-tools";

/**
 * Alerts end to end: rules from a YAML file, evaluated by the collectors against the real brokers, delivered to the
 * real Alertmanager (Debian's, started here) and to a signed JSON webhook (a server of this test, which checks the
 * signature), each fired and then resolved; a kill -9 of the collectors while an alert fires neither fires it again
 * nor loses its resolve; a rules file that is not valid stops the start, naming the rule and the field.
 */
const cluster = config.KAFKA_CLUSTERS[0]!;
const broker = config.RABBITMQ_BROKERS[0]!;
const kafka = new Kafka({ clientId: "it-alerts", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = `ita${Date.now().toString(36)}`;
const topic = `${run}.orders`;
const group = `${run}-idle`;
const secret = "it-webhook-secret-0123456789";

let db: Awaited<ReturnType<typeof freshDatabase>>;
let client: pg.Client;
let am: RunningTool;
let hook: http.Server;
let conn: amqp.ChannelModel;
const received: { event: string; rule: string; key: string; id: number; signed: boolean }[] = [];
let env: Record<string, string>;
let collectors: RunningProcess;

type AmAlert = { labels: Record<string, string>; status: { state: string }; generatorURL: string; annotations: Record<string, string> };
const amAlerts = async (alertname: string): Promise<AmAlert[]> => {
  const r = await fetch(`${am.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
  return (await r.json()) as AmAlert[];
};
const events = async (rule: string) =>
  (await client.query<{ event: string; key: string }>("select event, key from alert_events where rule_name = $1 order by id", [rule])).rows.map((r) => `${r.event} ${r.key}`);

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const at = Date.now() - 300_000;
  await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}`, timestamp: String(at + i) })) });
  await producer.disconnect();
  // a group that stopped at offset 5: no member and lag, STOP at once, 5 minutes behind
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "5" }] });

  db = await freshDatabase("switchyard_alerts");
  await runMigrations(db.url);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  am = await startAlertmanager(await freePort(), await freePort());
  hook = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const want = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
      const got = Buffer.from(String(req.headers["x-switchyard-signature"] ?? ""));
      const b = JSON.parse(body) as { event: string; rule: string; key: string; id: number };
      received.push({ ...b, signed: got.length === want.length && timingSafeEqual(got, want) && String(b.id) === req.headers["x-switchyard-event-id"] });
      res.writeHead(200).end("{}");
    });
  });
  const hookPort = await freePort();
  await new Promise<void>((r) => hook.listen(hookPort, "127.0.0.1", r));

  conn = await amqp.connect(broker.amqpUrl);
  const ch = await conn.createChannel();
  await ch.assertExchange(`${run}.dlx`, "direct", { durable: false });
  await ch.assertQueue(`${run}.work.dlq`, { durable: true });
  await ch.bindQueue(`${run}.work.dlq`, `${run}.dlx`, "dead");
  await ch.assertQueue(`${run}.work`, { durable: true, arguments: { "x-dead-letter-exchange": `${run}.dlx`, "x-dead-letter-routing-key": "dead" } });
  await ch.close();

  const dir = mkdtempSync(path.join(os.tmpdir(), "sy-alerts-"));
  writeFileSync(
    path.join(dir, "rules.yml"),
    [
      "rules:",
      `  - { name: ${run}-stopped, kind: lag_status, status: STOP, scope: { group: "${run}-*" }, severity: critical, labels: { team: shop } }`,
      `  - { name: ${run}-behind, kind: lag_seconds, scope: { cluster: ${cluster.name}, group: "${group}" }, threshold: 60, forMinutes: 0, severity: warning }`,
      `  - { name: ${run}-dlq, kind: dead_letters_growth, scope: { source: "${run}.*.dlq" }, threshold: 3, windowMinutes: 0.25, severity: warning }`,
      `  - { name: ${run}-dlq-group, kind: dead_letters_growth, scope: { failureGroup: "*" }, threshold: 3, windowMinutes: 0.25, severity: warning }`,
      "",
    ].join("\n"),
  );
  env = await collectorsEnv({
    DATABASE_URL: db.url,
    KAFKA_CLUSTERS: `${cluster.name}=${cluster.brokers.join(",")}`,
    KAFKA_GROUP_INCLUDE: `${run}-*`,
    KAFKA_POLL_INTERVAL_MS: "1000",
    RABBITMQ_BROKERS: `${broker.name}=${broker.amqpUrl}|${broker.managementUrl}`,
    RABBITMQ_POLL_INTERVAL_MS: "1000",
    RABBITMQ_DLQ_PATTERNS: `${run}.*.dlq`,
    RABBITMQ_DLQ_MODE: "capture",
    ALERT_RULES_FILE: path.join(dir, "rules.yml"),
    ALERT_EVAL_INTERVAL_MS: "1000",
    ALERTMANAGER_URL: am.url,
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook`,
    ALERT_WEBHOOK_SECRET: secret,
    SWITCHYARD_PUBLIC_URL: "http://switchyard.example:3000",
  });
  collectors = runTs("collectors/main.ts", env);
}, 120_000);

afterAll(async () => {
  await collectors?.stop();
  await am?.stop();
  await new Promise((r) => hook?.close(r));
  const ch = await conn?.createChannel().catch(() => null);
  for (const q of [`${run}.work`, `${run}.work.dlq`]) await ch?.deleteQueue(q).catch(() => undefined);
  await ch?.deleteExchange(`${run}.dlx`).catch(() => undefined);
  await conn?.close().catch(() => undefined);
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await client?.end();
  await db?.drop();
});

describe("alerts", () => {
  it("a group with no members fires lag_status and lag_seconds in Alertmanager and the signed webhook; a kill -9 does not fire them again; caught up, each resolves once", async () => {
    const stopped = `${run}-stopped`;
    const behind = `${run}-behind`;
    const inAm = await waitUntil("Alertmanager has the STOP alert", async () => ((await amAlerts(stopped)).find((a) => a.status.state === "active") ?? null), 60_000, 500);
    expect(inAm.labels).toEqual({ alertname: stopped, severity: "critical", team: "shop", cluster: cluster.name, group });
    expect(inAm.generatorURL).toBe(`http://switchyard.example:3000/kafka/${cluster.name}/${group}`);
    expect(inAm.annotations.summary).toContain(`${group} on ${cluster.name} is STOP`);
    await waitUntil("Alertmanager has the lag alert", async () => ((await amAlerts(behind)).length ? true : null), 30_000, 500);
    await waitUntil("the webhook took both", async () => (received.filter((r) => r.event === "fired").length >= 2 ? true : null), 30_000, 250);
    expect(received.every((r) => r.signed)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${env.COLLECTORS_PORT}/healthz`)).ok).toBe(true);

    // a rule made on the page, changed while it fires to page another team: the alert as it fired resolves, and it
    // fires again as it is now (Alertmanager knows an alert by its labels)
    const h = createDb(db.url, { max: 1 });
    const actor: Actor = { user: "ada", role: "admin", requestId: "req-relabel-1", clientAddress: "127.0.0.1" };
    const relabel = `${run}-relabel`;
    try {
      const made = await createAlertRule(h.db, { name: relabel, kind: "lag_status", status: "STOP", scope: { group }, severity: "warning", labels: { team: "old" } }, actor);
      await waitUntil("the page's rule fires", async () => ((await amAlerts(relabel)).find((a) => a.status.state === "active" && a.labels.team === "old") ?? null), 30_000, 500);
      await updateAlertRule(h.db, made.id, { name: relabel, kind: "lag_status", status: "STOP", scope: { group }, severity: "critical", labels: { team: "new" } }, actor, ["alertmanager", "webhook"]);
      const now = await waitUntil("fired again as it is now, the old one gone", async () => {
        const all = await amAlerts(relabel);
        return all.length === 1 && all[0]!.labels.team === "new" ? all[0]! : null;
      }, 30_000, 500);
      expect(now.labels).toMatchObject({ severity: "critical", team: "new", group });
      expect(await events(relabel)).toEqual([`fired ${cluster.name}/${group}`, `resolved ${cluster.name}/${group}`, `fired ${cluster.name}/${group}`]);
    } finally {
      await h.close();
    }

    // kill -9 while they fire: the next process loads their state and fires nothing again
    await collectors.stop("SIGKILL");
    collectors = runTs("collectors/main.ts", env);
    await waitUntil("collectors back", async () => (await fetch(`http://127.0.0.1:${env.COLLECTORS_PORT}/healthz`).then((r) => r.ok, () => false)) || null, 60_000);
    await new Promise((r) => setTimeout(r, 4000));
    expect(await events(stopped)).toEqual([`fired ${cluster.name}/${group}`]);
    expect(received.filter((r) => r.rule === stopped)).toHaveLength(1);

    // caught up: lag 0, OK; both resolve, once, in Alertmanager and the webhook
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "20" }] });
    await waitUntil("resolved in Alertmanager", async () => ((await amAlerts(stopped)).length === 0 && (await amAlerts(behind)).length === 0 ? true : null), 60_000, 500);
    await waitUntil("the webhook took both resolves", async () => (received.filter((r) => r.event === "resolved").length >= 2 ? true : null), 30_000, 250);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await events(stopped)).toEqual([`fired ${cluster.name}/${group}`, `resolved ${cluster.name}/${group}`]);
    expect(await events(behind)).toEqual([`fired ${cluster.name}/${group}`, `resolved ${cluster.name}/${group}`]);
    expect(received.filter((r) => r.rule === stopped).map((r) => r.event)).toEqual(["fired", "resolved"]);
    expect(received.every((r) => r.signed)).toBe(true);
  });

  it("dead letters arriving in a captured DLQ fire dead_letters_growth, for the source and for their failure group; past the window each resolves", async () => {
    const rule = `${run}-dlq`;
    const ch = await conn.createConfirmChannel();
    for (let i = 0; i < 5; i++) ch.sendToQueue(`${run}.work`, Buffer.from(`{"i":${i}}`), { persistent: true, messageId: `${run}-${i}` });
    await ch.waitForConfirms();
    const rej = await conn.createChannel();
    let n = 0;
    await new Promise<void>((resolve) => void rej.consume(`${run}.work`, (m) => (m ? (rej.nack(m, false, false), ++n === 5 && resolve()) : undefined)));
    await rej.close();
    await ch.close();
    const a = await waitUntil("Alertmanager has the DLQ alert", async () => ((await amAlerts(rule)).find((x) => x.status.state === "active") ?? null), 60_000, 500).catch(async (e: Error) => {
      const seen = (await client.query("select source, count(*)::int n, min(captured_at) a, max(captured_at) b from dead_letters group by 1")).rows;
      const states = (await client.query("select rule_id, key, state from alert_states")).rows;
      throw new Error(`${e.message}\ndead letters: ${JSON.stringify(seen)}\nstates: ${JSON.stringify(states)}\ncollectors said:\n${collectors.output().slice(-4000)}`);
    });
    expect(a.labels).toMatchObject({ system: "rabbitmq", broker: broker.name, source: `${run}.work.dlq` });
    expect(a.generatorURL).toContain("/dead-letters?system=rabbitmq");
    // the failure group the five share (this database holds no other): its own alert, linking to the group
    const fg = (await client.query<{ g: string }>("select distinct failure_group as g from dead_letters where source = $1", [`${run}.work.dlq`])).rows.map((r) => r.g);
    expect(fg).toHaveLength(1);
    const g = await waitUntil("Alertmanager has the failure group's alert", async () => ((await amAlerts(`${run}-dlq-group`)).find((x) => x.status.state === "active") ?? null), 60_000, 500);
    expect(g.labels).toMatchObject({ failure_group: fg[0] });
    expect(g.generatorURL).toBe(`http://switchyard.example:3000/dead-letters?group=${fg[0]}`);
    // a 15-second window: nothing more arrives, so it clears
    await waitUntil("the DLQ alert resolved", async () => ((await amAlerts(rule)).length === 0 ? true : null), 60_000, 500);
    expect(await events(rule)).toEqual([`fired rabbitmq/${broker.name}///${run}.work.dlq`, `resolved rabbitmq/${broker.name}///${run}.work.dlq`]);
    await waitUntil("the failure group's alert resolved", async () => ((await amAlerts(`${run}-dlq-group`)).length === 0 ? true : null), 60_000, 500);
    expect(await events(`${run}-dlq-group`)).toEqual([`fired failure-group/${fg[0]}`, `resolved failure-group/${fg[0]}`]);
  });

  it("the history pages newest first by number, every event once (past id 9 too)", async () => {
    await client.query(
      `insert into alert_events (rule_name, kind, severity, key, event, starts_at, summary, path)
       select 'paging', 'lag_status', 'info', 'k' || g, case when g % 2 = 0 then 'fired' else 'resolved' end, now(), 'e' || g, '/' from generate_series(1, 25) g`,
    );
    const h = createDb(db.url, { max: 1 });
    try {
      const all = (await client.query<{ id: string }>("select id from alert_events order by id desc")).rows.map((r) => Number(r.id));
      expect(all.length).toBeGreaterThan(25);
      const seen: number[] = [];
      for (let before: number | null = null; ; ) {
        const page = await alertHistory(h.db, 4, before);
        if (!page.length) break;
        seen.push(...page.map((e) => e.id));
        before = page[page.length - 1]!.id;
      }
      expect(seen).toEqual(all);
    } finally {
      await h.close();
    }
  });

  it("a rules file that is not valid stops the collectors, naming the rule and the field", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sy-bad-rules-"));
    writeFileSync(path.join(dir, "rules.yml"), "rules:\n  - { name: broken, kind: lag_seconds, severity: warning }\n");
    const bad = runTs("collectors/main.ts", { ...(await collectorsEnv({ DATABASE_URL: db.url })), ALERT_RULES_FILE: path.join(dir, "rules.yml") });
    const exit = await bad.exited;
    expect(exit.code).toBe(78);
    expect(bad.output()).toContain("rule 'broken': threshold: a lag_seconds rule needs a threshold");
  });
});
