import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { errorMessage } from "../../lib/errors";
import { failureGroupId, failureSignature } from "../../lib/failure-groups";
import { pgJson, pgText, pgTextCut } from "../../lib/pg-safe";
import { canonicalJson } from "../../lib/rabbitmq/x-death";
import { replayIdOf } from "../../lib/replay/headers";
import type { Db } from "../client";
import { isRowRejected } from "../pg-errors";
import { deadLetters } from "../schema";
import { bulkInsert } from "./bulk";

export type NewDeadLetter = typeof deadLetters.$inferInsert;

export interface StoreResult {
  /** rows written (a duplicate of a row already there is not) */
  inserted: number;
  /** rows Postgres refused as captured, kept in the quarantine form */
  quarantined: number;
}

/** Btree entries hold at most ~2.7 kB: a longer key is kept as its hash (the same input always gives the same one). */
function indexableKey(key: string): string {
  return key.length <= 512 ? pgText(key) : `sha256:${createHash("sha256").update(key, "utf8").digest("hex")}`;
}

/**
 * What is left of a row Postgres refused: its bytes and identity, everything else as base64 of its JSON, each text
 * cut to what an index entry holds. `minimal` leaves out everything but the bytes, for a row even that form fails.
 */
export function quarantinedDeadLetter(row: NewDeadLetter, error: unknown, minimal = false): NewDeadLetter {
  let raw = "";
  try {
    raw = Buffer.from(JSON.stringify(pgJson({ headers: row.headers ?? {}, properties: row.properties ?? {} })), "utf8").toString("base64");
  } catch (e) {
    raw = Buffer.from(`headers could not be written: ${errorMessage(e)}`).toString("base64");
  }
  const text = (s: string | null | undefined, max = 200) => (typeof s === "string" && !minimal ? pgTextCut(s, max) : null);
  const int4 = (n: number | null | undefined, fallback: number | null) => (Number.isInteger(n) && Math.abs(n!) < 2 ** 31 ? n! : fallback);
  return {
    system: row.system,
    sourceName: pgTextCut(row.sourceName, 200),
    vhost: row.vhost === null || row.vhost === undefined ? null : pgTextCut(row.vhost, 200),
    source: pgTextCut(row.source, 400),
    dedupKey: indexableKey(row.dedupKey),
    messageKey: row.messageKey ?? null,
    payload: row.payload,
    payloadSize: int4(row.payloadSize, row.payload.length)!,
    payloadTruncated: row.payloadTruncated ?? false,
    headers: minimal ? {} : { "switchyard.raw": { base64: raw } },
    properties: {},
    kafkaPartition: int4(row.kafkaPartition, null),
    kafkaOffset: Number.isSafeInteger(row.kafkaOffset) ? row.kafkaOffset! : null,
    reason: text(row.reason),
    errorType: null,
    errorMessage: null,
    originalDestination: text(row.originalDestination),
    originalExchange: null,
    originalRoutingKey: null,
    deathCount: int4(row.deathCount, 1)!,
    firstDeadAt: null,
    lastDeadAt: null,
    traceId: null,
    capturePending: row.capturePending ?? false,
    captureError: pgTextCut(`Postgres refused the captured row: ${errorMessage(error)}`, 2_000),
  };
}

/** The row with its failure group (lib/failure-groups.ts), computed once here for both brokers' capture. */
export function withFailureGroup(row: NewDeadLetter): NewDeadLetter {
  const sig = failureSignature({ ...row, headers: row.headers ?? null });
  return { ...row, failureGroup: failureGroupId(sig), failureType: sig.errorType, failureMessage: sig.message, replayId: replayIdOf(row.headers ?? {}) };
}

async function insert(db: Db, rows: NewDeadLetter[]): Promise<number> {
  const r = await db.execute(sql`${bulkInsert(deadLetters, rows)} on conflict do nothing returning id`);
  return r.rows.length;
}

/**
 * Stores captured dead letters, idempotent on (system, source name, vhost, source, dedup key): a redelivered record
 * is stored once. Values Postgres cannot hold are made storable by bulkInsert. If Postgres still refuses the batch for its
 * data (not for being down), rows are written one by one and each refused row is kept in the quarantine form, so the
 * caller can acknowledge the batch and move on. An outage throws: the caller keeps the batch and retries.
 */
export async function storeDeadLetters(db: Db, captured: NewDeadLetter[]): Promise<StoreResult> {
  if (captured.length === 0) return { inserted: 0, quarantined: 0 };
  const rows = captured.map(withFailureGroup);
  try {
    return { inserted: await insert(db, rows), quarantined: 0 };
  } catch (e) {
    if (!isRowRejected(e)) throw e;
  }
  let inserted = 0;
  let quarantined = 0;
  for (const row of rows) {
    try {
      inserted += await insert(db, [row]);
    } catch (e) {
      if (!isRowRejected(e)) throw e;
      try {
        inserted += await insert(db, [withFailureGroup(quarantinedDeadLetter(row, e))]);
      } catch (again) {
        if (!isRowRejected(again)) throw again;
        inserted += await insert(db, [withFailureGroup(quarantinedDeadLetter(row, e, true))]);
      }
      quarantined++;
    }
  }
  return { inserted, quarantined };
}

const md5 = (b: Buffer | null | undefined) => (b === null || b === undefined ? null : createHash("md5").update(b).digest("hex"));

/**
 * Dead letters keyed by where they are (a Kafka record's topic/partition/offset, a stream message's offset), so one
 * read again meets its row. A position can hold another message, though: a topic or stream deleted and made again, or
 * a cluster set up afresh under the same name, counts offsets from 0 again. Each row whose position is taken by a row
 * of another message gets `identityKeys[i]` instead (position and content: Kafka's kafkaDedupKey, a stream's offset
 * with its content key), which the same message read again gives again. Rows with no identity key are left as they
 * are. One read of the unique index per source; only rows found at their position are compared (sameMessage).
 */
export async function keysFor(db: Db, rows: NewDeadLetter[], identityKeys: (string | undefined)[]): Promise<NewDeadLetter[]> {
  const bySource = new Map<string, number[]>();
  rows.forEach((r, i) => {
    if (identityKeys[i] === undefined) return;
    const k = JSON.stringify([r.system, r.sourceName, r.vhost ?? null, r.source]);
    const list = bySource.get(k);
    if (list) list.push(i);
    else bySource.set(k, [i]);
  });
  const out = [...rows];
  for (const idx of bySource.values()) {
    const first = rows[idx[0]!]!;
    // vhost by equality or `is null`, so the unique index serves the whole key (`is not distinct from` cannot use it)
    const vhost = first.vhost === null || first.vhost === undefined ? sql`vhost is null` : sql`vhost = ${pgText(first.vhost)}`;
    const found = await db.execute<StoredAtPosition & { dedup_key: string }>(sql`
      select dedup_key, payload_size, octet_length(payload) as stored_length, md5(payload) as payload_md5, md5(message_key) as key_md5,
        properties -> 'timestamp' as timestamp, case when capture_error is null then headers end as headers
      from dead_letters
      where system = ${first.system} and source_name = ${pgText(first.sourceName)} and ${vhost} and source = ${pgText(first.source)}
        and dedup_key = any(${sql.param(idx.map((i) => indexableKey(rows[i]!.dedupKey)))}::text[])`);
    const held = new Map(found.rows.map((x) => [x.dedup_key, x]));
    for (const i of idx) {
      const there = held.get(indexableKey(rows[i]!.dedupKey));
      if (there && !sameMessage(there, rows[i]!)) out[i] = { ...rows[i]!, dedupKey: identityKeys[i]! };
    }
  }
  return out;
}

/** What keysFor reads of the row at a position. */
export type StoredAtPosition = {
  payload_size: number;
  stored_length: number;
  payload_md5: string;
  key_md5: string | null;
  timestamp: unknown;
  /** null for a row kept in quarantine form (its headers are not as captured) */
  headers: unknown;
};

/**
 * Whether the row at a position holds this message (read again) rather than another: the same key, the same real
 * size and the same payload bytes as far as both were kept (DEAD_LETTER_MAX_BYTES may have changed between the two
 * reads), the same timestamp and the same headers where the row has them as captured. Errs toward "another": at
 * worst a message read again is stored twice, never a new one dropped.
 */
export function sameMessage(there: StoredAtPosition, r: NewDeadLetter): boolean {
  if (there.key_md5 !== md5(r.messageKey)) return false;
  if (Number(there.payload_size) !== (r.payloadSize ?? r.payload.length)) return false;
  // the bytes as far as both reads kept them; where the row kept more than this read did, the real size (above) and
  // the timestamp and headers (below) tell
  const kept = Number(there.stored_length);
  if (kept <= r.payload.length && there.payload_md5 !== md5(r.payload.subarray(0, kept))) return false;
  const ts = (r.properties as { timestamp?: unknown } | null | undefined)?.timestamp;
  if (there.timestamp !== null && there.timestamp !== undefined && ts !== undefined && canonicalJson(pgJson(ts)) !== canonicalJson(there.timestamp)) return false;
  if (there.headers !== null && there.headers !== undefined && canonicalJson(pgJson(r.headers ?? {})) !== canonicalJson(there.headers)) return false;
  return true;
}

/** storeDeadLetters for rows keyed by position: each under its position or, where that holds another message, its identity key. */
export async function storeByPosition(db: Db, rows: NewDeadLetter[], identityKeys: (string | undefined)[]): Promise<StoreResult> {
  return storeDeadLetters(db, await keysFor(db, rows, identityKeys));
}

/** One RabbitMQ queue's rows: the scope of the pending-row queries below. */
export interface RabbitQueueScope {
  broker: string;
  vhost: string;
  queue: string;
}

/**
 * Claims, for each content key in `wanted` (with the number of redeliveries that carry it), up to that many rows of
 * the queue still marked pending with that content key (dedup key = content key + `#` + a 36-character uuid),
 * newest first. A claimed row is the redelivery's own earlier capture: the caller stores nothing for it. Rows stay
 * pending until the caller has confirmed the redelivery's ack (`confirmCaptured`), so a capture stopped again
 * before that still finds them. `for update skip locked` keeps a second capture of the same queue off rows another
 * is claiming. Returns the claimed ids per content key.
 */
export async function claimPendingDeadLetters(db: Db, q: RabbitQueueScope, wanted: Map<string, number>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (wanted.size === 0) return out;
  const keys = [...wanted.keys()].map(pgText);
  const counts = [...wanted.values()];
  const r = await db.execute<{ id: string; k: string }>(sql`
    with locked as (
      select id, left(dedup_key, length(dedup_key) - 37) as k from dead_letters
      where system = 'rabbitmq' and source_name = ${pgText(q.broker)} and vhost = ${pgText(q.vhost)} and source = ${pgText(q.queue)}
        and capture_pending and length(dedup_key) > 37
      for update skip locked),
    want as (select * from unnest(${sql.param(keys)}::text[], ${sql.param(counts)}::int[]) as w(k, n)),
    ranked as (select l.id, l.k, w.n, row_number() over (partition by l.k order by l.id desc) as rn from locked l join want w on w.k = l.k)
    select id::text as id, k from ranked where rn <= n`);
  for (const row of r.rows) {
    const list = out.get(row.k) ?? [];
    list.push(row.id);
    out.set(row.k, list);
  }
  return out;
}

/**
 * The broker has processed the ack of these rows' messages: they are captured for good. `dedupKeys` are rows the
 * batch inserted, `ids` rows its redeliveries claimed.
 */
export async function confirmCaptured(db: Db, q: RabbitQueueScope, dedupKeys: string[], ids: string[]): Promise<void> {
  if (dedupKeys.length === 0 && ids.length === 0) return;
  await db.execute(sql`
    update dead_letters set capture_pending = false
    where system = 'rabbitmq' and source_name = ${pgText(q.broker)} and vhost = ${pgText(q.vhost)} and source = ${pgText(q.queue)} and capture_pending
      and (dedup_key = any(${sql.param(dedupKeys.map(pgText))}::text[]) or id = any(${sql.param(ids)}::bigint[]))`);
}

/**
 * Every row of the queue still pending: called when the queue holds no message at all (none ready, none delivered
 * to any consumer), so no redelivery can claim them any more. Returns how many were cleared.
 */
export async function clearPendingDeadLetters(db: Db, q: RabbitQueueScope): Promise<number> {
  const r = await db.execute(sql`
    update dead_letters set capture_pending = false
    where system = 'rabbitmq' and source_name = ${pgText(q.broker)} and vhost = ${pgText(q.vhost)} and source = ${pgText(q.queue)} and capture_pending
    returning id`);
  return r.rows.length;
}

/**
 * Gives failure groups to rows captured before they existed (migration 0015), `batch` rows at a time, oldest first.
 * Returns how many it grouped; 0 when none is left.
 */
export async function backfillFailureGroups(db: Db, batch = 1000): Promise<number> {
  const r = await db.execute<{ id: string; system: string; original_destination: string | null; source: string; reason: string | null; error_type: string | null; error_message: string | null; cause: unknown }>(sql`
    select id::text as id, system, original_destination, source, reason, error_type, left(error_message, 2000) as error_message,
      headers -> 'kafka_dlt-exception-cause-fqcn' as cause
    from dead_letters where failure_group is null order by dead_letters.id limit ${batch}`);
  if (r.rows.length === 0) return 0;
  const ids: string[] = [];
  const groups: string[] = [];
  const types: (string | null)[] = [];
  const messages: string[] = [];
  for (const row of r.rows) {
    const sig = failureSignature({
      system: row.system,
      originalDestination: row.original_destination,
      source: row.source,
      reason: row.reason,
      errorType: row.error_type,
      errorMessage: row.error_message,
      headers: row.cause === null || row.cause === undefined ? {} : { "kafka_dlt-exception-cause-fqcn": row.cause },
    });
    ids.push(row.id);
    groups.push(failureGroupId(sig));
    types.push(sig.errorType === null ? null : pgText(sig.errorType));
    messages.push(pgText(sig.message));
  }
  await db.execute(sql`
    update dead_letters d set failure_group = u.g, failure_type = u.t, failure_message = u.m
    from unnest(${sql.param(ids)}::bigint[], ${sql.param(groups)}::text[], ${sql.param(types)}::text[], ${sql.param(messages)}::text[]) as u(id, g, t, m)
    where d.id = u.id`);
  return r.rows.length;
}
