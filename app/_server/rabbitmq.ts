import "server-only";
import type { z } from "zod";
import type { queueDetailQuery, queueDetailSchema, queueListQuery, queueListSchema } from "@/lib/api/contracts/rabbitmq";
import { listSourceHealth } from "@/db/queries/health";
import { getQueue, listQueues, queueSeries, recentDepths } from "@/db/queries/rabbitmq";
import { timeRanges } from "@/lib/charts/lag-series";
import { NotFoundError } from "@/lib/errors";
import { brokerQueueKey } from "@/lib/rabbitmq/queue-key";
import { drainEtaSeconds, growthRate } from "@/lib/rabbitmq/queue-stats";
import type { CaptureMode } from "@/lib/rabbitmq/capture-modes";
import { brokerTotalsSchema } from "@/lib/rabbitmq/queue-summary";
import { filterQueues, sortQueues } from "@/lib/rabbitmq/view";
import { isStale } from "@/lib/staleness";
import { serverContext } from "./context";

/** The broker totals the collectors stored in their health report (details.totals), or null when there are none. */
function totalsOf(details: Record<string, unknown> | undefined) {
  const t = brokerTotalsSchema.safeParse(details?.totals);
  return t.success ? t.data : null;
}

export async function listQueueItems(query: z.infer<typeof queueListQuery>): Promise<z.input<typeof queueListSchema>> {
  const { config, db } = serverContext();
  const now = Date.now();
  const [rows, depths, health] = await Promise.all([listQueues(db.db), recentDepths(db.db, new Date(now - 15 * 60_000)), listSourceHealth(db.db)]);
  const spark = new Map<string, { ready: number; t: number }[]>();
  for (const d of depths) {
    const k = brokerQueueKey(d.broker, d.vhost, d.queue);
    spark.set(k, [...(spark.get(k) ?? []), { ready: d.ready, t: d.t.getTime() }]);
  }
  const items = rows.map(({ q, s }) => {
    const series = spark.get(brokerQueueKey(q.broker, q.vhost, q.name)) ?? [];
    const first = series[0];
    const last = series[series.length - 1];
    const ready = s?.ready ?? null;
    const rates = { publishRate: s?.publishRate ?? null, deliverRate: s?.deliverRate ?? null, ackRate: s?.ackRate ?? null };
    return {
      broker: q.broker,
      vhost: q.vhost,
      name: q.name,
      type: q.type,
      state: q.state,
      ready,
      unacked: s?.unacked ?? null,
      total: s ? s.ready + s.unacked : null,
      consumers: s?.consumers ?? null,
      consumerCapacity: s?.consumerCapacity ?? null,
      ...rates,
      redeliverRate: s?.redeliverRate ?? null,
      headMessageAgeSeconds: s?.headMessageAgeSeconds ?? null,
      arguments: q.arguments,
      policy: q.policy,
      isDeadLetterQueue: q.isDeadLetterQueue,
      deadLetterSources: q.deadLetterSources,
      deadLetterTargets: q.deadLetterTargets,
      deadLetterExchange: q.deadLetterExchange,
      deadLetterRoutingKey: q.deadLetterRoutingKey,
      dlxMissing: q.dlxMissing,
      // under the check constraint rabbitmq_queues_capture_mode_check
      captureMode: q.captureMode as CaptureMode | null,
      captureError: q.captureError,
      drainEtaSeconds: ready === null ? null : drainEtaSeconds(ready, rates),
      growthRate: first && last && last.t > first.t ? growthRate({ ready: first.ready, timeMs: first.t }, { ready: last.ready, timeMs: last.t }) : null,
      sparkline: series.map((p) => p.ready),
      sampledAt: s?.sampledAt.toISOString() ?? null,
      stale: isStale(s?.sampledAt, config.RABBITMQ_POLL_INTERVAL_MS, now),
    };
  });
  return {
    items: sortQueues(filterQueues(items, query), query.sort, query.dir),
    brokers: config.RABBITMQ_BROKERS.map((b) => b.name),
    /** each broker's totals from its management API's /api/overview, as the collectors last read them */
    overview: config.RABBITMQ_BROKERS.map((b) => {
      const h = health.find((x) => x.system === "rabbitmq" && x.name === b.name);
      return { broker: b.name, healthy: h?.healthy ?? false, error: h?.error ?? null, checkedAt: h?.checkedAt.toISOString() ?? null, totals: totalsOf(h?.details) };
    }),
    pollIntervalMs: config.RABBITMQ_POLL_INTERVAL_MS,
  };
}

export async function getQueueDetail(broker: string, vhost: string, name: string, query: z.infer<typeof queueDetailQuery>): Promise<z.input<typeof queueDetailSchema>> {
  const { config, db } = serverContext();
  const q = await getQueue(db.db, broker, vhost, name);
  if (!q) throw new NotFoundError(`no queue '${name}' in vhost '${vhost}' on broker '${broker}'`);
  const history = await queueSeries(db.db, broker, vhost, name, new Date(Date.now() - timeRanges[query.range] * 1000), config.RETENTION_RAW_HOURS);
  const list = await listQueueItems({ q: name, broker, vhost, sort: "name", dir: "asc" });
  const current = list.items.find((x) => x.name === name && x.vhost === vhost);
  return {
    ...current!,
    range: query.range,
    history: history.map((h) => ({ t: h.t.toISOString(), ready: Number(h.ready), unacked: Number(h.unacked), publishRate: h.publishRate, deliverRate: h.deliverRate })),
  };
}

/** Whether the collectors have seen this queue: a page for a queue they never saw is a 404. */
export async function queueExists(broker: string, vhost: string, name: string): Promise<boolean> {
  const { db } = serverContext();
  return (await getQueue(db.db, broker, vhost, name)) != null;
}
