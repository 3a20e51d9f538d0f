import { sql } from "drizzle-orm";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import { skipReasons, type SkipReason } from "../../lib/replay/plan";
import { replayCountHeader } from "../../lib/replay/headers";
import type { Db } from "../client";
import type { DeadLetterSystem } from "../../lib/dead-letters";
import { deadLetters } from "../schema";
import { selectionWhere } from "./dead-letter-selection";
import { traceparentOf } from "./replay-run";

export interface ReplayPlan {
  total: number;
  /** where the sendable ones go, per system and destination */
  byDestination: { system: DeadLetterSystem; destination: string; count: number }[];
  skipped: { reason: SkipReason; count: number }[];
  /** the highest dead letter id in the plan (null for an empty one) */
  throughId: number | null;
}

/**
 * The plan of a replay, computed in Postgres (a plan over 100,000 dead letters never comes into memory): how many go
 * where, and how many are skipped for which reason. The CASE is lib/replay/plan.ts skipReasonOf, rule for rule (the
 * integration test holds them equal). A destination typed by the operator replaces each dead letter's own.
 */
export interface PlanOptions {
  destination?: string | null;
  force: boolean;
  maxAttempts: number;
  /** an edit brings its own payload: a payload cut at capture does not matter */
  editedPayload?: boolean;
  /** only dead letters up to this id: what a dry run counted (ones captured since are left out) */
  throughId?: number | null;
}

/**
 * Each dead letter of the selection with where it would go and why it would be skipped (null: it is sent), as a
 * query to select from. The CASE is lib/replay/plan.ts skipReasonOf, rule for rule (the integration test holds them
 * equal). A destination typed by the operator replaces each dead letter's own.
 */
export function replayCandidates(selection: DeadLetterSelection, opts: PlanOptions) {
  const typed = opts.destination ?? null;
  const own = sql`case ${deadLetters.system}
      when 'kafka' then nullif(regexp_replace(${deadLetters.originalDestination}, '\\[\\d+\\]@\\d+$', ''), '')
      else case when ${deadLetters.originalRoutingKey} is null then null
        else coalesce(nullif(${deadLetters.originalExchange}, ''), '(default exchange)') || ' / ' || ${deadLetters.originalRoutingKey} end
    end`;
  // a length and '^[0-9]+$', not '^[0-9]{1,6}$': Postgres's regular expressions are slow with a counted repetition
  const count = sql`case when length(${deadLetters.headers} ->> ${replayCountHeader}) <= 6 and (${deadLetters.headers} ->> ${replayCountHeader}) ~ '^[0-9]+$' then (${deadLetters.headers} ->> ${replayCountHeader})::int else 0 end`;
  return sql`
    select id, system, status, destination, trace_id, traceparent, case
        when status = 'discarded' then 'discarded'
        when status = 'replaying' then 'in_another_replay'
        when returned then 'came_back'
        when truncated then 'payload_truncated'
        when destination is null then 'no_destination'
        when not ${opts.force} and status = 'replayed' then 'already_replayed'
        when not ${opts.force} and replay_count >= ${opts.maxAttempts} then 'over_loop_limit'
      end as reason
    from (
      select ${deadLetters.id} as id, ${deadLetters.system} as system, ${deadLetters.status} as status, ${deadLetters.traceId} as trace_id, ${traceparentOf(sql`${deadLetters.headers}`)} as traceparent, ${opts.editedPayload ? sql`false` : deadLetters.payloadTruncated} as truncated,
        ${deadLetters.returnedAs} is not null as returned,
        coalesce(${typed}::text, ${own}) as destination, ${count} as replay_count
      from ${deadLetters} where ${selectionWhere(selection)} ${opts.throughId ? sql`and ${deadLetters.id} <= ${opts.throughId}` : sql``}) c`;
}

/**
 * The plan of a replay, computed in Postgres (a plan over 100,000 dead letters never comes into memory): how many go
 * where, and how many are skipped for which reason.
 */
export async function planReplay(db: Pick<Db, "execute">, selection: DeadLetterSelection, opts: PlanOptions): Promise<ReplayPlan> {
  const r = await db.execute<PlanRow>(sql`
    select reason, system, destination, count(*)::int as n, max(id)::text as top from (${replayCandidates(selection, opts)}) p group by 1, 2, 3`);
  return planOf(r.rows);
}

/** One row of a plan: how many dead letters of a system go to a destination, or are skipped for a reason. */
export type PlanRow = { reason: string | null; system: DeadLetterSystem; destination: string | null; n: number; top: string };

/** The plan from its rows (grouped by reason, system and destination). */
export function planOf(rows: PlanRow[]): ReplayPlan {
  const plan: ReplayPlan = { total: 0, byDestination: [], skipped: [], throughId: null };
  for (const row of rows) plan.throughId = Math.max(plan.throughId ?? 0, Number(row.top));
  const skipped = new Map<SkipReason, number>();
  for (const row of rows) {
    plan.total += row.n;
    if (row.reason === null) plan.byDestination.push({ system: row.system, destination: row.destination!, count: row.n });
    else skipped.set(row.reason as SkipReason, (skipped.get(row.reason as SkipReason) ?? 0) + row.n);
  }
  plan.byDestination.sort((a, b) => b.count - a.count || a.destination.localeCompare(b.destination));
  plan.skipped = skipReasons.filter((x) => skipped.has(x)).map((reason) => ({ reason, count: skipped.get(reason)! }));
  return plan;
}
