import "server-only";
import type { z } from "zod";
import type { analysisQuery, duplicatesSchema, syncChainsSchema } from "@/lib/api/contracts/analysis";
import { callSpans, duplicateProcessing } from "@/db/queries/analysis";
import { syncChains } from "@/lib/flows/analysis";
import { serverContext } from "./context";

/** Spans one sync-chain answer reads at most (the newest of the range). */
const spanBudget = 200_000;

function rangeOf(q: z.infer<typeof analysisQuery>): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  return { from: q.from ? new Date(q.from) : new Date(to.getTime() - 3600_000), to };
}

export async function getSyncChains(q: z.infer<typeof analysisQuery>): Promise<z.input<typeof syncChainsSchema>> {
  const { config, db } = serverContext();
  const { from, to } = rangeOf(q);
  const { spans, partial } = await callSpans(db.db, from, to, spanBudget);
  return { from: from.toISOString(), to: to.toISOString(), maxDepth: config.SYNC_CHAIN_MAX_DEPTH, partial, items: syncChains(spans, config.SYNC_CHAIN_MAX_DEPTH) };
}

export async function getDuplicates(q: z.infer<typeof analysisQuery>): Promise<z.input<typeof duplicatesSchema>> {
  const { db } = serverContext();
  const { from, to } = rangeOf(q);
  return { from: from.toISOString(), to: to.toISOString(), items: await duplicateProcessing(db.db, from, to, 500) };
}
