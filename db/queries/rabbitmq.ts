import { and, asc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { rabbitmqQueueRollups, rabbitmqQueues, rabbitmqQueueSamples } from "../schema";

export type QueueSampleRow = typeof rabbitmqQueueSamples.$inferInsert;
export type QueueRow = typeof rabbitmqQueues.$inferInsert;

/** Everything one poll of one broker learned, in one transaction; queues that vanished are removed. */
export async function writeQueuePoll(db: Db, broker: string, queues: QueueRow[], samples: QueueSampleRow[], at: Date, removeVanished = true): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < samples.length; i += 1000) await tx.insert(rabbitmqQueueSamples).values(samples.slice(i, i + 1000));
    for (let i = 0; i < queues.length; i += 1000) {
      await tx
        .insert(rabbitmqQueues)
        .values(queues.slice(i, i + 1000))
        .onConflictDoUpdate({
          target: [rabbitmqQueues.broker, rabbitmqQueues.vhost, rabbitmqQueues.name],
          set: {
            type: sql`excluded.type`,
            state: sql`excluded.state`,
            arguments: sql`excluded.arguments`,
            policy: sql`excluded.policy`,
            deadLetterExchange: sql`excluded.dead_letter_exchange`,
            deadLetterRoutingKey: sql`excluded.dead_letter_routing_key`,
            isDeadLetterQueue: sql`excluded.is_dead_letter_queue`,
            deadLetterSources: sql`excluded.dead_letter_sources`,
            deadLetterTargets: sql`excluded.dead_letter_targets`,
            dlxMissing: sql`excluded.dlx_missing`,
            captureMode: sql`excluded.capture_mode`,
            updatedAt: sql`excluded.updated_at`,
          },
        });
    }
    if (removeVanished) await tx.delete(rabbitmqQueues).where(and(eq(rabbitmqQueues.broker, broker), lt(rabbitmqQueues.updatedAt, at)));
    const bucket = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    for (let i = 0; i < samples.length; i += 1000) {
      await tx
        .insert(rabbitmqQueueRollups)
        .values(
          samples.slice(i, i + 1000).map((s) => ({
            broker,
            vhost: s.vhost,
            queue: s.queue,
            bucket,
            maxReady: s.ready,
            maxUnacked: s.unacked,
            avgPublishRate: s.publishRate ?? null,
            avgDeliverRate: s.deliverRate ?? null,
            samples: 1,
          })),
        )
        .onConflictDoUpdate({
          target: [rabbitmqQueueRollups.broker, rabbitmqQueueRollups.vhost, rabbitmqQueueRollups.queue, rabbitmqQueueRollups.bucket],
          set: {
            maxReady: sql`greatest(${rabbitmqQueueRollups.maxReady}, excluded.max_ready)`,
            maxUnacked: sql`greatest(${rabbitmqQueueRollups.maxUnacked}, excluded.max_unacked)`,
            avgPublishRate: sql`(coalesce(${rabbitmqQueueRollups.avgPublishRate}, 0) * ${rabbitmqQueueRollups.samples} + coalesce(excluded.avg_publish_rate, 0)) / (${rabbitmqQueueRollups.samples} + 1)`,
            avgDeliverRate: sql`(coalesce(${rabbitmqQueueRollups.avgDeliverRate}, 0) * ${rabbitmqQueueRollups.samples} + coalesce(excluded.avg_deliver_rate, 0)) / (${rabbitmqQueueRollups.samples} + 1)`,
            samples: sql`${rabbitmqQueueRollups.samples} + 1`,
          },
        });
    }
  });
}

export async function applyRabbitRetention(db: Db, rawHours: number, rollupDays: number): Promise<void> {
  const now = Date.now();
  await db.delete(rabbitmqQueueSamples).where(lt(rabbitmqQueueSamples.sampledAt, new Date(now - rawHours * 3600_000)));
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
  const byKey = new Map(latest.map((s) => [`${s.broker}\u0000${s.vhost}\u0000${s.queue}`, s]));
  return queues.map((q) => ({ q, s: byKey.get(`${q.broker}\u0000${q.vhost}\u0000${q.name}`) ?? null }));
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
