import type { Actor } from "../../lib/audit";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";

/** Sign out: the cookie is cleared by the caller; the sign-out of a known session is recorded. */
export async function signOut(db: Db, actor: Actor | null): Promise<void> {
  if (!actor) return;
  await db.transaction(async (tx) => {
    await recordAudit(tx, { actor, action: "session.sign_out", targetType: "session", targetId: actor.user, outcome: "ok" });
  });
}
