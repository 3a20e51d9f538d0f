import type { Db } from "../../db/client";
import { addWorkflowKeys, consumerGroups, saveDerived, touchByDeadLetters, touchWorkflows, workflowDeadLetters, workflowSpans, workflowsToDerive } from "../../db/queries/workflows";
import { errorMessage } from "../../lib/errors";
import { deriveWorkflow, type WorkflowRules } from "../../lib/workflows/derive";
import type { WorkflowObservation } from "../../lib/workflows/observe";

/**
 * Business workflows, derived continuously (not on request): what each stored export says (keys, links, traces seen;
 * lib/workflows/observe.ts) is gathered in memory and written every `flushMs` (new keys become workflows, their traces
 * join them, a workflow holding a trace seen again is dirty); then dirty workflows, and active ones every 15 s (time
 * alone makes a running one completed or a pending one stuck), are derived again from all their spans and dead
 * letters (lib/workflows/derive.ts). A replay writes its span into the dead letter's trace, so a replayed and
 * processed dead letter moves its workflow on by the same path.
 */
export class WorkflowEngine {
  private keys = new Map<string, { traceId: string; key: string; keyName: string }>();
  private links = new Map<string, { traceId: string; linkedTraceId: string }>();
  private traces = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failing = false;
  /** dead letters captured or changed after this make their workflows dirty (a little overlap: once more is harmless) */
  private deadLettersSince = new Date(Date.now() - 60_000);

  constructor(
    private readonly db: Db,
    private readonly rules: WorkflowRules,
    private readonly log: (s: string) => void,
    /** consumer groups that are Switchyard's own (its DLT capture): no workflow waits on them */
    private readonly ownGroups: string[] = [],
    private readonly flushMs = 2000,
  ) {}

  add(o: WorkflowObservation): void {
    // bounded: past these sizes a flush is due anyway; what is beyond waits in the exports' own traces
    if (this.keys.size < 200_000) for (const k of o.keys) this.keys.set(`${k.traceId}\u0000${k.key}`, k);
    if (this.links.size < 200_000) for (const l of o.links) this.links.set(`${l.traceId}\u0000${l.linkedTraceId}`, l);
    if (this.traces.size < 200_000) for (const t of o.traces) this.traces.add(t);
  }

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.flushMs);
    this.timer.unref();
    return this;
  }

  tick(): Promise<void> {
    this.running ??= this.work().finally(() => (this.running = null));
    return this.running;
  }

  private async work(): Promise<void> {
    const keys = [...this.keys.values()];
    const links = [...this.links.values()];
    const traces = [...this.traces];
    this.keys = new Map();
    this.links = new Map();
    this.traces = new Set();
    try {
      await addWorkflowKeys(this.db, keys);
      await touchWorkflows(this.db, links, traces);
      const since = new Date(Date.now() - 5000);
      await touchByDeadLetters(this.db, this.deadLettersSince);
      this.deadLettersSince = since;
    } catch (e) {
      // kept for the next try (merged with what came since)
      for (const k of keys) this.keys.set(`${k.traceId}\u0000${k.key}`, k);
      for (const l of links) this.links.set(`${l.traceId}\u0000${l.linkedTraceId}`, l);
      for (const t of traces) this.traces.add(t);
      this.failed(e);
      return;
    }
    try {
      // a few hundred a turn: a burst of new keys is worked off over the next turns
      const groups = await consumerGroups(this.db, this.ownGroups);
      for (let round = 0; round < 5; round++) {
        const todo = await workflowsToDerive(this.db, 200, 15_000);
        if (!todo.length) break;
        for (const w of todo) {
          const startedAt = new Date();
          const [spans, deadLetters] = await Promise.all([workflowSpans(this.db, w.traceIds), workflowDeadLetters(this.db, w.traceIds)]);
          await saveDerived(this.db, w.id, startedAt, deriveWorkflow(spans, deadLetters, this.rules, Date.now(), groups));
        }
        if (todo.length < 200) break;
      }
      if (this.failing) this.log("[workflows] deriving again");
      this.failing = false;
    } catch (e) {
      this.failed(e);
    }
  }

  private failed(e: unknown): void {
    if (!this.failing) this.log(`[workflows] not derived, trying again: ${errorMessage(e)}`);
    this.failing = true;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
