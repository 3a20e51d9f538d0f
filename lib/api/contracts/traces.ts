import { z } from "zod";
import { deadLetterStatuses } from "../../dead-letters";
import { traceIdParam, traceSearchQuery } from "../../traces/search-query";
import { spanSchema } from "../../traces/span";
import { endpoint } from "../endpoint";

const traceId = z.string().regex(/^[0-9a-f]{32}$/).meta({ description: "trace id, 32 lower-case hex digits" });

export const traceSummary = z
  .object({
    traceId,
    rootService: z.string(),
    rootName: z.string().meta({ description: "the root's label: its HTTP route (`POST /orders`) or messaging hop when it has one, else its span name" }),
    rootIsTrueRoot: z.boolean().meta({ description: "false when the trace's root span has not arrived (or was never sent): the earliest span stands in" }),
    startTime: z.string().meta({ description: "the trace's start (its earliest span), ISO, to the millisecond" }),
    durationMs: z.number().min(0),
    spanCount: z.number().int().min(0),
    errorCount: z.number().int().min(0),
    deadLetterCount: z.number().int().min(0).meta({ description: "captured dead letters that carry this trace id" }),
    services: z.array(z.string()),
  })
  .meta({ id: "TraceSummary" });

export const traceSearchResponse = z.object({
  from: z.string().meta({ description: "the time range searched, ISO (to defaults to now + 1 min, from to an hour before to)" }),
  to: z.string(),
  items: z.array(traceSummary).meta({ description: "newest first by the trace's start" }),
  nextCursor: z.string().nullable().meta({ description: "pass as `cursor` for the next page; null when the range holds no more" }),
  partial: z.boolean().meta({ description: "the page stopped at the scan budget (20,000 matching spans): matching traces may lie further back, from `scannedBackTo` on" }),
  scannedBackTo: z.string().nullable(),
});

export const searchTraces = endpoint({
  method: "GET",
  path: "/api/v1/traces",
  tag: "traces",
  summary: "Trace search by service, operation, status, duration, attributes, destination, message id or key; cursor-paged",
  role: "viewer",
  query: traceSearchQuery,
  response: traceSearchResponse,
});

/** How much of the linked traces one stitched answer carries. */
export const stitchLimits = { traces: 20, spans: 5_000 } as const;

export const traceDeadLetter = z.object({
  id: z.number().int().positive(),
  system: z.string().meta({ description: "kafka or rabbitmq" }),
  source: z.string().meta({ description: "the dead-letter topic or queue it was captured from" }),
  originalDestination: z.string().nullable(),
  reason: z.string().nullable(),
  errorMessage: z.string().nullable(),
  firstDeadAt: z.string().nullable(),
  status: z.enum(deadLetterStatuses),
});

export const stitchedTraces = z
  .object({
    traceIds: z.array(traceId).meta({ description: `the linked traces whose spans are here: the first ${stitchLimits.traces} of \`linkedTraceIds\`` }),
    spans: z.array(spanSchema).meta({ description: `their spans in start order, at most ${stitchLimits.spans} (the earliest)` }),
    truncated: z.boolean().meta({ description: "true when linked traces or spans were left out by those bounds" }),
  })
  .meta({ id: "StitchedTraces" });

export const traceDetail = z.object({
  traceId,
  spans: z.array(spanSchema).meta({ description: "every stored span of the trace, in start order" }),
  linkedTraceIds: z.array(traceId).meta({ description: "traces linked to this one either way (its spans link to them, or theirs to it), by id" }),
  deadLetters: z.array(traceDeadLetter).meta({ description: "captured dead letters that carry this trace id, by id, at most 100" }),
  stitched: stitchedTraces.nullable().meta({ description: "with `stitch=linked`: the linked traces' spans, for one timeline; null without it" }),
});

export const getTrace = endpoint({
  method: "GET",
  path: "/api/v1/traces/{traceId}",
  tag: "traces",
  summary: "One trace's spans, the traces it links to, and the dead letters that carry its id",
  description: `\`stitch=linked\` adds the spans of the linked traces (one hop either way; at most ${stitchLimits.traces} traces and ${stitchLimits.spans} spans, said when cut), so that the page draws them in one timeline from one request.`,
  role: "viewer",
  params: z.object({ traceId: traceIdParam }),
  query: z.object({ stitch: z.enum(["linked"]).optional().meta({ description: "`linked`: include the linked traces' spans (`stitched`)" }) }),
  response: traceDetail,
  errors: [404],
});
