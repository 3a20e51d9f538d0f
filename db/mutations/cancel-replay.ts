import type { Actor } from "../../lib/audit";
import type { Db } from "../client";
import { changeReplayStatus } from "../queries/replay-control";
import type { ReplaySummary } from "../queries/replays";

/** Cancels a replay (see changeReplayStatus): one transaction with its audit entry; 409 when the replay's status forbids it. */
export function cancelReplay(db: Db, id: number, actor: Actor): Promise<ReplaySummary> {
  return changeReplayStatus(db, id, "cancel", actor);
}
