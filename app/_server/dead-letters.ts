import "server-only";
import { z } from "zod";
import { getDeadLetter, listDeadLetters } from "@/db/queries/dead-letters";
import { deadLetterStatuses, payloadView } from "@/lib/dead-letters";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { serverContext } from "./context";

export const deadLetterListQuery = z.object({
  system: z.enum(["kafka", "rabbitmq"]).optional(),
  source: z.string().max(500).optional(),
  reason: z.string().max(100).optional(),
  status: z.enum(deadLetterStatuses).optional(),
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, "must be 32 hex digits")
    .transform((s) => s.toLowerCase())
    .optional(),
  q: z.string().max(500).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

function decodeCursor(c: string | undefined): number | undefined {
  if (!c) return undefined;
  const n = Number(Buffer.from(c, "base64url").toString("utf8"));
  if (!Number.isSafeInteger(n) || n <= 0) throw new ValidationError("cursor: not a cursor this API gave out");
  return n;
}

export async function listDeadLetterItems(q: z.infer<typeof deadLetterListQuery>) {
  const { db } = serverContext();
  const rows = await listDeadLetters(db.db, { ...q, before: decodeCursor(q.cursor), limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const next = rows.length > q.limit ? Buffer.from(String(page[page.length - 1]!.id)).toString("base64url") : null;
  return {
    items: page.map((r) => ({
      ...r,
      firstDeadAt: r.firstDeadAt?.toISOString() ?? null,
      lastDeadAt: r.lastDeadAt?.toISOString() ?? null,
      capturedAt: r.capturedAt.toISOString(),
    })),
    nextCursor: next,
  };
}

export const idParam = z.coerce.number().int().positive();

export async function getDeadLetterItem(id: number) {
  const { db } = serverContext();
  const r = await getDeadLetter(db.db, id);
  if (!r) throw new NotFoundError(`no dead letter ${id}`);
  const { payload, messageKey, dedupKey: _dedup, payloadSize, payloadTruncated, ...rest } = r;
  return {
    ...rest,
    sizeBytes: payloadSize,
    firstDeadAt: r.firstDeadAt?.toISOString() ?? null,
    lastDeadAt: r.lastDeadAt?.toISOString() ?? null,
    capturedAt: r.capturedAt.toISOString(),
    key: messageKey ? payloadView(messageKey) : null,
    payload: { ...payloadView(payload), truncated: payloadTruncated, storedBytes: payload.length, sizeBytes: payloadSize },
  };
}

export type DeadLetterList = Awaited<ReturnType<typeof listDeadLetterItems>>;
export type DeadLetterDetail = Awaited<ReturnType<typeof getDeadLetterItem>>;
