import { z } from "zod";
import { endpoint } from "../endpoint";
import { isoTime, rangeIssues } from "../common";

export const analysisQuery = z
  .object({
    from: isoTime.optional().meta({ description: "start of the range (ISO); default an hour before `to`" }),
    to: isoTime.optional().meta({ description: "end of the range (ISO); default now" }),
  })
  .superRefine((q, ctx) => rangeIssues(q, 7, ctx));

export const syncChainSchema = z
  .object({
    entryService: z.string(),
    entryOperation: z.string(),
    depth: z.number().int().meta({ description: "synchronous calls in the deepest chain from this entry" }),
    hops: z.array(z.object({ from: z.string(), to: z.string(), operation: z.string() })),
    traces: z.number().int().meta({ description: "traces of the range with this entry operation" }),
    serialLatencyP50Ms: z.number().nullable().meta({ description: "how long the entry waited on the chain's first call (what the whole chain adds), p50" }),
    serialLatencyP95Ms: z.number().nullable(),
    availability: z.number().meta({ description: "the product of each hop's success rate over the range (three hops at 99.5% give 98.5%)" }),
    flagged: z.boolean().meta({ description: "deeper than SYNC_CHAIN_MAX_DEPTH" }),
    exampleTraceId: z.string(),
  })
  .meta({ id: "SyncChain" });

export const syncChainsSchema = z.object({
  from: z.string(),
  to: z.string(),
  maxDepth: z.number().int(),
  partial: z.boolean().meta({ description: "the range held more spans than one answer reads (200,000, the newest): older traces are left out" }),
  items: z.array(syncChainSchema),
});

export const duplicateSchema = z
  .object({
    consumerGroup: z.string().meta({ description: "the consumer group, or the consuming service when its spans name no group (`byService`)" }),
    byService: z.boolean(),
    destination: z.string().nullable(),
    messageId: z.string().nullable(),
    partition: z.number().int().nullable().meta({ description: "with offset, the message's place when it has no message id" }),
    offset: z.number().int().nullable(),
    count: z.number().int().meta({ description: "successful processings of the same message by the same consumer" }),
    traceIds: z.array(z.string()).meta({ description: "the traces of those processings (at most 20)" }),
  })
  .meta({ id: "DuplicateProcessing" });

export const duplicatesSchema = z.object({ from: z.string(), to: z.string(), items: z.array(duplicateSchema) });

export const getSyncChains = endpoint({
  method: "GET",
  path: "/api/v1/analysis/sync-chains",
  tag: "analysis",
  role: "viewer",
  summary: "Synchronous chains: for each entry operation, the deepest chain of synchronous calls in its traces, the latency it adds and the availability it implies",
  query: analysisQuery,
  response: syncChainsSchema,
});

export const getDuplicates = endpoint({
  method: "GET",
  path: "/api/v1/analysis/duplicates",
  tag: "analysis",
  role: "viewer",
  summary: "Duplicate processing: the same message processed successfully more than once by the same consumer group",
  query: analysisQuery,
  response: duplicatesSchema,
});
