import "server-only";
import { failureGroupTrends, getDeadLetter, listDeadLetterPage, listFailureGroups } from "@/db/queries/dead-letters";
import type { z } from "zod";
import type * as api from "@/lib/api/contracts/dead-letters";
import type { DeadLetterListQuery, FailureGroupQuery, deadLetterDetailSchema, deadLetterListSchema, deadLetterSystems } from "@/lib/api/contracts/dead-letters";
import { deadLetterStatuses, payloadView, type DeadLetterStatus } from "@/lib/dead-letters";
import { destinationOf, trendOf, trendWindow } from "@/lib/failure-groups";
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
  const { payload, messageKey, dedupKey: _dedup, capturePending: _pending, payloadSize, payloadTruncated, failureType: _type, failureMessage: _message, ...rest } = r;
  return {
    ...rest,
    statusChangedAt: r.statusChangedAt?.toISOString() ?? null,
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

/** Failure groups of the dead letters a filter keeps, largest first, each with its 24-hour trend. */
export async function listFailureGroupItems(q: FailureGroupQuery): Promise<z.input<typeof api.listFailureGroups.response>> {
  const { db } = serverContext();
  const { broker, ...filter } = q;
  const rows = await listFailureGroups(db.db, { ...filter, ...(broker ? { sourceName: broker } : {}) });
  const now = Date.now();
  const from = new Date(Math.floor(now / trendWindow.stepMs) * trendWindow.stepMs - (trendWindow.buckets - 1) * trendWindow.stepMs);
  const trends = await failureGroupTrends(db.db, rows.map((r) => r.id), from, trendWindow.stepMs);
  return {
    trendFrom: from.toISOString(),
    items: rows.map((r) => ({
      id: r.id,
      // the column holds only lib's systems (capture writes them)
      system: r.system as System,
      // the group's destination is the topic: Kafka's rows note the record's partition and offset with it
      originalDestination: destinationOf(r.originalDestination),
      sources: r.sources ?? [],
      reason: r.reason,
      errorType: r.errorType,
      message: r.message,
      example: r.example,
      count: r.count,
      firstSeen: r.firstSeen,
      lastSeen: r.lastSeen,
      statusCounts: Object.fromEntries(deadLetterStatuses.map((s) => [s, r[s]])) as Record<(typeof deadLetterStatuses)[number], number>,
      trend: trendOf(trends.filter((t) => t.g === r.id)),
    })),
  };
}
