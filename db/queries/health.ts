import { sql } from "drizzle-orm";
import type { HealthReport } from "../../lib/health";
import type { Db } from "../client";
import { sourceHealth } from "../schema";

/** A collectors' report on one source, as stored; the dashboard summarises these (lib/health.ts). */
export type SourceHealthRow = HealthReport;

export async function upsertSourceHealth(db: Db, rows: SourceHealthRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insert(sourceHealth)
    .values(rows)
    .onConflictDoUpdate({
      target: [sourceHealth.system, sourceHealth.name],
      set: {
        healthy: sql`excluded.healthy`,
        error: sql`excluded.error`,
        details: sql`excluded.details`,
        checkedAt: sql`excluded.checked_at`,
      },
    });
}

export async function listSourceHealth(db: Db): Promise<SourceHealthRow[]> {
  return db.select().from(sourceHealth).orderBy(sourceHealth.system, sourceHealth.name);
}

export async function pingDb(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
