import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { createDb } from "../../db/client";
import { getGroupStatus, latestPartitions } from "../../db/queries/kafka";
import { traceSpans } from "../../db/queries/traces";
import { buildWaterfall } from "../../lib/traces/waterfall";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { topology } from "../../demo/topology";
import { ensureTopology } from "../../demo/setup";
import { collectorsEnv, config, freePort, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/**
 * The demo shop, left running, makes what the dashboard exists for: messages on both brokers, a dead letter on
 * each, lag on the slow group, and spans from every service through the real SDK into the real receiver.
 */
describe("demo services", () => {
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const rabbit = config.RABBITMQ_BROKERS[0]!;
  const kafka = new Kafka({ clientId: "it-demo", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let collectors: RunningProcess;
  let demo: RunningProcess;
  let client: pg.Client;

  const endOffsets = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  const queueDepth = async (queue: string) => {
    const auth = Buffer.from(`${rabbit.managementUser}:${rabbit.managementPassword}`).toString("base64");
    const r = await fetch(`${rabbit.managementUrl}/api/queues/%2F/${encodeURIComponent(queue)}`, { headers: { authorization: `Basic ${auth}` } });
    return ((await r.json()) as { messages?: number }).messages ?? 0;
  };

  let before: { orders: number; dlt: number };

  beforeAll(async () => {
    await admin.connect();
    await ensureTopology(cluster.brokers, rabbit.amqpUrl);
    before = { orders: await endOffsets(topology.kafka.orders), dlt: await endOffsets(topology.kafka.ordersDlt) };
    db = await freshDatabase("switchyard_demo");
    await runMigrations(db.url);
    const env = await collectorsEnv({ DATABASE_URL: db.url, KAFKA_DLT_PATTERNS: topology.kafka.ordersDlt, KAFKA_DLT_GROUP: `it-demo-capture-${process.pid}`, RABBITMQ_DLQ_PATTERNS: topology.rabbit.paymentsDlq });
    collectors = runTs("collectors/main.ts", env);
    demo = runTs("demo/run.ts", {
      KAFKA_BROKERS: cluster.brokers.join(","),
      RABBITMQ_URL: rabbit.amqpUrl,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`,
      DEMO_ORDER_PORT: String(await freePort()),
      DEMO_RATE: "10",
      DEMO_KAFKA_POISON_RATE: "0.1",
      DEMO_DECLINE_RATE: "0.1",
      DEMO_SLOW_MS: "1000",
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
    });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await demo?.stop();
    await collectors?.stop();
    await client?.end();
    await admin.disconnect();
    await db?.drop();
  });

  it("produces traffic, dead letters on both brokers, lag on the slow group, and spans", async () => {
    // Messages on Kafka and at least one dead letter in the .DLT, with Spring's headers.
    await waitUntil("orders on Kafka", async () => (await endOffsets(topology.kafka.orders)) - before.orders >= 50, 60_000, 1000);
    await waitUntil("a record in shop.orders.DLT", async () => (await endOffsets(topology.kafka.ordersDlt)) > before.dlt, 60_000, 1000);
    const consumer = kafka.consumer({ groupId: `it-demo-dlt-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: topology.kafka.ordersDlt, fromBeginning: true });
    let headers: Record<string, unknown> | undefined;
    await consumer.run({ eachMessage: async ({ message }) => void (headers ??= message.headers as Record<string, unknown>) });
    await waitUntil("a DLT record read", async () => headers, 30_000);
    await consumer.disconnect();
    expect(String(headers!["kafka_dlt-original-topic"])).toBe(topology.kafka.orders);
    expect(String(headers!["kafka_dlt-exception-message"])).toMatch(/not valid JSON/);

    // RabbitMQ: payments flowed and declined ones were dead-lettered through the DLX (and the collectors, in capture
    // mode, moved them from the DLQ into Postgres)
    await waitUntil(
      "a dead letter from the RabbitMQ DLQ",
      async () => {
        const r = await client.query("select count(*)::int n from dead_letters where system = 'rabbitmq' and source = $1 and reason = 'rejected'", [topology.rabbit.paymentsDlq]);
        return r.rows[0].n > 0 || (await queueDepth(topology.rabbit.paymentsDlq)) > 0;
      },
      60_000,
      1000,
    );

    // The slow group falls behind, as Switchyard reports it, and Switchyard's figures are Kafka's: the lag it stored
    // for each partition is the end offset minus the committed offset it read, and neither is ahead of what Kafka
    // says now (offsets only move forward).
    const handleLag = createDb(db.url, { max: 1 });
    try {
      // the group's figures and its partitions from the same poll (a poll may land between the two reads)
      const { status, parts } = await waitUntil(
        "Switchyard to report lag on the slow group",
        async () => {
          const g = await getGroupStatus(handleLag.db, cluster.name, topology.kafka.analyticsGroup);
          const ps = await latestPartitions(handleLag.db, cluster.name, topology.kafka.analyticsGroup);
          const samePoll = g && ps.length > 0 && ps[0]!.sampledAt.getTime() === g.evaluatedAt.getTime();
          return samePoll && (g.totalLag ?? 0) > 20 ? { status: g, parts: ps } : null;
        },
        90_000,
        1000,
      );
      const committed = await admin.fetchOffsets({ groupId: topology.kafka.analyticsGroup, topics: [topology.kafka.orders] });
      const high = await admin.fetchTopicOffsets(topology.kafka.orders);
      for (const p of parts.filter((x) => x.topic === topology.kafka.orders)) {
        const kafkaEnd = Number(high.find((h) => h.partition === p.partition)!.high);
        const kafkaCommitted = Number(committed[0]!.partitions.find((c) => c.partition === p.partition)!.offset);
        expect(p.endOffset!).toBeLessThanOrEqual(kafkaEnd);
        if (p.committedOffset !== null) {
          expect(p.committedOffset).toBeLessThanOrEqual(kafkaCommitted);
          expect(p.lag).toBe(p.endOffset! - p.committedOffset);
        }
      }
      expect(status.totalLag).toBe(parts.reduce((n, p) => n + (p.lag ?? 0), 0));
      expect(status.maxLagSeconds).toBeGreaterThan(0);
    } finally {
      await handleLag.close();
    }

    // Spans from every service, and whole traces crossing HTTP, Kafka and RabbitMQ.
    const crossing = await waitUntil(
      "a trace through order → inventory → payment → notification",
      async () => {
        const r = await client.query(
          `select trace_id, array_agg(distinct service order by service) as services from spans group by trace_id
           having count(distinct service) >= 4 limit 1`,
        );
        return r.rows[0];
      },
      60_000,
      1000,
    );
    expect(crossing.services).toEqual(expect.arrayContaining(["inventory-service", "notification-service", "order-service", "payment-service"]));
    const systems = await client.query("select distinct messaging_system from spans where trace_id = $1 and messaging_system is not null", [crossing.trace_id]);
    expect(systems.rows.map((r) => r.messaging_system).sort()).toEqual(["kafka", "rabbitmq"]);
    // whole and in order: every parent is in the trace, one root (the order service's HTTP span), and the waterfall
    // meets the services in the order the request travelled
    const handle = createDb(db.url, { max: 1 });
    const spans = await traceSpans(handle.db, crossing.trace_id).finally(() => handle.close());
    const ids = new Set(spans.map((x) => x.spanId));
    expect(spans.filter((x) => x.parentSpanId && !ids.has(x.parentSpanId))).toEqual([]);
    const rows = buildWaterfall(spans);
    expect(rows.filter((r) => r.depth === 0).map((r) => [r.span.service, r.span.kind])).toEqual([["order-service", "SERVER"]]);
    const firstSeen = [...new Set(rows.map((r) => r.span.service))];
    expect(firstSeen.filter((x) => x !== "analytics-service")).toEqual(["order-service", "inventory-service", "payment-service", "notification-service"]);
    expect(rows.map((r) => r.label)).toEqual(expect.arrayContaining(["publish to shop.orders", expect.stringMatching(/^process from shop\.orders by /)]));
    // the slow group's consumer exports spans too (its first message can take a while: it joins, then sleeps per message)
    await waitUntil("spans from the slow consumer", async () => (await client.query("select 1 from spans where service = 'analytics-service' limit 1")).rowCount, 60_000, 1000);
  });
});
