import "server-only";
import type { z } from "zod";
import { deadLettersOfTrace, linkedTraceIds, searchTraces, spansOfTraces, traceExists, traceSpans } from "@/db/queries/traces";
import { stitchLimits, type traceDetail, type traceSearchResponse } from "@/lib/api/contracts/traces";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { decodeTraceCursor, encodeTraceCursor, type TraceSearchQuery } from "@/lib/traces/search-query";
import { spanLabel } from "@/lib/traces/waterfall";
import { serverContext } from "./context";

export { traceIdParam } from "@/lib/traces/search-query";

const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

export async function searchTraceSummaries(q: TraceSearchQuery): Promise<z.input<typeof traceSearchResponse>> {
  const { db } = serverContext();
  const to = q.to ? new Date(q.to) : new Date(Date.now() + 60_000);
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 3600_000);
  if (from >= to) throw new ValidationError("from must be before to");
  const page = await searchTraces(db.db, {
    from,
    to,
    service: q.service,
    operation: q.operation,
    errorsOnly: q.status === "error",
    minDurationMs: q.minDurationMs,
    maxDurationMs: q.maxDurationMs,
    attrs: q.attr,
    destination: q.destination,
    messageId: q.messageId,
    messageKey: q.messageKey,
    hasDeadLetters: q.hasDeadLetters,
    after: decodeTraceCursor(q.cursor),
    limit: q.limit,
  });
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    items: page.rows.map((r) => ({
      traceId: r.traceId,
      rootService: r.rootService,
      rootName: spanLabel({ kind: r.rootKind, name: r.rootName, service: r.rootService, attributes: r.rootAttributes }),
      rootIsTrueRoot: r.rootIsTrueRoot,
      startTime: iso(r.startUnixNano),
      durationMs: r.durationMs,
      spanCount: r.spanCount,
      errorCount: r.errorCount,
      deadLetterCount: r.deadLetterCount,
      services: r.services,
    })),
    nextCursor: page.next ? encodeTraceCursor(page.next) : null,
    partial: page.budgetReached,
    scannedBackTo: page.scannedBackTo ? new Date(Date.parse(page.scannedBackTo)).toISOString() : null,
  };
}

/** Whether the trace has any stored span. */
export async function traceIsKnown(traceId: string): Promise<boolean> {
  return traceExists(serverContext().db.db, traceId);
}

/**
 * One trace: its spans, the traces linked to it either way, and the dead letters that carry its id; with `stitch`,
 * the spans of the linked traces too (bounded by `stitchLimits`), so the page draws one timeline from one request.
 */
export async function getTrace(traceId: string, opts: { stitch?: boolean } = {}): Promise<z.input<typeof traceDetail>> {
  const { db } = serverContext();
  const spans = await traceSpans(db.db, traceId);
  if (spans.length === 0) throw new NotFoundError(`no trace ${traceId}`);
  const [linked, dead] = await Promise.all([linkedTraceIds(db.db, traceId), deadLettersOfTrace(db.db, traceId)]);
  let stitched: z.input<typeof traceDetail>["stitched"] = null;
  if (opts.stitch) {
    const traceIds = linked.slice(0, stitchLimits.traces);
    const found = await spansOfTraces(db.db, traceIds, stitchLimits.spans);
    stitched = { traceIds, spans: found.spans, truncated: found.more || linked.length > traceIds.length };
  }
  return {
    traceId,
    spans,
    linkedTraceIds: linked,
    deadLetters: dead,
    stitched,
  };
}
