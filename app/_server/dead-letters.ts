import "server-only";
import { getDeadLetter, listDeadLetterPage } from "@/db/queries/dead-letters";
import type { z } from "zod";
import type { DeadLetterListQuery, deadLetterDetailSchema, deadLetterListSchema, deadLetterSystems } from "@/lib/api/contracts/dead-letters";
import { payloadView, type DeadLetterStatus } from "@/lib/dead-letters";
import { NotFoundError } from "@/lib/errors";
import { serverContext } from "./context";

type System = (typeof deadLetterSystems)[number];

export async function listDeadLetterItems(q: DeadLetterListQuery): Promise<z.input<typeof deadLetterListSchema>> {
  const { db } = serverContext();
  const { broker, ...filter } = q;
  const { rows, nextCursor } = await listDeadLetterPage(db.db, { ...filter, ...(broker ? { sourceName: broker } : {}) });
  return {
    items: rows.map(({ positionAt, messageKey, ...r }) => ({
      ...r,
      // as the collectors wrote them; status under the check constraint dead_letters_status_check
      system: r.system as System,
      status: r.status as DeadLetterStatus,
      /** the time the list is ordered by: last death, else first, else capture */
      deadAt: new Date(positionAt).toISOString(),
      firstDeadAt: r.firstDeadAt?.toISOString() ?? null,
      lastDeadAt: r.lastDeadAt?.toISOString() ?? null,
      capturedAt: r.capturedAt.toISOString(),
      /** the Kafka record key: text when it is UTF-8, else only base64 */
      key: messageKey ? keyView(messageKey) : null,
    })),
    nextCursor,
  };
}

/** A message key for a list row: short, text when it is text (rendered as text), base64 otherwise. */
function keyView(key: Buffer) {
  const v = payloadView(key.subarray(0, 256));
  return { text: v.text, base64: v.base64, encoding: v.encoding, truncated: key.length > 256, sizeBytes: key.length };
}

export async function getDeadLetterItem(id: number): Promise<z.input<typeof deadLetterDetailSchema>> {
  const { db } = serverContext();
  const r = await getDeadLetter(db.db, id);
  if (!r) throw new NotFoundError(`no dead letter ${id}`);
  const { payload, messageKey, dedupKey: _dedup, capturePending: _pending, payloadSize, payloadTruncated, ...rest } = r;
  return {
    ...rest,
    system: r.system as System,
    status: r.status as DeadLetterStatus,
    sizeBytes: payloadSize,
    firstDeadAt: r.firstDeadAt?.toISOString() ?? null,
    lastDeadAt: r.lastDeadAt?.toISOString() ?? null,
    capturedAt: r.capturedAt.toISOString(),
    key: messageKey ? payloadView(messageKey) : null,
    payload: { ...payloadView(payload), truncated: payloadTruncated, storedBytes: payload.length, sizeBytes: payloadSize },
  };
}
