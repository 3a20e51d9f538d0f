/**
 * Brings up what is missing of the local stack and leaves what already runs: PostgreSQL (with the configured
 * database), RabbitMQ (with the management plugin), Apache Kafka (KRaft, from Maven Central jars). Waits until each
 * really answers; on failure the error names every one that does not.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import { redactUrls, type Config, type KafkaClusterConfig, type RabbitBrokerConfig } from "../../lib/config/env";
import { errorMessage } from "../../lib/errors";
import { ensureDatabase } from "../../db/migrate";
import { probeKafka, probePostgres, probeRabbitAmqp, probeRabbitManagement } from "../../collectors/sources/probes";
import { ensureKafkaJars, formatStorage, kafkaLog, kafkaVersion, runningKafkaPid, startKafka } from "./kafka";
import { waitFor } from "./wait";

const local = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const isLocalHost = (h: string) => local.has(h);
let log = (s: string) => console.log(s);

const run = promisify(execFile);

/** Runs a command; resolves to null on success or to the tail of what it printed on failure. */
async function tryRun(cmd: string, args: string[]): Promise<string | null> {
  try {
    await run(cmd, args, { timeout: 120_000 });
    return null;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    return (err.stderr?.trim() || err.stdout?.trim() || err.message).split("\n").slice(-3).join(" ");
  }
}

async function postgres(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const ok = await probePostgres(admin.toString(), 3000).then(() => true, () => false);
  if (!ok && isLocalHost(admin.hostname) && fs.existsSync("/etc/postgresql")) {
    log("postgres: not answering, starting the local cluster");
    for (const v of fs.readdirSync("/etc/postgresql")) {
      const err = await tryRun("pg_ctlcluster", ["--skip-systemctl-redirect", v, "main", "start"]);
      if (err) log(`postgres: pg_ctlcluster ${v} main start: ${err}`);
    }
  }
  await waitFor("postgres", () => probePostgres(admin.toString(), 3000), 60_000);
  if (await ensureDatabase(url)) log(`postgres: created database ${new URL(url).pathname.slice(1)}`);
  await probePostgres(url);
  log(`postgres: ready (${redactUrls(url)})`);
}

async function rabbit(broker: RabbitBrokerConfig): Promise<void> {
  const host = new URL(broker.amqpUrl).hostname;
  const ok = await probeRabbitAmqp(broker, 3000).then(() => true, () => false);
  if (!ok && isLocalHost(host)) {
    log(`rabbitmq '${broker.name}': not answering, starting rabbitmq-server -detached`);
    const err = await tryRun("rabbitmq-server", ["-detached"]);
    if (err) log(`rabbitmq: ${err}`);
  }
  await waitFor(`rabbitmq '${broker.name}' (AMQP)`, () => probeRabbitAmqp(broker, 3000), 120_000, "check: rabbitmqctl status");
  const mgmtOk = await probeRabbitManagement(broker, 3000).then(() => true, () => false);
  if (!mgmtOk && isLocalHost(new URL(broker.managementUrl).hostname)) {
    log(`rabbitmq '${broker.name}': enabling the rabbitmq_management plugin`);
    const err = await tryRun("rabbitmq-plugins", ["enable", "rabbitmq_management"]);
    if (err) log(`rabbitmq: ${err}`);
  }
  await waitFor(`rabbitmq '${broker.name}' management API`, () => probeRabbitManagement(broker, 3000), 90_000, "check: rabbitmq-plugins enable rabbitmq_management");
  log(`rabbitmq '${broker.name}': ready (AMQP and management API)`);
}

async function kafka(cluster: KafkaClusterConfig): Promise<void> {
  const ok = await probeKafka(cluster, 3000).then(() => true, () => false);
  const manages = cluster.brokers.some((b) => b === "127.0.0.1:9092" || b === "localhost:9092");
  if (!ok && manages) {
    const pid = runningKafkaPid();
    if (pid) {
      log(`kafka '${cluster.name}': broker process ${pid} is starting, waiting for it`);
    } else {
      const cp = await ensureKafkaJars(log);
      await formatStorage(cp, log);
      log(`kafka '${cluster.name}': starting Apache Kafka ${kafkaVersion()} (KRaft) on 127.0.0.1:9092, pid ${startKafka(cp)}, log ${kafkaLog}`);
    }
  }
  const d = await waitFor(`kafka '${cluster.name}' (${cluster.brokers.join(",")})`, () => probeKafka(cluster, 3000), 120_000, manages ? `see ${kafkaLog}` : "");
  log(`kafka '${cluster.name}': ready (${d.brokers} broker${d.brokers === 1 ? "" : "s"})`);
}

export async function infraUp(config: Config, logger: (s: string) => void = console.log): Promise<void> {
  log = logger;
  const started = Date.now();
  const tasks: [string, Promise<void>][] = [
    ["postgres", postgres(config.DATABASE_URL)],
    ...config.RABBITMQ_BROKERS.map((b): [string, Promise<void>] => [`rabbitmq '${b.name}'`, rabbit(b)]),
    ...config.KAFKA_CLUSTERS.map((c): [string, Promise<void>] => [`kafka '${c.name}'`, kafka(c)]),
  ];
  const results = await Promise.allSettled(tasks.map(([, p]) => p));
  const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${tasks[i]![0]}: ${errorMessage(r.reason)}`] : []));
  if (failed.length) throw new Error(`not ready:\n${failed.map((f) => `  - ${f}`).join("\n")}`);
  log(`infra: all ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
