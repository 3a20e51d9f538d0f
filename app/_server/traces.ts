import "server-only";
import { z } from "zod";
import { deadLettersOfTrace, linkedTraceIds, searchTraces, spansOfTraces, traceSpans, type SearchPosition, type SpanRow } from "@/db/queries/traces";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { spanKinds } from "@/lib/traces/waterfall";
import { serverContext } from "./context";

const hexId = (digits: number) =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), `must be ${digits} hex digits`)
    .transform((s) => s.toLowerCase());
export const traceIdParam = hexId(32);

const attrParam = z
  .string()
  .max(500)
  .regex(/^[^=]+=.*$/, "must be key=value")
  .transform((s) => ({ key: s.slice(0, s.indexOf("=")), value: s.slice(s.indexOf("=") + 1) }));

export const traceSearchQuery = z
  .object({
    service: z.string().max(200).optional(),
    operation: z.string().max(500).optional(),
    status: z.enum(["error", "any"]).default("any"),
    minDurationMs: z.coerce.number().min(0).optional(),
    maxDurationMs: z.coerce.number().min(0).optional(),
    attr: z.array(attrParam).max(10).default([]),
    destination: z.string().max(500).optional(),
    messageId: z.string().max(500).optional(),
    messageKey: z.string().max(500).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .refine((q) => q.minDurationMs === undefined || q.maxDurationMs === undefined || q.minDurationMs <= q.maxDurationMs, {
    message: "minDurationMs is above maxDurationMs",
    path: ["minDurationMs"],
  });

/** Query string → search (attr may repeat). */
export function parseTraceSearch(params: URLSearchParams) {
  return traceSearchQuery.parse({ ...Object.fromEntries(params), attr: params.getAll("attr") });
}

/** Cursor: where the previous page's scan stopped (a matching span's start time in ms, trace id, span id). */
function decodeCursor(c: string | undefined): SearchPosition | undefined {
  if (!c) return undefined;
  const [ms, traceId, spanId] = Buffer.from(c, "base64url").toString("utf8").split(":");
  if (!ms || !/^\d+$/.test(ms) || !traceId || !/^[0-9a-f]{32}$/.test(traceId) || !spanId || !/^[0-9a-f]{16}$/.test(spanId)) {
    throw new ValidationError("cursor: not a cursor this API gave out");
  }
  return { startTime: new Date(Number(ms)), traceId, spanId };
}
const encodeCursor = (p: SearchPosition) => Buffer.from(`${p.startTime.getTime()}:${p.traceId}:${p.spanId}`).toString("base64url");

const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

export async function searchTraceSummaries(q: z.infer<typeof traceSearchQuery>) {
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
    after: decodeCursor(q.cursor),
    limit: q.limit,
  });
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    items: page.rows.map((r) => ({
      traceId: r.traceId,
      rootService: r.rootService,
      rootName: r.rootName,
      /** false when the trace's root span has not arrived (or was never sent): the earliest span stands in */
      rootIsTrueRoot: r.rootIsTrueRoot,
      startTime: iso(r.startUnixNano),
      durationMs: r.durationMs,
      spanCount: r.spanCount,
      errorCount: r.errorCount,
      services: r.services,
    })),
    nextCursor: page.next ? encodeCursor(page.next) : null,
    /** the page stopped at the search's scan budget: matching traces may lie further back, from `scannedBackTo` on */
    partial: page.budgetReached,
    scannedBackTo: page.next?.startTime.toISOString() ?? null,
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
