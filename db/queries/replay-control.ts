import { sql } from "drizzle-orm";
import type { Actor } from "../../lib/audit";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { replayTransition, type ReplayStatus, type ReplayVerb } from "../../lib/replay-states";
import type { Db } from "../client";
import { recordAudit } from "./audit";
import { stopUnsent } from "./replay-run";
import { getReplay, type ReplaySummary } from "./replays";

/** The channel the collectors LISTEN on: a replay's id, sent when it is made or an operator changes it. */
export const replayChannel = "switchyard_replays";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * An operator's verb on a replay, in one transaction with its audit entry: the replay's row is locked, the verb
 * checked against its status (409 when it does not apply), the status set and the collectors told. Cancel also
 * cancels the items not sent yet and gives their dead letters back the status they had before the replay; the items
 * of a batch the collectors are sending (replay_batches; a claim share-locks the replay's row, so none is half made)
 * are left to the sender, which sends the batch whole and then stops.
 */
export async function changeReplayStatus(db: Db, id: number, verb: ReplayVerb, actor: Actor): Promise<ReplaySummary> {
  return db.transaction(async (tx: Tx) => {
    const r = await tx.execute<{ status: ReplayStatus; dry_run: boolean }>(sql`select status, dry_run from replays where id = ${id} for update`);
    const row = r.rows[0];
    if (!row) throw new NotFoundError(`no replay ${id}`);
    if (row.dry_run) throw new ConflictError(`replay ${id} is a dry run: nothing was sent, so there is nothing to ${verb}`, { status: row.status });
    const next = replayTransition(row.status, verb);
    if (!next) throw new ConflictError(`replay ${id} is ${row.status}: it cannot be ${verb === "cancel" ? "cancelled" : verb + "d"}`, { status: row.status });
    let cancelledItems = 0;
    if (verb === "cancel") {
      const c = await stopUnsent(tx, sql`i.replay_id = ${id} and i.status = 'pending' and i.id not in (select unnest(item_ids) from replay_batches where replay_id = ${id})`);
      cancelledItems = c.cancelled;
      await tx.execute(sql`update replays set status = ${next}, finished_at = now() where id = ${id}`);
    } else {
      await tx.execute(sql`update replays set status = ${next} where id = ${id}`);
    }
    await tx.execute(sql`select pg_notify(${replayChannel}, ${String(id)})`);
    await recordAudit(tx, {
      actor,
      action: `replays.${verb}`,
      targetType: "replay",
      targetId: String(id),
      outcome: "ok",
      details: { from: row.status, to: next, ...(verb === "cancel" ? { cancelledItems } : {}) },
    });
    return (await getReplay(tx, id))!;
  });
}
