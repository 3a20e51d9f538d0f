import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { getGroupStatus } from "../../db/queries/kafka";
import { collectorsEnv, config, freePort, freshDatabase, root, runTs, waitUntil, type RunningProcess } from "./helpers";
import { startPrometheus, type RunningTool } from "./debian-tools";

/**
 * The real Prometheus (Debian's) scraping the collectors' /metrics: a PromQL query for a group's lag in seconds
 * agrees with the figure the API serves within one poll, the labelled status and the backlog where never committed
 * are there, and the README's sample alert rule, loaded into Prometheus, fires on its own.
 */
const cluster = config.KAFKA_CLUSTERS[0]!;
const kafka = new Kafka({ clientId: "it-prom", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = Date.now().toString(36);
const topic = `it.prom.${run}`;
const group = `it-prom-idle-${run}`;
const pollMs = 2000;

let db: Awaited<ReturnType<typeof freshDatabase>>;
let h: DbHandle;
let collectors: RunningProcess;
let prom: RunningTool;

async function promQuery(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  // records two minutes old: the group's lag in seconds starts near 120 and grows a second a second
  const at = Date.now() - 120_000;
  await producer.send({ topic, messages: [20, 7, 9].flatMap((n, p) => Array.from({ length: n }, (_, i) => ({ partition: p, value: `m${i}`, timestamp: String(at + i) }))) });
  await producer.disconnect();
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "5" }] });

  db = await freshDatabase("switchyard_prom");
  await runMigrations(db.url);
  h = createDb(db.url, { max: 2 });
  const env = await collectorsEnv({ DATABASE_URL: db.url, KAFKA_CLUSTERS: `${cluster.name}=${cluster.brokers.join(",")}`, KAFKA_GROUP_INCLUDE: group, KAFKA_POLL_INTERVAL_MS: String(pollMs), RABBITMQ_BROKERS: "" });
  collectors = runTs("collectors/main.ts", env);
  await waitUntil("the group polled", async () => getGroupStatus(h.db, cluster.name, group), 60_000);

  // the README's rules, the first one's threshold and wait brought down to this test's minutes
  const dir = mkdtempSync(path.join(os.tmpdir(), "sy-rules-"));
  const rules = readFileSync(path.join(root, "docs/prometheus/switchyard-rules.yml"), "utf8").replace("> 600", "> 60").replace("for: 5m", "for: 0s");
  writeFileSync(path.join(dir, "rules.yml"), rules);
  prom = await startPrometheus(await freePort(), [`127.0.0.1:${env.COLLECTORS_PORT}`], 1, [path.join(dir, "rules.yml")]);
}, 120_000);

afterAll(async () => {
  await prom?.stop();
  await collectors?.stop();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await h?.close();
  await db?.drop();
});

describe("Prometheus scraping the collectors", () => {
  it("agrees with the API on a group's lag in seconds within one poll, and has its status and never-committed backlog", async () => {
    const selector = `{cluster="${cluster.name}",group="${group}"}`;
    const series = await waitUntil("Prometheus has the lag in seconds", async () => {
      const r = await promQuery(`switchyard_kafka_consumergroup_lag_seconds${selector}`);
      return r.length ? r : null;
    }, 60_000, 500);
    expect(series).toHaveLength(1);
    expect(series[0]!.metric).toMatchObject({ topic, job: "switchyard-collectors" });
    // the API's figure (kafka_group_status, what GET /api/v1/kafka/consumer-groups serves) against PromQL's, asked
    // one right after the other: apart by at most one poll (the lag grows a second a second), never by more
    for (let i = 0; i < 3; i++) {
      const api = (await getGroupStatus(h.db, cluster.name, group))!.maxLagSeconds!;
      const promValue = Number((await promQuery(`max(switchyard_kafka_consumergroup_lag_seconds${selector})`))[0]!.value[1]);
      expect(api).toBeGreaterThan(100);
      expect(Math.abs(promValue - api), `PromQL ${promValue} s, API ${api} s`).toBeLessThanOrEqual(pollMs / 1000 + 1.5);
      await new Promise((r) => setTimeout(r, 1500));
    }
    expect(Number((await promQuery(`switchyard_kafka_consumergroup_lag_messages${selector}`))[0]!.value[1])).toBe(15);
    // no members, lag: STOP, as a labelled gauge (1 for the status it has, 0 for the others)
    const status = await promQuery(`switchyard_kafka_consumergroup_status${selector} == 1`);
    expect(status.map((s) => s.metric.status)).toEqual(["STOP"]);
    expect(Number((await promQuery(`switchyard_kafka_consumergroup_uncommitted_backlog_messages${selector}`))[0]!.value[1])).toBe(16);
    // the process's own figures beside them: the OTLP receiver's latency histogram, the lag poll's duration
    expect((await promQuery(`switchyard_kafka_lag_poll_seconds_count{cluster="${cluster.name}"}`)).length).toBe(1);
    expect((await promQuery("switchyard_replay_items")).map((s) => s.metric.status).sort()).toContain("pending");
  });

  it("evaluates the README's alert rule on these metrics on its own: the group behind fires", async () => {
    const firing = await waitUntil("ConsumerGroupBehind fires in Prometheus", async () => {
      const r = (await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return r.data.alerts.find((a) => a.labels.alertname === "ConsumerGroupBehind" && a.labels.group === group && a.state === "firing");
    }, 60_000, 1000);
    expect(firing.labels).toMatchObject({ cluster: cluster.name, severity: "warning" });
  });
});
