import amqp from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { z } from "zod";
import { redactUrls, type KafkaClusterConfig, type RabbitBrokerConfig } from "../../lib/config/env";
import { errorMessage } from "../../lib/errors";

/**
 * One-shot readiness probes: a real metadata request, a real channel open, a real `select 1`.
 * Used by `npm run infra` to wait for the stack and by tests; the collectors keep long-lived clients instead.
 */

export async function probeKafka(cluster: KafkaClusterConfig, timeoutMs = 5000): Promise<{ brokers: number; controller: number | null }> {
  const kafka = new Kafka({
    clientId: "switchyard-probe",
    brokers: cluster.brokers,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const d = await admin.describeCluster();
    return { brokers: d.brokers.length, controller: d.controller };
  } catch (e) {
    throw new Error(`Kafka cluster '${cluster.name}' (${cluster.brokers.join(",")}): ${describeKafkaError(e)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function describeKafkaError(e: unknown): string {
  const msg = errorMessage(e);
  const cause = (e as { cause?: unknown })?.cause;
  const inner = cause ? errorMessage(cause) : "";
  if (/ECONNREFUSED/.test(msg + inner)) return "connection refused (is the broker running?)";
  if (/ENOTFOUND|EAI_AGAIN/.test(msg + inner)) return "host not found";
  return inner && !msg.includes(inner) ? `${msg}: ${inner}` : msg;
}

export async function probeRabbitAmqp(broker: RabbitBrokerConfig, timeoutMs = 5000): Promise<void> {
  let conn: amqp.ChannelModel | undefined;
  try {
    conn = await amqp.connect(broker.amqpUrl, { timeout: timeoutMs });
    const ch = await conn.createChannel();
    await ch.close();
  } catch (e) {
    throw new Error(`RabbitMQ broker '${broker.name}' (AMQP): ${describeAmqpError(e)}`);
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

export function describeAmqpError(e: unknown): string {
  const msg = redactUrls(errorMessage(e));
  if (/ACCESS[_-]REFUSED/.test(msg)) return "access refused: wrong user or password";
  if (/ECONNREFUSED/.test(msg)) return "connection refused (is RabbitMQ running?)";
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return "host not found";
  return msg;
}

const rateOf = z.object({ rate: z.number() }).partial().optional();
const overviewSchema = z.object({
  rabbitmq_version: z.string().optional(),
  queue_totals: z.object({ messages: z.number(), messages_ready: z.number(), messages_unacknowledged: z.number() }).partial().optional(),
  object_totals: z.object({ queues: z.number(), consumers: z.number(), connections: z.number() }).partial().optional(),
  message_stats: z.object({ publish_details: rateOf, deliver_get_details: rateOf }).partial().optional(),
});

export interface BrokerTotals {
  messages: number | null;
  ready: number | null;
  unacked: number | null;
  queues: number | null;
  consumers: number | null;
  connections: number | null;
  publishRate: number | null;
  deliverRate: number | null;
}

/** GET /api/overview on the management API: the broker's version and its totals. */
export async function probeRabbitManagement(broker: RabbitBrokerConfig, timeoutMs = 5000): Promise<{ version: string | null; totals: BrokerTotals }> {
  const auth = Buffer.from(`${broker.managementUser}:${broker.managementPassword}`).toString("base64");
  let res: Response;
  try {
    res = await fetch(`${broker.managementUrl}/api/overview`, {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const inner = errorMessage((e as { cause?: unknown }).cause ?? e);
    throw new Error(
      `RabbitMQ broker '${broker.name}' management API (${broker.managementUrl}): ${
        /ECONNREFUSED/.test(inner) ? "connection refused (is the rabbitmq_management plugin enabled?)" : inner
      }`,
    );
  }
  if (res.status === 401) throw new Error(`RabbitMQ broker '${broker.name}' management API: 401, wrong user or password`);
  if (!res.ok) throw new Error(`RabbitMQ broker '${broker.name}' management API answered ${res.status}`);
  const body = overviewSchema.safeParse(await res.json());
  if (!body.success) throw new Error(`RabbitMQ broker '${broker.name}' management API: unexpected /api/overview response`);
  const o = body.data;
  return {
    version: o.rabbitmq_version ?? null,
    totals: {
      messages: o.queue_totals?.messages ?? null,
      ready: o.queue_totals?.messages_ready ?? null,
      unacked: o.queue_totals?.messages_unacknowledged ?? null,
      queues: o.object_totals?.queues ?? null,
      consumers: o.object_totals?.consumers ?? null,
      connections: o.object_totals?.connections ?? null,
      publishRate: o.message_stats?.publish_details?.rate ?? null,
      deliverRate: o.message_stats?.deliver_get_details?.rate ?? null,
    },
  };
}

export async function probePostgres(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (e) {
    throw new Error(`PostgreSQL (${redactUrls(url)}): ${errorMessage(e)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
