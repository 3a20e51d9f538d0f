import type { Actor } from "../../lib/audit";
import { findToken, tokenFingerprint, type AuthSettings, type SessionData } from "../../lib/auth/identity";
import type { Role } from "../../lib/auth/roles";
import { ConflictError, UnauthenticatedError } from "../../lib/errors";
import type { Db } from "../client";
import { recordAudit } from "../queries/audit";

export interface SignInResult {
  user: string;
  role: Role;
  session: SessionData;
}

/**
 * Sign in with a token (token mode only). A token that is not configured is refused and the refusal recorded; a good
 * one is recorded as the signed-in user. The token itself is never written anywhere: the session keeps a fingerprint.
 */
export async function signIn(db: Db, auth: Pick<AuthSettings, "mode" | "tokens">, token: string, actor: Actor): Promise<SignInResult> {
  const target = { action: "session.sign_in", targetType: "session" } as const;
  if (auth.mode !== "token") {
    const e = new ConflictError(`sign-in is for token mode; this dashboard runs in ${auth.mode} mode`);
    throw e;
  }
  const found = findToken(auth.tokens, token);
  if (!found) {
    await recordAudit(db, { actor, ...target, targetId: null, outcome: "denied", details: { reason: "token not configured" } });
    const e = new UnauthenticatedError("that token is not configured here");
    e.audited = true;
    throw e;
  }
  const session: SessionData = { user: found.user, tokenFp: tokenFingerprint(found.token), signedInAt: Date.now() };
  await db.transaction(async (tx) => {
    await recordAudit(tx, { actor: { ...actor, user: found.user, role: found.role }, ...target, targetId: found.user, outcome: "ok" });
  });
  return { user: found.user, role: found.role, session };
}
