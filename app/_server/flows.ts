import "server-only";
import type { z } from "zod";
import type { flowGraphSchema, flowQuery } from "@/lib/api/contracts/flows";
import { deadLetterFlows, flowEdgeTotals, latestTopicLag, queueFlowInfo } from "@/db/queries/flows";
import { buildFlowGraph } from "@/lib/flows/graph";
import { serverContext } from "./context";

/** The flow map of a range (default the last 15 minutes): rollups summed, brokers' figures beside them. */
export async function getFlows(query: z.infer<typeof flowQuery>): Promise<z.input<typeof flowGraphSchema>> {
  const { config, db } = serverContext();
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 15 * 60_000);
  const [edges, lag, queues, deadLetters] = await Promise.all([flowEdgeTotals(db.db, from, to), latestTopicLag(db.db), queueFlowInfo(db.db), deadLetterFlows(db.db, from, to)]);
  // rates over what the rollups cover: whole minutes from the one holding `from`
  const start = Math.floor(from.getTime() / 60_000) * 60_000;
  const graph = buildFlowGraph({
    edges,
    lag,
    queues,
    deadLetters,
    rangeSeconds: (to.getTime() - start) / 1000,
    overrides: config.FLOW_OVERRIDES,
    thresholds: { degradedErrorRate: config.FLOW_ERROR_DEGRADED, failingErrorRate: config.FLOW_ERROR_FAILING },
    focus: query.focus ?? null,
  });
  return { from: from.toISOString(), to: to.toISOString(), focus: query.focus ?? null, ...graph };
}
