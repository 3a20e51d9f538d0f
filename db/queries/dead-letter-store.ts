import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { deadLetters } from "../schema";
import { bulkInsert } from "./bulk";

export type NewDeadLetter = typeof deadLetters.$inferInsert;

/** Idempotent on (system, source name, source, dedup key): a redelivered record is stored once. Returns rows inserted. */
export async function insertDeadLetters(db: Db, rows: NewDeadLetter[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await db.execute(sql`${bulkInsert(deadLetters, rows)} on conflict do nothing returning id`);
  return r.rows.length;
}
