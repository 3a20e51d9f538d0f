import { sql } from "drizzle-orm";
import type { Db } from "../client";

/** Dead letters captured in the last `minutes`, per source (the list's capture-time index). */
export async function recentDeadLetterSources(db: Db, minutes: number): Promise<{ system: string; sourceName: string; vhost: string | null; source: string; count: number }[]> {
  const r = await db.execute<{ system: string; source_name: string; vhost: string | null; source: string; n: string }>(sql`
    select system, source_name, vhost, source, count(*)::text as n from dead_letters
    where captured_at > now() - make_interval(mins => ${minutes}) and replay_id is null
    group by 1, 2, 3, 4 order by count(*) desc limit 50`);
  return r.rows.map((x) => ({ system: x.system, sourceName: x.source_name, vhost: x.vhost, source: x.source, count: Number(x.n) }));
}

/** Stuck workflows by name (those active in the last day). */
export async function stuckWorkflowsByName(db: Db): Promise<{ name: string; count: number }[]> {
  const r = await db.execute<{ name: string; n: string }>(sql`
    select name, count(*)::text as n from workflows where stuck and last_activity_at > now() - interval '1 day' group by 1 order by count(*) desc limit 20`);
  return r.rows.map((x) => ({ name: x.name, count: Number(x.n) }));
}
