import type { Db } from "../../db/client";
import { addWorkflowKeys, consumerGroups, saveDerived, saveDerivedMany, touchByDeadLetters, touchWorkflows, workflowDeadLetters, workflowSpans, workflowsToDerive } from "../../db/queries/workflows";
import { errorMessage } from "../../lib/errors";
import { deriveWorkflow, type WorkflowRules } from "../../lib/workflows/derive";
import type { WorkflowObservation } from "../../lib/workflows/observe";
import type { ConsumerGroup } from "../../lib/workflows/derive";
import type { WorkflowToDerive } from "../../db/queries/workflows";

/** Workflows derived together: their spans and dead letters read in one statement each, saved in one. */
const deriveBatch = 500;

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** The most of a turn derivation takes while the receiver stores exports. */
const busyShareMs = 1000;

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
    private readonly deriveBudgetMs = 5000,
    /** the OTLP receiver is storing exports: derivation takes at most `busyShareMs` of a turn then, spans first */
    private readonly busy: () => boolean = () => false,
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
      // batches of 500 for up to `deriveBudgetMs` a turn (a second while the receiver is busy): a burst of new keys is worked off over the next turns,
      // and what arrives meanwhile is written at the next turn (this one holds it back only that long)
      const groups = await consumerGroups(this.db, this.ownGroups);
      const started = Date.now();
      const until = started + this.deriveBudgetMs;
      while (Date.now() < until) {
        const todo = await workflowsToDerive(this.db, deriveBatch, 15_000);
        if (!todo.length) break;
        await this.derive(todo, groups);
        if (todo.length < deriveBatch) break;
        // exports arriving: storing them comes first (a dropped span is lost, a workflow derived later is not), so
        // derivation takes at most a second of each 2-s turn then; never starved, it catches up when the load drops
        if (this.busy() && Date.now() - started >= busyShareMs) break;
      }
      if (this.failing) this.log("[workflows] deriving again");
      this.failing = false;
    } catch (e) {
      this.failed(e);
    }
  }

  /**
   * Derives a batch: the spans and dead letters of all its traces in one statement each (at most 20,000 spans and
   * 5,000 dead letters; past that, in halves), each workflow from those of its own traces, saved in one statement.
   */
  private async derive(todo: WorkflowToDerive[], groups: ConsumerGroup[]): Promise<void> {
    const startedAt = new Date();
    const traces = [...new Set(todo.flatMap((w) => w.traceIds))];
    const budget = 20_000;
    const dlBudget = 5000;
    const [spans, deadLetters] = await Promise.all([workflowSpans(this.db, traces, budget + 1, true), workflowDeadLetters(this.db, traces, dlBudget + 1)]);
    // past either bound a workflow could miss some of its own: halves of the batch, down to one workflow at a time
    // (a workflow's own bounds are those of workflowSpans and workflowDeadLetters)
    if ((spans.length > budget || deadLetters.length > dlBudget) && todo.length > 1) {
      const half = Math.ceil(todo.length / 2);
      await this.derive(todo.slice(0, half), groups);
      await this.derive(todo.slice(half), groups);
      return;
    }
    if (spans.length > budget || deadLetters.length > dlBudget) {
      const w = todo[0]!;
      const [own, dls] = await Promise.all([workflowSpans(this.db, w.traceIds), workflowDeadLetters(this.db, w.traceIds)]);
      await saveDerived(this.db, w.id, startedAt, deriveWorkflow(own, dls, this.rules, Date.now(), groups));
      return;
    }
    const spansOf = groupBy(spans, (s) => s.traceId);
    const dlOf = groupBy(deadLetters, (d) => d.traceId);
    const now = Date.now();
    const rows = todo.map((w) => ({
      id: w.id,
      d: deriveWorkflow(
        w.traceIds.flatMap((t) => spansOf.get(t) ?? []),
        w.traceIds.flatMap((t) => dlOf.get(t) ?? []),
        this.rules,
        now,
        groups,
      ),
    }));
    await saveDerivedMany(this.db, startedAt, rows);
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
