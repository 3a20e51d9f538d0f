import "server-only";
import { deadLettersOfTrace, linkedTraceIds, searchTraces, spansOfTraces, traceExists, traceSpans, type SpanRow } from "@/db/queries/traces";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { decodeTraceCursor, encodeTraceCursor, type TraceSearchQuery } from "@/lib/traces/search-query";
import { spanKinds, spanLabel } from "@/lib/traces/waterfall";
import { serverContext } from "./context";

export { traceIdParam } from "@/lib/traces/search-query";

const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

export async function searchTraceSummaries(q: TraceSearchQuery) {
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
      /** the root's label: its HTTP route (`POST /orders`) or messaging hop when it has one, else its span name */
      rootName: spanLabel({ kind: r.rootKind, name: r.rootName, service: r.rootService, attributes: r.rootAttributes }),
      /** false when the trace's root span has not arrived (or was never sent): the earliest span stands in */
      rootIsTrueRoot: r.rootIsTrueRoot,
      startTime: iso(r.startUnixNano),
      durationMs: r.durationMs,
      spanCount: r.spanCount,
      errorCount: r.errorCount,
      deadLetterCount: r.deadLetterCount,
      services: r.services,
    })),
    nextCursor: page.next ? encodeTraceCursor(page.next) : null,
    /** the page stopped at the scan budget: matching traces may lie further back, from `scannedBackTo` on */
    partial: page.budgetReached,
    scannedBackTo: page.scannedBackTo ? new Date(Date.parse(page.scannedBackTo)).toISOString() : null,
  };
}

function spanView(s: SpanRow) {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    service: s.service,
    name: s.name,
    kind: spanKinds[s.kind] ?? String(s.kind),
    kindCode: s.kind,
    startTime: s.startTime.toISOString(),
    startUnixNano: s.startUnixNano.toString(),
    durationMs: s.durationMs,
    status: s.statusCode === 2 ? "ERROR" : s.statusCode === 1 ? "OK" : "UNSET",
    statusMessage: s.statusMessage,
    attributes: s.attributes,
    resourceAttributes: s.resourceAttributes,
    events: s.events,
    links: s.links,
    messaging: s.messagingSystem
      ? {
          system: s.messagingSystem,
          destination: s.messagingDestination,
          operation: s.messagingOperation,
          consumerGroup: s.messagingConsumerGroup,
          messageId: s.messagingMessageId,
          kafkaPartition: s.kafkaPartition,
          kafkaOffset: s.kafkaOffset,
          rabbitmqRoutingKey: s.rabbitmqRoutingKey,
        }
      : null,
  };
}
export type SpanView = ReturnType<typeof spanView>;

/** Whether the trace has any stored span. */
export async function traceIsKnown(traceId: string): Promise<boolean> {
  return traceExists(serverContext().db.db, traceId);
}

/** One trace: its spans, the traces linked to it either way, and the dead letters that carry its id. */
export async function getTrace(traceId: string) {
  const { db } = serverContext();
  const spans = await traceSpans(db.db, traceId);
  if (spans.length === 0) throw new NotFoundError(`no trace ${traceId}`);
  const [linked, dead] = await Promise.all([linkedTraceIds(db.db, traceId), deadLettersOfTrace(db.db, traceId)]);
  return {
    traceId,
    spans: spans.map(spanView),
    linkedTraceIds: linked,
    deadLetters: dead.map((d) => ({ ...d, firstDeadAt: d.firstDeadAt?.toISOString() ?? null })),
  };
}

/** A trace with its linked traces (one hop each way, at most 20), for the stitched timeline. */
export async function getStitchedSpans(traceId: string, linked: string[]) {
  const { db } = serverContext();
  return (await spansOfTraces(db.db, [traceId, ...linked.slice(0, 20)])).map(spanView);
}

export type TraceSearchResult = Awaited<ReturnType<typeof searchTraceSummaries>>;
export type TraceDetail = Awaited<ReturnType<typeof getTrace>>;
