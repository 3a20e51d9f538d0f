import { sql } from "drizzle-orm";
import type { Actor } from "../../lib/audit";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import { NotFoundError } from "../../lib/errors";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";
import { auditSelection } from "../queries/dead-letter-status";
import { planReplay, replayCandidates, type ReplayPlan } from "../queries/replay-plan";
import { replays } from "../schema";

export interface CreateReplayInput {
  selection: DeadLetterSelection;
  destination?: string | null;
  ratePerSecond: number;
  force: boolean;
  dryRun: boolean;
  /** REPLAY_MAX_ATTEMPTS */
  maxAttempts: number;
}

/** The channel the collectors LISTEN on: a new replay's id, sent when its transaction commits. */
export const replayChannel = "switchyard_replays";

/**
 * Plans a replay and, unless it is a dry run, makes it: one transaction writes the replay, an item per dead letter of
 * the selection (pending, or skipped with its reason) by INSERT … SELECT in Postgres, marks the pending ones'
 * dead letters replaying (so no other replay or discard takes them), writes the audit entry, and notifies the
 * collectors. A dry run is recorded too (status done, no items), so its plan has an id and an audit entry.
 */
export async function createReplay(db: Db, input: CreateReplayInput, actor: Actor): Promise<{ id: number; status: "pending" | "done"; plan: ReplayPlan }> {
  const opts = { destination: input.destination ?? null, force: input.force, maxAttempts: input.maxAttempts };
  return db.transaction(async (tx) => {
    // a real replay locks the selection's rows first, so a concurrent replay or discard waits and the plan below is
    // what the items will be (read committed: after the wait, a row another replay took reads as replaying)
    if (!input.dryRun) await tx.execute(sql`select 1 from dead_letters where id in (select id from (${replayCandidates(input.selection, opts)}) c) order by id for update`);
    const plan = await planReplay(tx, input.selection, opts);
    if (plan.total === 0 && input.selection.ids) throw new NotFoundError("none of these ids is a dead letter");
    const sendable = plan.byDestination.reduce((a, d) => a + d.count, 0);
    const [row] = await tx
      .insert(replays)
      .values({
        requestedBy: actor.user,
        status: input.dryRun ? "done" : "pending",
        dryRun: input.dryRun,
        filter: auditSelection(input.selection) as Record<string, unknown>,
        target: input.destination ? { destination: input.destination } : null,
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
        insert into replay_items (replay_id, dead_letter_id, status, skip_reason, destination)
        select ${id}, id, case when reason is null then 'pending' else 'skipped' end, reason, destination
        from (${replayCandidates(input.selection, opts)}) c`);
      await tx.execute(sql`update dead_letters set status = 'replaying' where id in (select dead_letter_id from replay_items where replay_id = ${id} and status = 'pending')`);
      await tx.execute(sql`select pg_notify(${replayChannel}, ${String(id)})`);
    }
    await recordAudit(tx, {
      actor,
      action: input.dryRun ? "replays.plan" : "replays.create",
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
      },
    });
    return { id, status: input.dryRun ? ("done" as const) : ("pending" as const), plan };
  });
}
