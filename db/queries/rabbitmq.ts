import { and, asc, eq, gte, lt, sql } from "drizzle-orm";
import { brokerQueueKey } from "../../lib/rabbitmq/queue-key";
import type { Db } from "../client";
import { bulkInsert } from "./bulk";
import { rabbitmqQueueRollups, rabbitmqQueues, rabbitmqQueueSamples } from "../schema";

export type QueueSampleRow = typeof rabbitmqQueueSamples.$inferInsert;
export type QueueRow = typeof rabbitmqQueues.$inferInsert;

/**
 * Everything one poll of one broker learned, in one transaction: every queue's sample, the queue definitions that
 * changed (or are new), and the removal of queues that no longer exist (when `present` lists all of them).
 */
export async function writeQueuePoll(db: Db, broker: string, changed: QueueRow[], samples: QueueSampleRow[], present: { vhost: string; name: string }[] | null): Promise<void> {
  await db.transaction(async (tx) => {
    if (samples.length) await tx.execute(bulkInsert(rabbitmqQueueSamples, samples));
    if (changed.length) {
      await tx.execute(sql`${bulkInsert(rabbitmqQueues, changed)}
        on conflict (broker, vhost, name) do update set
          type = excluded.type, state = excluded.state, arguments = excluded.arguments, policy = excluded.policy,
          dead_letter_exchange = excluded.dead_letter_exchange, dead_letter_routing_key = excluded.dead_letter_routing_key,
          is_dead_letter_queue = excluded.is_dead_letter_queue, dead_letter_sources = excluded.dead_letter_sources,
          dead_letter_targets = excluded.dead_letter_targets, bound_from = excluded.bound_from, dlx_missing = excluded.dlx_missing,
          capture_mode = excluded.capture_mode, capture_error = excluded.capture_error, updated_at = excluded.updated_at`);
    }
    if (present) {
      const list = JSON.stringify(present.map((q) => ({ vhost: q.vhost, name: q.name })));
      await tx.execute(sql`
        delete from rabbitmq_queues q where q.broker = ${broker} and not exists (
          select 1 from jsonb_to_recordset(${list}::jsonb) as p(vhost text, name text) where p.vhost = q.vhost and p.name = q.name)`);
    }
  });
}

/** Samples on their own (the collector writes each management page's while the next is listed). */
export async function insertQueueSamples(db: Db, samples: QueueSampleRow[]): Promise<void> {
  if (samples.length) await db.execute(bulkInsert(rabbitmqQueueSamples, samples));
}

/** Per-minute rollups of raw samples about to leave retention ("downsampled after"), then the raw rows go. */
export async function downsampleRabbitSamples(db: Db, before: Date): Promise<void> {
  await db.execute(sql`
    insert into rabbitmq_queue_rollups (broker, vhost, queue, bucket, max_ready, max_unacked, avg_publish_rate, avg_deliver_rate, samples)
    select broker, vhost, queue, date_trunc('minute', sampled_at), max(ready), max(unacked), avg(publish_rate), avg(deliver_rate), count(*)
    from rabbitmq_queue_samples where sampled_at < ${before}
    group by broker, vhost, queue, date_trunc('minute', sampled_at)
    on conflict (broker, vhost, queue, bucket) do nothing`);
  await db.delete(rabbitmqQueueSamples).where(lt(rabbitmqQueueSamples.sampledAt, before));
}

export async function applyRabbitRetention(db: Db, rawHours: number, rollupDays: number): Promise<void> {
  const now = Date.now();
  await downsampleRabbitSamples(db, new Date(now - rawHours * 3600_000));
  await db.delete(rabbitmqQueueRollups).where(lt(rabbitmqQueueRollups.bucket, new Date(now - rollupDays * 86_400_000)));
}

/** Every known queue with its latest sample (from the last hour). */
export async function listQueues(db: Db) {
  const [queues, latest] = await Promise.all([
    db.select().from(rabbitmqQueues).orderBy(asc(rabbitmqQueues.broker), asc(rabbitmqQueues.vhost), asc(rabbitmqQueues.name)),
    db
      .selectDistinctOn([rabbitmqQueueSamples.broker, rabbitmqQueueSamples.vhost, rabbitmqQueueSamples.queue])
      .from(rabbitmqQueueSamples)
      .where(gte(rabbitmqQueueSamples.sampledAt, new Date(Date.now() - 3600_000)))
      .orderBy(rabbitmqQueueSamples.broker, rabbitmqQueueSamples.vhost, rabbitmqQueueSamples.queue, sql`${rabbitmqQueueSamples.sampledAt} desc`),
  ]);
  const byKey = new Map(latest.map((s) => [brokerQueueKey(s.broker, s.vhost, s.queue), s]));
  return queues.map((q) => ({ q, s: byKey.get(brokerQueueKey(q.broker, q.vhost, q.name)) ?? null }));
}

export async function recentDepths(db: Db, since: Date) {
  return db
    .select({ broker: rabbitmqQueueSamples.broker, vhost: rabbitmqQueueSamples.vhost, queue: rabbitmqQueueSamples.queue, ready: rabbitmqQueueSamples.ready, t: rabbitmqQueueSamples.sampledAt })
    .from(rabbitmqQueueSamples)
    .where(gte(rabbitmqQueueSamples.sampledAt, since))
    .orderBy(asc(rabbitmqQueueSamples.sampledAt));
}

export async function getQueue(db: Db, broker: string, vhost: string, name: string) {
  const rows = await db.select().from(rabbitmqQueues).where(and(eq(rabbitmqQueues.broker, broker), eq(rabbitmqQueues.vhost, vhost), eq(rabbitmqQueues.name, name)));
  return rows[0] ?? null;
}

export interface DepthPoint {
  t: Date;
  ready: number;
  unacked: number;
  publishRate: number | null;
  deliverRate: number | null;
}

export async function queueSeries(db: Db, broker: string, vhost: string, name: string, from: Date, rawHours: number): Promise<DepthPoint[]> {
  const rawFrom = new Date(Date.now() - rawHours * 3600_000);
  const out: DepthPoint[] = [];
  if (from < rawFrom) {
    const r = rabbitmqQueueRollups;
    out.push(
      ...(await db
        .select({ t: r.bucket, ready: r.maxReady, unacked: r.maxUnacked, publishRate: r.avgPublishRate, deliverRate: r.avgDeliverRate })
        .from(r)
        .where(and(eq(r.broker, broker), eq(r.vhost, vhost), eq(r.queue, name), gte(r.bucket, from), lt(r.bucket, rawFrom)))
        .orderBy(asc(r.bucket))),
    );
  }
  const s = rabbitmqQueueSamples;
  out.push(
    ...(await db
      .select({ t: s.sampledAt, ready: s.ready, unacked: s.unacked, publishRate: s.publishRate, deliverRate: s.deliverRate })
      .from(s)
      .where(and(eq(s.broker, broker), eq(s.vhost, vhost), eq(s.queue, name), gte(s.sampledAt, from > rawFrom ? from : rawFrom)))
      .orderBy(asc(s.sampledAt))),
  );
  return out;
}
