import { sql, type SQL } from "drizzle-orm";
import type { ReplayItemStatus, ReplayStatus } from "../../lib/replay-states";
import type { SkipReason } from "../../lib/replay/plan";
import type { Db } from "../client";
import type { ReplayPlan } from "./replay-plan";

/** A replay with its progress, counted from its items (the items are the truth; the replay row only its state). */
export interface ReplaySummary {
  id: number;
  status: ReplayStatus;
  dryRun: boolean;
  total: number;
  sent: number;
  confirmed: number;
  processed: number;
  failedAgain: number;
  skipped: number;
  uncertain: number;
  cancelled: number;
  remaining: number;
  notObserved: number;
  ratePerSecond: number;
  force: boolean;
  destination: string | null;
  selection: Record<string, unknown>;
  plan: ReplayPlan;
  requestedBy: string;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

type Row = {
  id: string;
  status: ReplayStatus;
  dry_run: boolean;
  total: number;
  plan_skipped: number;
  rate_per_second: number;
  force: boolean;
  target: { destination?: string } | null;
  filter: Record<string, unknown>;
  plan: ReplayPlan;
  requested_by: string;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
  sent: number | null;
  confirmed: number | null;
  processed: number | null;
  failed_again: number | null;
  skipped: number | null;
  uncertain: number | null;
  cancelled: number | null;
  remaining: number | null;
  not_observed: number | null;
};

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function summary(r: Row): ReplaySummary {
  const plan: ReplayPlan = { total: r.plan?.total ?? 0, byDestination: r.plan?.byDestination ?? [], skipped: r.plan?.skipped ?? [], throughId: r.plan?.throughId ?? null };
  return {
    id: Number(r.id),
    status: r.status,
    dryRun: r.dry_run,
    total: r.total,
    sent: r.sent ?? 0,
    confirmed: r.confirmed ?? 0,
    processed: r.processed ?? 0,
    failedAgain: r.failed_again ?? 0,
    // a dry run has no items: what it would skip is its plan's
    skipped: r.dry_run ? r.plan_skipped : (r.skipped ?? 0),
    uncertain: r.uncertain ?? 0,
    cancelled: r.cancelled ?? 0,
    remaining: r.remaining ?? 0,
    notObserved: r.not_observed ?? 0,
    ratePerSecond: r.rate_per_second,
    force: r.force,
    destination: typeof r.target?.destination === "string" ? r.target.destination : null,
    selection: r.filter ?? {},
    plan,
    requestedBy: r.requested_by,
    requestedAt: iso(r.requested_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    error: r.error,
  };
}

/**
 * An item's status as shown: one still pending in a batch the collectors are sending (replay_batches) is sending.
 */
function statusIs(status: ReplayItemStatus | undefined): SQL {
  if (!status) return sql``;
  const inBatch = sql`i.id in (select id from open)`;
  if (status === "sending") return sql`and (i.status = 'sending' or (i.status = 'pending' and ${inBatch}))`;
  if (status === "pending") return sql`and i.status = 'pending' and not ${inBatch}`;
  return sql`and i.status = ${status}`;
}

const progress = sql`
  left join lateral (
    select
      (count(*) filter (where i.sent_at is not null and i.status not in ('skipped', 'cancelled')))::int as sent,
      (count(*) filter (where i.confirmed_at is not null))::int as confirmed,
      (count(*) filter (where i.status = 'processed'))::int as processed,
      (count(*) filter (where i.status = 'failed_again'))::int as failed_again,
      (count(*) filter (where i.status = 'skipped'))::int as skipped,
      (count(*) filter (where i.resent))::int as uncertain,
      (count(*) filter (where i.status = 'cancelled'))::int as cancelled,
      (count(*) filter (where i.status in ('pending', 'sending')))::int as remaining,
      (count(*) filter (where i.status in ('confirmed', 'uncertain')))::int as not_observed
    from replay_items i where i.replay_id = r.id) p on true`;

const columns = sql`r.id::text as id, r.status, r.dry_run, r.total, r.skipped as plan_skipped, r.rate_per_second, r.force, r.target, r.filter, r.plan,
  r.requested_by, r.requested_at, r.started_at, r.finished_at, r.error, p.*`;

export async function getReplay(db: Pick<Db, "execute">, id: number): Promise<ReplaySummary | null> {
  const r = await db.execute<Row>(sql`select ${columns} from replays r ${progress} where r.id = ${id}`);
  return r.rows[0] ? summary(r.rows[0]) : null;
}

/** Replays newest first, `limit` a page, after the cursor (the last id of the previous page). */
export async function listReplays(db: Db, q: { status?: ReplayStatus; dryRuns?: boolean; cursor?: string; limit: number }): Promise<{ items: ReplaySummary[]; nextCursor: string | null }> {
  const r = await db.execute<Row>(sql`
    select ${columns} from (select * from replays
      where true
      ${q.status ? sql`and status = ${q.status}` : sql``}
      ${q.dryRuns ? sql`` : sql`and not dry_run`}
      ${q.cursor ? sql`and id < ${Number(q.cursor)}` : sql``}
      order by id desc limit ${q.limit + 1}) r ${progress}
    order by r.id desc`);
  const rows = r.rows.slice(0, q.limit);
  return { items: rows.map(summary), nextCursor: r.rows.length > q.limit ? rows.at(-1)!.id : null };
}

export interface ReplayItemView {
  id: number;
  deadLetterId: number;
  status: ReplayItemStatus;
  skipReason: SkipReason | null;
  destination: string | null;
  sentAt: string | null;
  confirmedAt: string | null;
  settledAt: string | null;
  resent: boolean;
  edited: boolean;
  traceId: string | null;
  spanId: string | null;
  error: string | null;
  failedAgainAs: number | null;
}

export async function listReplayItems(
  db: Db,
  replayId: number,
  q: { status?: ReplayItemStatus; cursor?: string; limit: number },
): Promise<{ items: ReplayItemView[]; nextCursor: string | null } | null> {
  const exists = await db.execute(sql`select 1 from replays where id = ${replayId}`);
  if (exists.rows.length === 0) return null;
  const r = await db.execute<{
    id: string;
    dead_letter_id: string;
    status: ReplayItemStatus;
    skip_reason: SkipReason | null;
    destination: string | null;
    sent_at: Date | null;
    confirmed_at: Date | null;
    settled_at: Date | null;
    resent: boolean;
    edited: boolean;
    trace_id: string | null;
    span_id: string | null;
    error: string | null;
    again: string | null;
  }>(sql`
    with open as (select unnest(b.item_ids) as id from replay_batches b where b.replay_id = ${replayId})
    select i.id::text as id, i.dead_letter_id::text as dead_letter_id,
      case when i.status = 'pending' and i.id in (select id from open) then 'sending' else i.status end as status,
      i.skip_reason, i.destination, i.sent_at, i.confirmed_at, i.settled_at,
      i.resent, (i.edited_payload is not null or i.edited_headers is not null) as edited, i.trace_id, i.span_id, i.error,
      i.returned_as::text as again
    from replay_items i
    where i.replay_id = ${replayId}
      ${statusIs(q.status)}
      ${q.cursor ? sql`and i.id > ${Number(q.cursor)}` : sql``}
    order by i.id limit ${q.limit + 1}`);
  const rows = r.rows.slice(0, q.limit);
  return {
    items: rows.map((i) => ({
      id: Number(i.id),
      deadLetterId: Number(i.dead_letter_id),
      status: i.status,
      skipReason: i.skip_reason,
      destination: i.destination,
      sentAt: iso(i.sent_at),
      confirmedAt: iso(i.confirmed_at),
      settledAt: iso(i.settled_at),
      resent: i.resent,
      edited: i.edited,
      traceId: i.trace_id,
      spanId: i.span_id,
      error: i.error,
      failedAgainAs: i.again === null ? null : Number(i.again),
    })),
    nextCursor: r.rows.length > q.limit ? rows.at(-1)!.id : null,
  };
}
