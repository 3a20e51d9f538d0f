import { sql } from "drizzle-orm";
import type { Db } from "../client";

/**
 * Daily partitions of `spans` and `span_links` (see migration 0003): partitions for yesterday through `aheadDays`
 * ahead are made before spans arrive for them, and partitions wholly older than the retention are dropped, which is
 * what makes retention cheap. Rows that landed in the default partition (spans timestamped outside the made days,
 * or from before a day's partition existed) are moved into a day's partition when it is made, and deleted from the
 * default one once past retention. Runs under an advisory lock, so two collectors never race on it.
 */
export const partitionedTables = ["spans", "span_links"] as const;
const LOCK_ID = 7_345_112_903;

const dayName = (table: string, day: Date) => `${table}_p${day.toISOString().slice(0, 10).replace(/-/g, "")}`;
const startOfDay = (t: Date) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
const addDays = (t: Date, n: number) => new Date(t.getTime() + n * 86_400_000);

export async function maintainSpanPartitions(db: Db, opts: { retentionDays: number; aheadDays?: number; now?: Date }): Promise<{ created: string[]; dropped: string[] }> {
  const now = opts.now ?? new Date();
  const today = startOfDay(now);
  const cutoff = addDays(today, -opts.retentionDays);
  const created: string[] = [];
  const dropped: string[] = [];
  await db.transaction(async (tx) => {
    const locked = await tx.execute<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCK_ID}) as ok`);
    if (!locked.rows[0]?.ok) return; // another collectors process is doing it
    for (const table of partitionedTables) {
      const children = await tx.execute<{ name: string }>(sql`
        select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
        where p.relname = ${table} and p.relnamespace = 'public'::regnamespace`);
      const have = new Set(children.rows.map((r) => r.name));
      const def = sql.identifier(`${table}_default`);
      for (let d = -1; d <= (opts.aheadDays ?? 2); d++) {
        const from = addDays(today, d);
        if (from < cutoff) continue;
        const to = addDays(from, 1);
        const name = dayName(table, from);
        if (have.has(name)) continue;
        const part = sql.identifier(name);
        await tx.execute(sql`create table ${part} (like ${sql.identifier(table)} including defaults)`);
        await tx.execute(sql`insert into ${part} select * from ${def} where start_time >= ${from} and start_time < ${to}`);
        await tx.execute(sql`delete from ${def} where start_time >= ${from} and start_time < ${to}`);
        await tx.execute(sql`alter table ${sql.identifier(table)} attach partition ${part} for values from (${sql.raw(`'${from.toISOString()}'`)}) to (${sql.raw(`'${to.toISOString()}'`)})`);
        created.push(name);
      }
      for (const name of have) {
        const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
        if (!m) continue;
        const end = addDays(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))), 1);
        if (end <= cutoff) {
          await tx.execute(sql`drop table ${sql.identifier(name)}`);
          dropped.push(name);
        }
      }
      await tx.execute(sql`delete from ${def} where start_time < ${cutoff}`);
    }
  });
  return { created, dropped };
}
