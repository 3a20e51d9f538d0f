import { eq } from "drizzle-orm";
import type { Actor } from "../../lib/audit";
import { NotFoundError, ValidationError } from "../../lib/errors";
import { editDiff, reservedHeaders } from "../../lib/replay/edit";
import type { Db } from "../client";
import { deadLetters } from "../schema";
import { createReplay } from "./create-replay";

export interface EditAndReplayInput {
  id: number;
  payload: Buffer | null;
  headers: Record<string, unknown> | null;
  destination?: string;
  ratePerSecond: number;
  force: boolean;
  maxAttempts: number;
  reason: string | null;
}

/**
 * Replays one dead letter with an edited payload and/or application headers. The dead letter stays as captured; the
 * replay's item holds the edit, and the audit entry (written in the replay's transaction) holds the diff. Reserved
 * headers are refused (400) naming each.
 */
export async function editAndReplay(db: Db, input: EditAndReplayInput, actor: Actor) {
  if (input.headers) {
    const bad = reservedHeaders(input.headers);
    if (bad.length) throw new ValidationError(`headers ${bad.map((b) => b.name).join(", ")} cannot be set by an edit: ${bad[0]!.why}`, { reserved: bad });
  }
  const [dl] = await db.select({ payload: deadLetters.payload, headers: deadLetters.headers }).from(deadLetters).where(eq(deadLetters.id, input.id));
  if (!dl) throw new NotFoundError(`no dead letter ${input.id}`);
  const diff = editDiff({ payload: dl.payload, headers: dl.headers }, { payload: input.payload, headers: input.headers });
  return createReplay(
    db,
    { selection: { ids: [input.id] }, destination: input.destination ?? null, ratePerSecond: input.ratePerSecond, force: input.force, dryRun: false, maxAttempts: input.maxAttempts, edit: { payload: input.payload, headers: input.headers, diff, reason: input.reason } },
    actor,
  );
}
