/**
 * The collectors process (`npm run collectors`): one supervised connection per configured Kafka cluster and
 * RabbitMQ broker, Postgres, the OTLP receiver, and an ops server with /healthz and /metrics.
 * Sources that fail are reported unhealthy and retried with backoff; the process itself keeps running.
 */
import "./heap";
import type http from "node:http";
import type * as grpc from "@grpc/grpc-js";
import { loadConfig, redactUrls } from "../lib/config/env";
import { backoffDelay } from "../lib/backoff";
import { errorMessage } from "../lib/errors";
import { createDb } from "../db/client";
import { ensureDatabase, runMigrations } from "../db/migrate";
import { upsertSourceHealth } from "../db/queries/health";
import { applyKafkaRetention } from "../db/queries/kafka";
import { applyRabbitRetention } from "../db/queries/rabbitmq";
import { applyFlowRetention } from "../db/queries/flows";
import { applyWorkflowRetention } from "../db/queries/workflows";
import { FlowRollups } from "./otlp/flows";
import { WorkflowEngine } from "./workflows/engine";
import { storeSpanCopy } from "../db/queries/spans";
import { maintainSpanPartitions } from "../db/queries/span-partitions";
import { backfillFailureGroups } from "../db/queries/dead-letter-store";
import { HealthRegistry } from "./health-registry";
import { registerStoreMetrics } from "./store-metrics";
import { AlertEngine } from "./alerts/engine";
import { lastOtlpRefusalMs } from "./metrics";
import { startOpsServer } from "./http";
import { defaultBodyBudget, startOtlpHttpReceiver } from "./otlp/receiver";
import { startOtlpGrpcReceiver } from "./otlp/grpc";
import { SpanIngest } from "./otlp/ingest";
import { preparePool } from "./otlp/prepare-pool";
import { DltCapture } from "./kafka/dlt-capture";
import { LagCollector } from "./kafka/lag-collector";
import { DlqCapture } from "./rabbitmq/dlq-capture";
import { QueueCollector } from "./rabbitmq/queue-collector";
import { ReplayEngine } from "./replay/engine";
import { kafkaDriver } from "./sources/kafka";
import { postgresDriver } from "./sources/postgres";
import { rabbitDriver } from "./sources/rabbitmq";
import { Supervisor } from "./supervisor";

const log = (s: string) => console.log(`${new Date().toISOString()} ${s}`);

async function migrateUntilDone(url: string, stopped: () => boolean): Promise<void> {
  for (let attempt = 0; !stopped(); attempt++) {
    try {
      await ensureDatabase(url);
      await runMigrations(url);
      log("[db] schema up to date");
      return;
    } catch (e) {
      const wait = backoffDelay(attempt);
      log(`[db] migrations not applied (${redactUrls(errorMessage(e))}); retrying in ${Math.round(wait / 1000)} s`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  let stopping = false;
  const health = new HealthRegistry();
  const dbh = createDb(config.DATABASE_URL, { application: "switchyard-collectors" });
  // the alert rules file is checked before anything starts: a rule that is not valid names itself and its field
  const fileRules = await AlertEngine.readRulesFile(config.ALERT_RULES_FILE);
  if (fileRules.errors.length) {
    console.error(`collectors: ALERT_RULES_FILE is not valid:\n${fileRules.errors.map((e) => `  - ${e}`).join("\n")}`);
    process.exit(78);
  }
  const ready = migrateUntilDone(config.DATABASE_URL, () => stopping);
  registerStoreMetrics(dbh.db, { inactiveAfterMs: config.KAFKA_INACTIVE_AFTER, partitions: config.METRICS_KAFKA_PARTITIONS === "on", log });

  const dlqCaptures = new Map(
    config.RABBITMQ_BROKERS.map((b) => [
      b.name,
      new DlqCapture(b, { mode: config.RABBITMQ_DLQ_MODE, prefetch: config.RABBITMQ_CAPTURE_PREFETCH, maxBytes: config.DEAD_LETTER_MAX_BYTES }, dbh.db, log),
    ]),
  );
  const queueCollectors: QueueCollector[] = [];

  const supervisors: Supervisor<unknown>[] = [
    new Supervisor(postgresDriver(dbh), health, config.HEALTH_INTERVAL_MS, undefined, log),
    ...config.KAFKA_CLUSTERS.map((c) => new Supervisor(kafkaDriver(c, 5000, () => dltCaptures.find((d) => d.clusterName === c.name)?.error ?? null), health, config.HEALTH_INTERVAL_MS, undefined, log)),
    ...config.RABBITMQ_BROKERS.map(
      (b) => new Supervisor(rabbitDriver(b, 5000, () => dlqCaptures.get(b.name)?.error ?? null), health, config.HEALTH_INTERVAL_MS, undefined, log),
    ),
  ] as Supervisor<unknown>[];
  supervisors.forEach((s) => s.start());

  // Collectors that write to Postgres start once the schema is there.
  const lagCollectors: LagCollector[] = [];
  const dltCaptures: DltCapture[] = [];
  let replays: ReplayEngine | null = null;
  void ready.then(() => {
    if (stopping) return;
    replays = new ReplayEngine(config, dbh, log).start();
    for (const c of config.KAFKA_CLUSTERS) {
      lagCollectors.push(
        new LagCollector(
          c,
          {
            intervalMs: config.KAFKA_POLL_INTERVAL_MS,
            windowSamples: config.KAFKA_STATUS_WINDOW,
            include: config.KAFKA_GROUP_INCLUDE,
            exclude: config.KAFKA_GROUP_EXCLUDE,
            exactMaxPartitions: config.KAFKA_EXACT_LAG_MAX_PARTITIONS,
            onPolled: () => alerts.polled(),
          },
          dbh.db,
          log,
        ).start(),
      );
      dltCaptures.push(
        new DltCapture(c, { patterns: config.KAFKA_DLT_PATTERNS, groupId: config.KAFKA_DLT_GROUP, maxBytes: config.DEAD_LETTER_MAX_BYTES, rediscoverMs: 30_000 }, dbh.db, log).start(),
      );
    }
    for (const b of config.RABBITMQ_BROKERS) {
      const capture = dlqCaptures.get(b.name)!;
      queueCollectors.push(
        new QueueCollector(
          b,
          { intervalMs: config.RABBITMQ_POLL_INTERVAL_MS, dlqPatterns: config.RABBITMQ_DLQ_PATTERNS, mode: config.RABBITMQ_DLQ_MODE, fallbackQueues: config.RABBITMQ_FALLBACK_QUEUES },
          dbh.db,
          log,
          (dlqs) => {
            void capture.sync(dlqs).catch((e: unknown) => log(`[rabbitmq-dlq:${b.name}] ${errorMessage(e)}`));
            alerts.polled();
          },
        ).start(),
      );
    }
  });
  const retention = () =>
    void ready
      .then(async () => {
        await applyKafkaRetention(dbh.db, config.RETENTION_RAW_HOURS, config.RETENTION_DOWNSAMPLED_DAYS);
        await applyRabbitRetention(dbh.db, config.RETENTION_RAW_HOURS, config.RETENTION_DOWNSAMPLED_DAYS);
        await applyFlowRetention(dbh.db, config.RETENTION_SPANS_DAYS);
        await applyWorkflowRetention(dbh.db, config.RETENTION_SPANS_DAYS);
        const parts = await maintainSpanPartitions(dbh.db, { retentionDays: config.RETENTION_SPANS_DAYS });
        if (parts.dropped.length) log(`[retention] dropped span partitions ${parts.dropped.join(", ")}`);
      })
      .catch((e: unknown) => log(`[retention] ${errorMessage(e)}`));
  retention();
  const retentionTimer = setInterval(retention, 10 * 60_000);
  // dead letters captured before failure groups existed get theirs, a batch at a time, beside capture
  void ready
    .then(async () => {
      let total = 0;
      for (let n = 1; n > 0 && !stopping; total += n) n = await backfillFailureGroups(dbh.db);
      if (total) log(`[dead-letters] failure groups given to ${total} earlier dead letters`);
    })
    .catch((e: unknown) => log(`[dead-letters] failure-group backfill stopped: ${errorMessage(e)}`));

  const servers: http.Server[] = [];
  const decoders = preparePool(config.OTLP_DECODE_THREADS, config.FLOW_ROLLUPS === "on", config.WORKFLOW_KEYS);
  const flows = new FlowRollups(dbh.db, log);
  const workflows = new WorkflowEngine(
    dbh.db,
    { names: config.WORKFLOW_NAMES, compensations: config.WORKFLOW_COMPENSATIONS, quietMs: config.WORKFLOW_QUIET_AFTER, stuckAfterMs: config.WORKFLOW_STUCK_AFTER },
    log,
    [config.KAFKA_DLT_GROUP],
    2000,
    5000,
    // the receiver (made below; the engine starts once the schema is there) comes first while it stores exports
    () => ingest.busy,
  );
  const alerts = new AlertEngine(
    dbh.db,
    {
      intervalMs: config.ALERT_EVAL_INTERVAL_MS,
      inactiveAfterMs: config.KAFKA_INACTIVE_AFTER,
      rulesFile: config.ALERT_RULES_FILE,
      targets: { alertmanagerUrl: config.ALERTMANAGER_URL, slackUrl: config.ALERT_SLACK_WEBHOOK_URL, webhookUrl: config.ALERT_WEBHOOK_URL, webhookSecret: config.ALERT_WEBHOOK_SECRET, publicUrl: config.SWITCHYARD_PUBLIC_URL },
      otlpLastRefusalMs: lastOtlpRefusalMs,
    },
    log,
  );
  void ready.then(async () => {
    if (stopping) return;
    if (config.FLOW_ROLLUPS === "on") flows.start();
    workflows.start();
    for (let attempt = 0; !stopping; attempt++) {
      try {
        await alerts.loadRules(fileRules.rules);
        break;
      } catch (e) {
        log(`[alerts] rules file not loaded yet: ${errorMessage(e)}`);
        await new Promise((r) => setTimeout(r, backoffDelay(attempt)));
      }
    }
    if (!stopping) alerts.start();
  });
  const ingest = new SpanIngest({
    maxInFlight: config.OTLP_MAX_IN_FLIGHT,
    prepare: decoders.prepare,
    store: async (batch) => {
      await ready;
      // spans Postgres refused for their data come back and are counted in the export's rejected_spans
      return storeSpanCopy(dbh, batch);
    },
    stored: (p) => {
      flows.add(p.flows);
      workflows.add(p.workflows);
    },
    log,
  });
  // bodies being received, HTTP and gRPC together, hold at most the in-flight limit x the body limit
  const bodies = { budget: defaultBodyBudget(config.OTLP_MAX_IN_FLIGHT, config.OTLP_MAX_BODY_BYTES), bodyTimeoutMs: config.OTLP_BODY_TIMEOUT_MS, minBytesPerSecond: config.OTLP_BODY_MIN_RATE };
  let otlpServer: http.Server | null = null;
  health.register("otlp", "http");
  try {
    otlpServer = await startOtlpHttpReceiver({ host: config.OTLP_HOST, port: config.OTLP_HTTP_PORT, maxBodyBytes: config.OTLP_MAX_BODY_BYTES, ...bodies, ingest, log });
    servers.push(otlpServer);
    log(`[otlp] receiving OTLP/HTTP on ${config.OTLP_HOST}:${config.OTLP_HTTP_PORT}/v1/traces`);
  } catch (e) {
    health.report("otlp", "http", false, `cannot listen on ${config.OTLP_HOST}:${config.OTLP_HTTP_PORT}: ${errorMessage(e)}`);
    log(`[otlp] cannot listen on ${config.OTLP_HTTP_PORT}: ${errorMessage(e)}`);
  }
  let grpcServer: grpc.Server | null = null;
  health.register("otlp", "grpc");
  try {
    grpcServer = await startOtlpGrpcReceiver({ host: config.OTLP_HOST, port: config.OTLP_GRPC_PORT, maxBodyBytes: config.OTLP_MAX_BODY_BYTES, ...bodies, ingest, log });
    log(`[otlp] receiving OTLP/gRPC on ${config.OTLP_HOST}:${config.OTLP_GRPC_PORT}`);
  } catch (e) {
    health.report("otlp", "grpc", false, `cannot listen on ${config.OTLP_HOST}:${config.OTLP_GRPC_PORT}: ${errorMessage(e)}`);
    log(`[otlp] cannot listen on ${config.OTLP_GRPC_PORT}: ${errorMessage(e)}`);
  }

  try {
    servers.push(await startOpsServer("127.0.0.1", config.COLLECTORS_PORT, health));
    log(`[ops] /healthz and /metrics on 127.0.0.1:${config.COLLECTORS_PORT}`);
  } catch (e) {
    console.error(`collectors: cannot listen on 127.0.0.1:${config.COLLECTORS_PORT} (${errorMessage(e)}); is another collectors process running?`);
    process.exit(1);
  }

  // Health goes to Postgres for the dashboard; when Postgres is down the dashboard sees that itself.
  const otlpEndpoint = `http://${config.OTLP_HOST}:${config.OTLP_HTTP_PORT}/v1/traces`;
  const grpcEndpoint = `${config.OTLP_HOST}:${config.OTLP_GRPC_PORT}`;
  const writeHealth = async () => {
    if (otlpServer) {
      if (otlpServer.listening) health.report("otlp", "http", true, null, { endpoint: otlpEndpoint });
      else health.report("otlp", "http", false, "OTLP/HTTP receiver is not listening");
    }
    if (grpcServer) health.report("otlp", "grpc", true, null, { endpoint: grpcEndpoint });
    await upsertSourceHealth(dbh.db, health.all()).catch((e: unknown) => log(`[health] not written: ${errorMessage(e)}`));
  };
  void ready.then(writeHealth);
  const healthTimer = setInterval(() => void ready.then(writeHealth), Math.min(config.HEALTH_INTERVAL_MS, 5000));

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`received ${signal}, shutting down`);
    const force = setTimeout(() => {
      log("shutdown took over 15 s, exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    clearInterval(healthTimer);
    clearInterval(retentionTimer);
    await Promise.allSettled([
      ...lagCollectors.map((c) => c.stop()),
      ...dltCaptures.map((c) => c.stop()),
      ...queueCollectors.map((c) => c.stop()),
      ...[...dlqCaptures.values()].map((c) => c.stop()),
      replays?.stop(),
    ]);
    await Promise.allSettled([
      ...servers.map((s) => new Promise((r) => s.close(r))),
      new Promise<void>((r) => (grpcServer ? grpcServer.tryShutdown(() => r()) : r())),
    ]);
    await Promise.allSettled(supervisors.map((s) => s.stop()));
    await decoders.close().catch(() => undefined);
    // what the receivers took before they closed goes into the rollups
    await flows.stop().catch(() => undefined);
    await workflows.stop().catch(() => undefined);
    await alerts.stop().catch(() => undefined);
    await dbh.close().catch(() => undefined);
    log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((e: unknown) => {
  console.error(`collectors: ${errorMessage(e)}`);
  process.exit(1);
});
