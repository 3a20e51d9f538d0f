import "server-only";
import type { z } from "zod";
import type { workflowDetailSchema, workflowListQuery, workflowListSchema, workflowSchema, workflowSummaryQuery, workflowSummarySchema } from "@/lib/api/contracts/workflows";
import { latestTopicLag, queueFlowInfo } from "@/db/queries/flows";
import { getWorkflow as readWorkflow, listWorkflows as readWorkflows, workflowSpans, workflowSummary, type WorkflowRow } from "@/db/queries/workflows";
import { NotFoundError } from "@/lib/errors";
import { workflowStates } from "@/lib/workflow-states";
import { serverContext } from "./context";

type Out = z.input<typeof workflowSchema>;

/** The rows as the API gives them, with what each waits on now: its group's lag, or its queue's depth. */
async function present(rows: WorkflowRow[]): Promise<Out[]> {
  const { db } = serverContext();
  const waiting = rows.filter((r) => r.waitingOn);
  const [lag, queues] = waiting.length ? await Promise.all([latestTopicLag(db.db), queueFlowInfo(db.db)]) : [[], []];
  return rows.map((r) => {
    const w = r.waitingOn;
    const l = w ? lag.find((x) => x.topic === w.destination && (!w.group || x.group === w.group)) : undefined;
    const q = w && w.system === "rabbitmq" ? queues.find((x) => x.name === w.destination) : undefined;
    return {
      id: r.id,
      key: r.key,
      keyName: r.keyName,
      name: r.name,
      state: r.state,
      stuck: r.stuck,
      startedAt: r.startedAt.toISOString(),
      lastActivityAt: r.lastActivityAt.toISOString(),
      derivedAt: r.evaluatedAt?.toISOString() ?? null,
      traceIds: r.traceIds,
      deadLetterIds: r.deadLetterIds,
      waitingOn: w
        ? {
            system: w.system,
            destination: w.destination,
            group: w.group ?? null,
            since: new Date(w.sinceMs).toISOString(),
            lag: l ? { messages: l.messages, seconds: l.seconds, status: l.status } : null,
            depth: q ? { ready: q.ready, consumers: q.consumers } : null,
            cluster: l?.cluster ?? null,
            broker: q?.broker ?? null,
            vhost: q?.vhost ?? null,
          }
        : null,
      evidence: r.evidence.map((e) => ({ at: new Date(e.atMs).toISOString(), text: e.text, ...(e.traceId ? { traceId: e.traceId } : {}), ...(e.spanId ? { spanId: e.spanId } : {}), ...(e.deadLetterId !== undefined ? { deadLetterId: e.deadLetterId } : {}) })),
    };
  });
}

export async function listWorkflows(q: z.infer<typeof workflowListQuery>): Promise<z.input<typeof workflowListSchema>> {
  const { db } = serverContext();
  const page = await readWorkflows(db.db, { ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
  return { items: await present(page.items), nextCursor: page.nextCursor };
}

export async function getWorkflow(id: number): Promise<z.input<typeof workflowDetailSchema>> {
  const { db } = serverContext();
  const r = await readWorkflow(db.db, id);
  if (!r) throw new NotFoundError(`no workflow ${id}`);
  const [w] = await present([r]);
  const spans = await workflowSpans(db.db, r.traceIds, 500);
  return {
    ...w!,
    steps: spans.map((s) => ({ traceId: s.traceId, spanId: s.spanId, service: s.service, name: s.name, kind: s.kind, start: new Date(s.startMs).toISOString(), durationMs: s.endMs - s.startMs, error: s.error, destination: s.destination })),
  };
}

export async function getWorkflowSummary(q: z.infer<typeof workflowSummaryQuery>): Promise<z.input<typeof workflowSummarySchema>> {
  const { db } = serverContext();
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 3600_000);
  const span = Math.max(60, (to.getTime() - from.getTime()) / 1000);
  // about 30 bars over the range, in whole minutes
  const bucketSeconds = Math.max(60, Math.ceil(span / 30 / 60) * 60);
  const s = await workflowSummary(db.db, from, to, bucketSeconds);
  const byState = workflowStates.map((state) => ({ state, count: s.byName.filter((x) => x.state === state).reduce((a, x) => a + x.count, 0) }));
  return { from: from.toISOString(), to: to.toISOString(), bucketSeconds, byState, byName: s.byName, stuck: s.stuck, series: s.series.map((x) => ({ ...x, t: x.t.toISOString() })) };
}
