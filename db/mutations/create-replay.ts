import { eq, sql } from "drizzle-orm";
import type { Actor } from "../../lib/audit";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import { ConflictError, NotFoundError, ValidationError } from "../../lib/errors";
import { typedDestinationProblem } from "../../lib/replay/message";
import { skipReasonText } from "../../lib/replay/plan";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";
import { auditSelection, lockStatusChanges, type Tx } from "../queries/dead-letter-status";
import { planOf, planReplay, replayCandidates, type PlanOptions, type PlanRow, type ReplayPlan } from "../queries/replay-plan";
import { parentSpanOf, replaySpanId, replayTraceId } from "../queries/replay-run";
import { replays } from "../schema";
import { replayChannel } from "../queries/replay-control";

export interface CreateReplayInput {
  selection: DeadLetterSelection;
  destination?: string | null;
  ratePerSecond: number;
  force: boolean;
  dryRun: boolean;
  /** REPLAY_MAX_ATTEMPTS */
  maxAttempts: number;
  /** Kafka: each record to the partition it was read from */
  keepPartition?: boolean;
  /** only dead letters up to this id (a dry run's plan.throughId) */
  throughId?: number;
  /** edit and replay (one dead letter): what is sent instead of its payload and headers, and the diff for the audit entry */
  edit?: { payload: Buffer | null; headers: Record<string, unknown> | null; diff: Record<string, unknown>; reason: string | null };
}


/**
 * Plans a replay and, unless it is a dry run, makes it: one transaction writes the replay, an item per dead letter of
 * the selection (pending, or skipped with its reason) and marks the pending ones' dead letters replaying (so no other
 * replay or discard takes them), all in one statement in Postgres (makeItems), writes the audit entry, and notifies
 * the collectors. A dry run is recorded too (status done, no items), so its plan has an id and an audit entry.
 */
export async function createReplay(db: Db, input: CreateReplayInput, actor: Actor): Promise<{ id: number; status: "pending" | "done"; plan: ReplayPlan }> {
  const opts = { destination: input.destination ?? null, force: input.force, maxAttempts: input.maxAttempts, throughId: input.throughId ?? null, editedPayload: input.edit?.payload != null };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(replays)
      .values({
        requestedBy: actor.user,
        status: input.dryRun ? "done" : "pending",
        dryRun: input.dryRun,
        filter: auditSelection(input.selection) as Record<string, unknown>,
        target: input.destination || input.keepPartition ? { ...(input.destination ? { destination: input.destination } : {}), ...(input.keepPartition ? { keepPartition: true } : {}) } : null,
        force: input.force,
        ratePerSecond: input.ratePerSecond,
        finishedAt: input.dryRun ? new Date() : null,
      })
      .returning({ id: replays.id });
    const id = row!.id;
    const plan = input.dryRun ? await planReplay(tx, input.selection, opts) : await makeItems(tx, id, input.selection, opts);
    if (plan.total === 0 && input.selection.ids) throw new NotFoundError("none of these ids is a dead letter");
    const sendable = plan.byDestination.reduce((a, d) => a + d.count, 0);
    if (input.destination) {
      const problem = typedDestinationProblem(input.destination, new Set(plan.byDestination.map((d) => d.system)));
      if (problem) throw new ValidationError(`destination: ${problem}`, { field: "destination" });
    }
    await tx.update(replays).set({ plan: plan as unknown as Record<string, unknown>, total: plan.total, skipped: plan.total - sendable }).where(eq(replays.id, id));
    if (!input.dryRun) {
      if (input.edit) {
        const upd = await tx.execute(sql`
          update replay_items set edited_payload = ${input.edit.payload}, edited_headers = ${input.edit.headers === null ? null : JSON.stringify(input.edit.headers)}::jsonb
          where replay_id = ${id} and status = 'pending' returning id`);
        if (upd.rows.length === 0) throw new ConflictError(`this dead letter cannot be replayed now: ${plan.skipped.map((x) => skipReasonText[x.reason]).join(", ") || "nothing to send"}`, { skipped: plan.skipped });
      }
      await tx.execute(sql`select pg_notify(${replayChannel}, ${String(id)})`);
    }
    await recordAudit(tx, {
      actor,
      action: input.edit ? "replays.edit_and_replay" : input.dryRun ? "replays.plan" : "replays.create",
      targetType: "replay",
      targetId: String(id),
      outcome: "ok",
      details: {
        selection: auditSelection(input.selection),
        destination: input.destination ?? null,
        ratePerSecond: input.ratePerSecond,
        force: input.force,
        total: plan.total,
        sendable,
        skipped: plan.skipped,
        ...(input.keepPartition ? { keepPartition: true } : {}),
        ...(input.edit ? { edit: input.edit.diff, reason: input.edit.reason } : {}),
      },
    });
    return { id, status: input.dryRun ? ("done" as const) : ("pending" as const), plan };
  });
}

/**
 * The items of a real replay, in one statement over the selection: its sendable dead letters are taken (marked
 * `replaying`; a row another replay or a discard holds is waited for and, changed meanwhile, skipped as in another
 * replay), an item is written per dead letter (pending with the span the replay will write for it, or skipped with
 * its reason), and the plan is counted from the same rows, so the plan is what the items are. Dead-letter status
 * changes by operators take one lock (statusChangeLock), so two of them never wait on each other's rows.
 */
async function makeItems(tx: Tx, id: number, selection: DeadLetterSelection, opts: PlanOptions): Promise<ReplayPlan> {
  await lockStatusChanges(tx);
  const r = await tx.execute<PlanRow>(sql`
    with c as materialized (${replayCandidates(selection, opts)}),
    took as (
      update dead_letters d set status = 'replaying'
      from c where c.reason is null and d.id = c.id and d.status = c.status
      returning d.id),
    p as (
      select c.id, c.system, c.destination, c.status, c.trace_id, c.traceparent, case when c.reason is null and t.id is null then 'in_another_replay' else c.reason end as reason
      from c left join took t on t.id = c.id),
    ins as (
      insert into replay_items (replay_id, dead_letter_id, status, skip_reason, destination, prior_status, trace_id, span_id, parent_span_id)
      select ${id}, p.id, case when p.reason is null then 'pending' else 'skipped' end, p.reason, p.destination, p.status,
        x.trace_id, case when p.reason is null then ${replaySpanId(sql`p.id`)} end, ${parentSpanOf(sql`p.traceparent`, sql`x.trace_id`)}
      from p cross join lateral (select case when p.reason is null then ${replayTraceId(sql`p.trace_id`, sql`p.id`)} end as trace_id) x)
    select reason, system, destination, count(*)::int as n, max(id)::text as top from p group by 1, 2, 3`);
  return planOf(r.rows);
}
