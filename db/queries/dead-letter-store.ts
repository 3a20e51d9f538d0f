import { sql } from "drizzle-orm";
import { errorMessage } from "../../lib/errors";
import { pgJson, pgText } from "../../lib/pg-safe";
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

/** A row with every text value Postgres can hold and every JSON value faithful (see lib/pg-safe.ts). */
export function storableDeadLetter(row: NewDeadLetter): NewDeadLetter {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = k === "headers" || k === "properties" ? pgJson(v) : typeof v === "string" ? pgText(v) : v instanceof Date && Number.isNaN(v.getTime()) ? null : v;
  }
  return out as NewDeadLetter;
}

/** What is left of a row Postgres refused: its bytes and identity, everything else as base64 of its JSON. */
export function quarantinedDeadLetter(row: NewDeadLetter, error: unknown): NewDeadLetter {
  const raw = Buffer.from(JSON.stringify({ headers: row.headers ?? {}, properties: row.properties ?? {} }), "utf8").toString("base64");
  const text = (s: string | null | undefined) => (typeof s === "string" ? pgText(s).slice(0, 10_000) : null);
  const int4 = (n: number | null | undefined, fallback: number | null) => (Number.isInteger(n) && Math.abs(n!) < 2 ** 31 ? n! : fallback);
  return {
    system: row.system,
    sourceName: pgText(row.sourceName),
    vhost: text(row.vhost),
    source: pgText(row.source),
    dedupKey: pgText(row.dedupKey),
    messageKey: row.messageKey ?? null,
    payload: row.payload,
    payloadSize: int4(row.payloadSize, row.payload.length)!,
    payloadTruncated: row.payloadTruncated ?? false,
    headers: { "switchyard.raw": { base64: raw } },
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
    captureError: pgText(`Postgres refused the captured row: ${errorMessage(error)}`).slice(0, 2_000),
  };
}

async function insert(db: Db, rows: NewDeadLetter[]): Promise<number> {
  const r = await db.execute(sql`${bulkInsert(deadLetters, rows)} on conflict do nothing returning id`);
  return r.rows.length;
}

/**
 * Stores captured dead letters, idempotent on (system, source name, vhost, source, dedup key): a redelivered record
 * is stored once. Values Postgres cannot hold are made storable first. If Postgres still refuses the batch for its
 * data (not for being down), rows are written one by one and each refused row is kept in the quarantine form, so the
 * caller can acknowledge the batch and move on. An outage throws: the caller keeps the batch and retries.
 */
export async function storeDeadLetters(db: Db, rows: NewDeadLetter[]): Promise<StoreResult> {
  if (rows.length === 0) return { inserted: 0, quarantined: 0 };
  const safe = rows.map(storableDeadLetter);
  try {
    return { inserted: await insert(db, safe), quarantined: 0 };
  } catch (e) {
    if (!isRowRejected(e)) throw e;
  }
  let inserted = 0;
  let quarantined = 0;
  for (const row of safe) {
    try {
      inserted += await insert(db, [row]);
    } catch (e) {
      if (!isRowRejected(e)) throw e;
      inserted += await insert(db, [quarantinedDeadLetter(row, e)]);
      quarantined++;
    }
  }
  return { inserted, quarantined };
}
