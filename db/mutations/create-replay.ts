import { sql } from "drizzle-orm";
import type { Actor } from "../../lib/audit";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import { ConflictError, NotFoundError, ValidationError } from "../../lib/errors";
import { typedDestinationProblem } from "../../lib/replay/message";
import { skipReasonText } from "../../lib/replay/plan";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";
import { auditSelection } from "../queries/dead-letter-status";
import { planReplay, replayCandidates, type ReplayPlan } from "../queries/replay-plan";
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
 * the selection (pending, or skipped with its reason) by INSERT … SELECT in Postgres, marks the pending ones'
 * dead letters replaying (so no other replay or discard takes them), writes the audit entry, and notifies the
 * collectors. A dry run is recorded too (status done, no items), so its plan has an id and an audit entry.
 */
export async function createReplay(db: Db, input: CreateReplayInput, actor: Actor): Promise<{ id: number; status: "pending" | "done"; plan: ReplayPlan }> {
  const opts = { destination: input.destination ?? null, force: input.force, maxAttempts: input.maxAttempts, throughId: input.throughId ?? null, editedPayload: input.edit?.payload != null };
  return db.transaction(async (tx) => {
    // a real replay locks the selection's rows first, so a concurrent replay or discard waits and the plan below is
    // what the items will be (read committed: after the wait, a row another replay took reads as replaying)
    if (!input.dryRun) await tx.execute(sql`select 1 from dead_letters where id in (select id from (${replayCandidates(input.selection, opts)}) c) order by id for update`);
    const plan = await planReplay(tx, input.selection, opts);
    if (plan.total === 0 && input.selection.ids) throw new NotFoundError("none of these ids is a dead letter");
    const sendable = plan.byDestination.reduce((a, d) => a + d.count, 0);
    if (input.destination) {
      const problem = typedDestinationProblem(input.destination, new Set(plan.byDestination.map((d) => d.system)));
      if (problem) throw new ValidationError(`destination: ${problem}`, { field: "destination" });
    }
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
        plan: plan as unknown as Record<string, unknown>,
        total: plan.total,
        skipped: plan.total - sendable,
        finishedAt: input.dryRun ? new Date() : null,
      })
      .returning({ id: replays.id });
    const id = row!.id;
    if (!input.dryRun) {
      await tx.execute(sql`
        insert into replay_items (replay_id, dead_letter_id, status, skip_reason, destination, prior_status)
        select ${id}, id, case when reason is null then 'pending' else 'skipped' end, reason, destination, status
        from (${replayCandidates(input.selection, opts)}) c`);
      if (input.edit) {
        const upd = await tx.execute(sql`
          update replay_items set edited_payload = ${input.edit.payload}, edited_headers = ${input.edit.headers === null ? null : JSON.stringify(input.edit.headers)}::jsonb
          where replay_id = ${id} and status = 'pending' returning id`);
        if (upd.rows.length === 0) throw new ConflictError(`this dead letter cannot be replayed now: ${plan.skipped.map((x) => skipReasonText[x.reason]).join(", ") || "nothing to send"}`, { skipped: plan.skipped });
      }
      await tx.execute(sql`update dead_letters set status = 'replaying' where id in (select dead_letter_id from replay_items where replay_id = ${id} and status = 'pending')`);
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
