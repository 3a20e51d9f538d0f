import { sql, type SQL } from "drizzle-orm";
import type { ReplayStatus } from "../../lib/replay-states";
import { replayItemHeader } from "../../lib/replay/message";
import type { DeadLetterSystem } from "../../lib/dead-letters";
import type { Db } from "../client";
import { sqlState } from "../pg-errors";
import { pushTo } from "../../lib/multimap";

/**
 * The collectors' side of a replay (collectors/replay/engine.ts): claiming items, noting each send before and after
 * it, recovering items a crash left in `sending`, finishing, and settling items from the consumers' spans and from
 * dead letters that come back with the replay's id.
 */

export interface RunnableReplay {
  id: number;
  status: ReplayStatus;
  ratePerSecond: number;
  target: { destination?: string; keepPartition?: boolean } | null;
}

/** Replays that want a sender: pending or running (a paused one waits for resume), and stopped ones with items caught sending. */
export async function runnableReplays(db: Db): Promise<RunnableReplay[]> {
  const r = await db.execute<{ id: string; status: ReplayStatus; rate_per_second: number; target: RunnableReplay["target"] }>(sql`
    select id::text as id, status, rate_per_second, target from replays r
    where not dry_run and (status in ('pending', 'running')
      or (status in ('cancelled', 'failed') and (exists (select 1 from replay_batches b where b.replay_id = r.id)
        or exists (select 1 from replay_items i where i.replay_id = r.id and i.status in ('pending', 'sending')))))
    order by r.id`);
  return r.rows.map((x) => ({ id: Number(x.id), status: x.status, ratePerSecond: x.rate_per_second, target: x.target }));
}

export async function replayState(db: Db, id: number): Promise<(RunnableReplay & { heartbeatAgeMs: number | null }) | null> {
  const r = await db.execute<{ id: string; status: ReplayStatus; rate_per_second: number; target: RunnableReplay["target"]; age: number | null }>(sql`
    select id::text as id, status, rate_per_second, target, (extract(epoch from now() - heartbeat_at) * 1000)::float8 as age from replays where id = ${id}`);
  const x = r.rows[0];
  return x ? { id: Number(x.id), status: x.status, ratePerSecond: x.rate_per_second, target: x.target, heartbeatAgeMs: x.age === null ? null : Number(x.age) } : null;
}

/** pending → running, the first time a sender takes it. */
export async function markRunning(db: Db, id: number): Promise<void> {
  await db.execute(sql`update replays set status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now() where id = ${id} and status = 'pending'`);
}

/**
 * `column = any($ids)` with the ids' range beside it, so the planner reads that range of the primary key. Without it,
 * a status index's estimate made before the replay's items existed had it scan every pending item of the replay for
 * each batch of 2,000 (bench:replay: 48,000 rows filtered per claim).
 */
function idsIn(column: string, ids: (number | string)[]): SQL {
  let min = Infinity;
  let max = -Infinity;
  for (const x of ids) {
    const n = Number(x);
    if (n < min) min = n;
    if (n > max) max = n;
  }
  const c = sql.raw(column);
  return sql`${c} between ${min} and ${max} and ${c} = any(${sql.param(ids.map(String))}::bigint[])`;
}

/** One item as the sender needs it: where it goes and what it carries. */
export interface ClaimedItem {
  id: number;
  deadLetterId: number;
  system: DeadLetterSystem;
  sourceName: string;
  vhost: string | null;
  destination: string | null;
  traceId: string;
  spanId: string;
  resent: boolean;
  key: Buffer | null;
  payload: Buffer;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  kafkaPartition: number | null;
  originalExchange: string | null;
  originalRoutingKey: string | null;
  editedHeaders: Record<string, unknown> | null;
}

type ItemRow = {
  id: string;
  dead_letter_id: string;
  system: DeadLetterSystem;
  source_name: string;
  vhost: string | null;
  destination: string | null;
  trace_id: string;
  span_id: string;
  resent: boolean;
  message_key: Buffer | null;
  payload: Buffer;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  kafka_partition: number | null;
  original_exchange: string | null;
  original_routing_key: string | null;
  edited_headers: Record<string, unknown> | null;
};

const toItem = (r: ItemRow): ClaimedItem => ({
  id: Number(r.id),
  deadLetterId: Number(r.dead_letter_id),
  system: r.system,
  sourceName: r.source_name,
  vhost: r.vhost,
  destination: r.destination,
  traceId: r.trace_id,
  spanId: r.span_id,
  resent: r.resent,
  key: r.message_key,
  payload: r.payload,
  headers: r.headers ?? {},
  properties: r.properties ?? {},
  kafkaPartition: r.kafka_partition,
  originalExchange: r.original_exchange,
  originalRoutingKey: r.original_routing_key,
  editedHeaders: r.edited_headers,
});

// Lengths are checked apart from the pattern: Postgres's regular expressions are slow with a counted repetition
// ('^[0-9a-f]{32}$' cost 6 µs a row, 0.8 µs as a length and '^[0-9a-f]+$'), and these run once per item.

/** The trace an item's replay span goes in: its dead letter's, when that is a valid trace id, else a new one. */
export const replayTraceId = (deadLetterTrace: SQL, itemId: SQL): SQL =>
  sql`case when length(${deadLetterTrace}) = 32 and ${deadLetterTrace} ~ '^[0-9a-f]+$' and ${deadLetterTrace} !~ '^0+$' then ${deadLetterTrace} else md5(random()::text || clock_timestamp()::text || ${itemId}) end`;

/**
 * A dead letter's traceparent header as the consumer's instrumentation reads it: any case of its name, surrounding
 * blanks trimmed (null when it has none, or not as a string).
 */
export const traceparentOf = (headers: SQL): SQL => sql`btrim(coalesce(
      case when jsonb_typeof(${headers} -> 'traceparent') = 'string' then ${headers} ->> 'traceparent' end,
      case when jsonb_typeof(${headers}) = 'object' then
        (select h.value #>> '{}' from jsonb_each(${headers}) h where lower(h.key) = 'traceparent' and jsonb_typeof(h.value) = 'string' limit 1) end), E' \t\n\r')`;

/**
 * The span a traceparent names (version-traceid-spanid-flags, lowercase hex), when it is in trace `traceId` and not
 * all zeros: the parent of the replay's span. Null otherwise.
 */
export const parentSpanOf = (tp: SQL, traceId: SQL): SQL => sql`case
      when length(${tp}) = 55 and substr(${tp}, 3, 1) = '-' and substr(${tp}, 36, 1) = '-' and substr(${tp}, 53, 1) = '-'
        and ${tp} ~ '^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$' and substr(${tp}, 4, 32) = ${traceId} and substr(${tp}, 37, 16) !~ '^0+$'
      then substr(${tp}, 37, 16) end`;

/** The id of an item's replay span (its traceparent), given when the item is made. */
export const replaySpanId = (itemId: SQL): SQL => sql`left(md5(random()::text || clock_timestamp()::text || ${itemId} || 's'), 16)`;

/** A batch of items being sent: its row in replay_batches (written before the send) and the items. */
export interface ClaimedBatch {
  id: number;
  startedAt: Date;
  items: ClaimedItem[];
}

const itemColumns = sql`i.id::text as id, i.dead_letter_id::text as dead_letter_id, d.system, d.source_name, d.vhost, i.destination, i.trace_id, i.span_id, i.resent,
      d.message_key, coalesce(i.edited_payload, d.payload) as payload, d.headers, d.properties, d.kafka_partition, d.original_exchange, d.original_routing_key, i.edited_headers`;

/**
 * Takes the next `n` pending items of the replay (after item `after`) as a batch: one replay_batches row with their
 * ids is written before they are sent, and it is what says they are sending (an item does not change until the
 * broker's answer is written). The replay's row is share-locked meanwhile, so a cancel (which locks it for update)
 * either comes first (and nothing is taken) or sees the batch and leaves its items alone. Items of another open batch
 * (the one being sent) are never taken twice. Null when there is nothing to take or the replay is not sending.
 */
export async function claimItems(db: Db, replayId: number, n: number, after = 0, maxBytes = 16 * 1024 * 1024): Promise<ClaimedBatch | null> {
  return db.transaction(async (tx) => {
    const st = await tx.execute<{ status: ReplayStatus }>(sql`select status from replays where id = ${replayId} for share`);
    const status = st.rows[0]?.status;
    if (status !== "pending" && status !== "running") return null;
    // one statement (after the lock, so it sees what a cancel committed before it): the next items, cut where their
    // payloads pass maxBytes (always at least one: a batch of 2,000 dead letters of 10 MiB each must not come into
    // memory at once), their batch row written, and what the sender needs of them
    const r = await tx.execute<ItemRow & { batch_id: string; batch_started_at: Date }>(sql`
      with next as (
        select i.id, coalesce(octet_length(i.edited_payload), d.payload_size) as size
        from replay_items i join dead_letters d on d.id = i.dead_letter_id
        where i.replay_id = ${replayId} and i.status = 'pending' and i.id > ${after}
          and i.id not in (select unnest(b.item_ids) from replay_batches b where b.replay_id = ${replayId})
        order by i.id limit ${n}),
      cut as (
        select id from (select id, row_number() over w as k, sum(size) over w as upto from next window w as (order by id)) x
        where k = 1 or upto <= ${maxBytes}),
      batch as (
        insert into replay_batches (replay_id, item_ids) select ${replayId}, array_agg(id order by id) from cut having count(*) > 0
        returning id, started_at)
      select batch.id::text as batch_id, batch.started_at as batch_started_at, ${itemColumns}
      from batch, replay_items i join dead_letters d on d.id = i.dead_letter_id
      where i.id in (select id from cut)
      order by i.id`);
    const first = r.rows[0];
    if (!first) return null;
    return { id: Number(first.batch_id), startedAt: new Date(first.batch_started_at), items: r.rows.map(toItem) };
  });
}

/** A batch's answers are all written: its items are no longer sending. */
export async function closeBatch(db: Pick<Db, "execute">, batchId: number): Promise<void> {
  await db.execute(sql`delete from replay_batches where id = ${batchId}`);
}

/** What the broker answered for a batch's items. */
export interface BatchAnswers {
  /** with the system each was sent on (what its replay span says) */
  confirmed: { id: number; system: DeadLetterSystem; offset?: number | null; partition?: number | null }[];
  refused: { id: number; error: string }[];
  nacked: number[];
}

/**
 * The broker's answers for a batch, in one transaction: items confirmed (and their dead letters replayed), refused
 * (skipped with why), nacked (pending again), and, when the whole batch was sent, the batch closed. Committed without
 * waiting for the WAL flush: these are written after the send, so a Postgres crash that lost them leaves the batch
 * open, and its items are looked for (Kafka) or sent again as uncertain (RabbitMQ), as after a crash of the collectors.
 */
export async function writeAnswers(db: Db, batch: { id: number; startedAt: Date }, answers: BatchAnswers, close: boolean, onSpansError: (e: unknown) => void = () => undefined): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local synchronous_commit = off`);
    await markConfirmed(tx, answers.confirmed, batch.startedAt);
    await markRefused(tx, answers.refused);
    await nackedItems(tx, answers.nacked);
    if (close) await closeBatch(tx, batch.id);
    // the replay's spans last, under a savepoint and a lock timeout: spans Postgres refuses, or a partition
    // maintenance holding the spans table, never keep the answers from being written (tried twice: the partition
    // check fails while a day's partition is attached)
    if (!answers.confirmed.length) return;
    const bySystem = new Map<DeadLetterSystem, number[]>();
    for (const c of answers.confirmed) pushTo(bySystem, c.system, c.id);
    await tx.execute(sql`set local lock_timeout = '1s'`);
    for (let attempt = 1; ; attempt++) {
      try {
        await tx.transaction(async (sp) => {
          for (const [system, ids] of bySystem) await replaySpans(sp, ids, system);
        });
        return;
      } catch (e) {
        const code = sqlState(e);
        if (attempt < 2 && (code === "23514" || code === "55P03")) continue;
        onSpansError(e);
        return;
      }
    }
  });
}

/** The resource of the replay's own spans (span_resources: its id is the md5 of its attributes as JSON, as the receiver stores them). */
const replayResource = JSON.stringify({ "service.name": "switchyard" });

/**
 * The replay's own span for each of these confirmed items (all of `system`), in the dead letter's trace (a child of
 * the span it died under: the item's parent_span_id, read from its traceparent when the item was made), from its
 * sending to the broker's confirm (the item's sent_at and confirmed_at). Made in Postgres from the items, in the
 * transaction of the answers; a span stored already (by an earlier write of the same answers) is left as it is.
 */
export async function replaySpans(db: Pick<Db, "execute">, ids: number[], system: DeadLetterSystem): Promise<void> {
  if (!ids.length) return;
  await db.execute(sql`insert into span_resources (id, attributes) values (md5(${replayResource}), ${replayResource}::jsonb) on conflict do nothing`);
  await db.execute(sql`
    insert into spans (trace_id, span_id, parent_span_id, service, name, kind, start_time, start_unix_nano, duration_ms, status_code,
      attributes, resource_id, messaging_system, messaging_destination, messaging_operation)
    select i.trace_id, i.span_id, i.parent_span_id,
      'switchyard', btrim('replay ' || coalesce(i.destination, '')), 4, i.sent_at, (extract(epoch from i.sent_at) * 1000000)::bigint * 1000,
      greatest(0, extract(epoch from i.confirmed_at - i.sent_at) * 1000), 0,
      jsonb_build_object('switchyard.replay.id', i.replay_id, 'switchyard.replay.item', i.id, 'switchyard.dead_letter.id', i.dead_letter_id),
      md5(${replayResource}), ${system}, i.destination, 'publish'
    from replay_items i
    where ${idsIn("i.id", ids)} and i.span_id is not null and i.trace_id is not null and i.sent_at is not null and i.confirmed_at is not null
    on conflict do nothing`);
}

/**
 * Kafka: the partition each item of a batch goes to and the partition's end offset before the send (what recovery
 * reads from), on the batch's row.
 */
export async function noteKafkaTargets(db: Db, batchId: number, rows: { id: number; partition: number; offsetBefore: number }[]): Promise<void> {
  if (!rows.length) return;
  const targets = JSON.stringify(rows.map((r) => [r.id, r.partition, r.offsetBefore]));
  const r = await db.execute(sql`update replay_batches set kafka_targets = coalesce(kafka_targets, '[]'::jsonb) || ${targets}::jsonb where id = ${batchId} returning id`);
  // the batch is gone: another process took the replay over and recovered it (this one lost its lock): sending now
  // would be a second copy that no recovery knows of
  if (r.rows.length === 0) throw new Error(`batch ${batchId} was closed by another sender; not sending it`);
}

/**
 * The broker confirmed these items (of an open batch, or caught sending): confirmed (uncertain when it was a resend
 * after a crash), sent at `sentAt` (the batch's start); their dead letters are replayed.
 */
export async function markConfirmed(db: Pick<Db, "execute">, confirmed: { id: number; offset?: number | null; partition?: number | null }[], sentAt: Date | null = null): Promise<void> {
  if (!confirmed.length) return;
  const ids = confirmed.map((c) => c.id);
  const offsets = confirmed.map((c) => c.offset ?? null);
  const partitions = confirmed.map((c) => c.partition ?? null);
  // the offsets (Kafka) by each id's place in the list: `id = any($ids)`, not a join with unnest, which once
  // replay_items has statistics is planned as a nested loop over the status index (bench:replay)
  const offset = offsets.some((o) => o !== null)
    ? sql`coalesce((${sql.param(offsets)}::bigint[])[array_position(${sql.param(ids)}::bigint[], i.id)], i.kafka_offset)`
    : sql`i.kafka_offset`;
  const partition = partitions.some((o) => o !== null)
    ? sql`coalesce((${sql.param(partitions)}::int[])[array_position(${sql.param(ids)}::bigint[], i.id)], i.kafka_partition)`
    : sql`i.kafka_partition`;
  // one statement (its own transaction): the items and their dead letters together
  await db.execute(sql`
    with c as (
      update replay_items i set
        status = case when i.resent then 'uncertain' else 'confirmed' end, sent_at = coalesce(i.sent_at, ${sentAt}::timestamptz, now()), confirmed_at = now(),
        kafka_offset = ${offset}, kafka_partition = ${partition}
      where ${idsIn("i.id", ids)} and i.status in ('pending', 'sending')
      returning i.dead_letter_id)
    update dead_letters set status = 'replayed', status_changed_at = now(), status_changed_by = 'replay'
    where id in (select dead_letter_id from c) and status = 'replaying'`);
}

/**
 * The broker refused these items for good (no such topic or exchange, nothing bound to the routing key, too large):
 * skipped with why, and their dead letters get back the status they had.
 */
export async function markRefused(db: Pick<Db, "execute">, refused: { id: number; error: string }[]): Promise<void> {
  if (!refused.length) return;
  const ids = refused.map((c) => c.id);
  // one statement: the items, and their dead letters given back the status they had before the replay took them
  await db.execute(sql`
    with r as (
      update replay_items i set status = 'skipped', skip_reason = 'no_destination', settled_at = now(),
        error = left((${sql.param(refused.map((c) => c.error))}::text[])[array_position(${sql.param(ids)}::bigint[], i.id)], 2000)
      where ${idsIn("i.id", ids)} and i.status in ('pending', 'sending')
      returning i.dead_letter_id, i.prior_status)
    update dead_letters d set status = coalesce(r.prior_status, 'new') from r where d.id = r.dead_letter_id and d.status = 'replaying'`);
}

/** Back to pending after the broker refused them for now (a nack: a full queue, a leader change): sent again. */
export async function nackedItems(db: Pick<Db, "execute">, ids: number[]): Promise<void> {
  if (!ids.length) return;
  // an item of a batch is still pending (closing the batch gives it back); one caught sending before batches were kept is not
  await db.execute(sql`update replay_items set status = 'pending', sent_at = null where ${idsIn("id", ids)} and status = 'sending'`);
}

/**
 * Items that will not be sent (the replay was cancelled or failed), in one statement: cancelled, their dead letters
 * given back the status they had, except those sent once already (`resent`: caught sending by a crash, so a consumer
 * may have had them), which are uncertain and their dead letters replayed. `where` picks the items (of
 * replay_items i); only pending or sending ones change. Returns how many went each way.
 */
export async function stopUnsent(db: Pick<Db, "execute">, where: SQL, error: string | null = null): Promise<{ cancelled: number; uncertain: number }> {
  const r = await db.execute<{ cancelled: number; uncertain: number }>(sql`
    with s as (
      update replay_items i set
        status = case when i.resent then 'uncertain' else 'cancelled' end,
        sent_at = case when i.resent then coalesce(i.sent_at, now()) end,
        settled_at = case when i.resent then i.settled_at else now() end,
        error = coalesce(${error}, i.error)
      where ${where} and i.status in ('pending', 'sending')
      returning i.status, i.dead_letter_id, i.prior_status),
    d as (
      update dead_letters d set status = case when s.status = 'uncertain' then 'replayed' else coalesce(s.prior_status, 'new') end
      from s where d.id = s.dead_letter_id and d.status = 'replaying'
      returning 1)
    select (count(*) filter (where status = 'cancelled'))::int as cancelled, (count(*) filter (where status = 'uncertain'))::int as uncertain from s`);
  return r.rows[0] ?? { cancelled: 0, uncertain: 0 };
}

/**
 * A cancelled or failed replay's items caught in `sending` (the process died mid-send, or the operator cancelled
 * during a retry): those found written (Kafka) are confirmed; the ones known not sent are stopped (stopUnsent); the
 * ones that may have been delivered (RabbitMQ) are uncertain, their dead letters replayed.
 */
export async function closeSending(db: Db, found: { id: number; offset?: number | null }[], notSent: number[], maybe: number[]): Promise<void> {
  await markConfirmed(db, found);
  await db.transaction(async (tx) => {
    if (notSent.length) await stopUnsent(tx, sql`i.id = any(${sql.param(notSent)}::bigint[])`);
    if (maybe.length) {
      const r = await tx.execute<{ dead_letter_id: string }>(sql`
        update replay_items set status = 'uncertain', resent = true, sent_at = coalesce(sent_at, now()) where id = any(${sql.param(maybe)}::bigint[]) and status in ('pending', 'sending')
        returning dead_letter_id::text as dead_letter_id`);
      if (r.rows.length) await tx.execute(sql`update dead_letters set status = 'replayed' where id = any(${sql.param(r.rows.map((x) => x.dead_letter_id))}::bigint[]) and status = 'replaying'`);
    }
  });
}

/** A stopped replay's pending items (none of them in a batch being sent): stopUnsent. */
export const stopPending = (db: Pick<Db, "execute">, replayId: number) => stopUnsent(db, sql`i.replay_id = ${replayId} and i.status = 'pending'`);

/** Whether the replay has batch rows (none of this process's own: called with its writes drained). */
export async function hasOpenBatches(db: Pick<Db, "execute">, replayId: number): Promise<boolean> {
  const r = await db.execute(sql`select 1 from replay_batches where replay_id = ${replayId} limit 1`);
  return r.rows.length > 0;
}

export type SendingItem = ClaimedItem & { partition: number | null; offsetBefore: number | null };

/**
 * Items a crash (or a lost connection) left sending, with what recovery needs: those still pending in a batch row
 * (and any in `sending`, as items were marked before batches were kept), Kafka's partition and end offset from the
 * batch.
 */
export async function sendingItems(db: Db, replayId: number): Promise<SendingItem[]> {
  const r = await db.execute<ItemRow & { p: number | null; o: string | null }>(sql`
    with open as (select unnest(b.item_ids) as item_id from replay_batches b where b.replay_id = ${replayId}),
    kt as (
      select (t ->> 0)::bigint as item_id, (t ->> 1)::int as p, (t ->> 2)::bigint as o
      from replay_batches b, jsonb_array_elements(b.kafka_targets) t where b.replay_id = ${replayId} and jsonb_typeof(b.kafka_targets) = 'array')
    select ${itemColumns}, coalesce(kt.p, i.kafka_partition) as p, coalesce(kt.o, i.offset_before)::text as o
    from replay_items i join dead_letters d on d.id = i.dead_letter_id left join kt on kt.item_id = i.id
    where i.replay_id = ${replayId} and (i.status = 'sending' or (i.status = 'pending' and i.id in (select item_id from open)))
    order by i.id`);
  return r.rows.map((x) => ({ ...toItem(x), partition: x.p, offsetBefore: x.o === null ? null : Number(x.o) }));
}

/** Recovery is done with what was caught sending: the replay's batches are closed. */
export async function closeBatches(db: Pick<Db, "execute">, replayId: number): Promise<void> {
  await db.execute(sql`delete from replay_batches where replay_id = ${replayId}`);
}

/** Back to pending, to be sent again (`resent`: RabbitMQ, where a consumer may have had the first copy). */
export async function requeueItems(db: Db, ids: number[], resent: boolean): Promise<void> {
  if (!ids.length) return;
  await db.execute(sql`
    update replay_items set status = 'pending', resent = resent or ${resent}
    where id = any(${sql.param(ids)}::bigint[]) and status in ('pending', 'sending')`);
}

/** Done when nothing is left to send: every item confirmed, settled, skipped or cancelled. */
export async function finishIfDone(db: Db, replayId: number): Promise<boolean> {
  const r = await db.execute(sql`
    update replays set status = 'done', finished_at = now()
    where id = ${replayId} and status = 'running'
      and not exists (select 1 from replay_items where replay_id = ${replayId} and status in ('pending', 'sending'))
      and not exists (select 1 from replay_batches where replay_id = ${replayId})
    returning id`);
  return r.rows.length > 0;
}

/** The sender is alive (now), or has stopped in order with nothing in flight (null). */
export async function heartbeat(db: Db, replayId: number, at: "now" | null = "now"): Promise<void> {
  await db.execute(at === null ? sql`update replays set heartbeat_at = null where id = ${replayId}` : sql`update replays set heartbeat_at = now() where id = ${replayId}`);
}

/**
 * A replay that cannot be sent (its typed destination does not exist): failed with the reason, its unsent items
 * cancelled and their dead letters given back their status.
 */
export async function failReplay(db: Db, replayId: number, error: string): Promise<void> {
  await db.transaction(async (tx) => {
    // the replay first: a claim under way (which share-locks it) ends before the items are looked at
    await tx.execute(sql`select 1 from replays where id = ${replayId} for update`);
    // items taken for the batch that found the destination missing were never handed to the broker: not sent
    await stopUnsent(tx, sql`i.replay_id = ${replayId}`, error);
    await tx.execute(sql`delete from replay_batches where replay_id = ${replayId}`);
    await tx.execute(sql`update replays set status = 'failed', error = left(${error}, 2000), finished_at = now() where id = ${replayId} and status in ('pending', 'running')`);
  });
}

/**
 * Settles items from what came back: a span that is a child of an item's span (or links to it) ends it processed,
 * or failed again when that span erred; a dead letter captured with the item's header ends it failed again (whatever
 * a span said). The dead letters of items that failed again are marked so; the new dead letter links to the replay.
 * Looks at the items sent (and dead letters captured) in the last `window.minutes`, newest first: the engine runs it
 * every second over 2 minutes, every 10 seconds over 10 and every minute over a day (its settleTiers); an item no
 * consumer span has reached in a day stays "confirmed, not observed". Returns how many items moved.
 */
export async function settleItems(db: Db, window: { minutes: number; limit: number } = { minutes: 10, limit: 20_000 }): Promise<number> {
  // only items the broker confirmed: one still sending is settled once its confirm is written (so a dead letter is
  // never left replaying under a processed item). Spans are looked for from a fixed time, so Postgres reads only the
  // recent partitions of spans.
  const since = sql`now() - make_interval(mins => ${window.minutes + 10})`;
  const bySpan = await db.execute<{ status: string; dead_letter_id: string }>(sql`
    with cand as (
      select id, trace_id, span_id, sent_at from replay_items
      where status in ('confirmed', 'uncertain') and span_id is not null and sent_at > now() - make_interval(mins => ${window.minutes})
      order by sent_at desc limit ${window.limit}),
    hit as (
      select c.id, bool_or(s.status_code = 2) as err from cand c
      join spans s on s.trace_id = c.trace_id and s.parent_span_id = c.span_id and s.start_time >= ${since}
      group by c.id
      union all
      select c.id, bool_or(s.status_code = 2) as err from cand c
      join span_links l on l.linked_trace_id = c.trace_id and l.linked_span_id = c.span_id and l.start_time >= ${since}
      join spans s on s.trace_id = l.trace_id and s.span_id = l.span_id and s.start_time = l.start_time
      group by c.id),
    agg as (select id, bool_or(err) as err from hit group by id)
    update replay_items i set status = case when a.err then 'failed_again' else 'processed' end, settled_at = now()
    from agg a where i.id = a.id and i.status in ('confirmed', 'uncertain')
    returning i.status, i.dead_letter_id::text as dead_letter_id`);
  const byDeadLetter = await db.execute<{ status: string; dead_letter_id: string; returned: string }>(sql`
    update replay_items i set status = 'failed_again', settled_at = coalesce(i.settled_at, now()), returned_as = d.id
    from dead_letters d
    where d.replay_id is not null and d.captured_at > now() - make_interval(mins => ${window.minutes}) and i.replay_id = d.replay_id
      and d.headers ->> ${replayItemHeader} = i.id::text || ':' || i.span_id and i.status in ('confirmed', 'uncertain', 'processed')
    returning i.status, i.dead_letter_id::text as dead_letter_id, d.id::text as returned`);
  const again = [...bySpan.rows, ...byDeadLetter.rows].filter((r) => r.status === "failed_again").map((r) => r.dead_letter_id);
  if (again.length) {
    await db.execute(sql`
      update dead_letters set status = 'failed_again', status_changed_at = now(), status_changed_by = 'replay'
      where id = any(${sql.param(again)}::bigint[]) and status in ('replaying', 'replayed')`);
  }
  if (byDeadLetter.rows.length) {
    // the original points at the copy that came back: the copy is what a later replay sends (never both)
    await db.execute(sql`
      update dead_letters d set returned_as = x.r
      from unnest(${sql.param(byDeadLetter.rows.map((r) => r.dead_letter_id))}::bigint[], ${sql.param(byDeadLetter.rows.map((r) => r.returned))}::bigint[]) as x(o, r)
      where d.id = x.o`);
  }
  return bySpan.rows.length + byDeadLetter.rows.length;
}

/** Why sending is stopped right now (shown on the replay while it retries), or null once it goes on. */
export async function noteError(db: Db, replayId: number, error: string | null): Promise<void> {
  await db.execute(sql`update replays set error = ${error === null ? null : error.slice(0, 2000)} where id = ${replayId} and status in ('pending', 'running')`);
}
