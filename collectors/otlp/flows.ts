import type { Db } from "../../db/client";
import { addFlowSamples, callerServices } from "../../db/queries/flows";
import { isDataError } from "../../db/queries/spans";
import { errorMessage } from "../../lib/errors";
import { FlowAggregator, type Observation } from "../../lib/flows/observe";

/**
 * The flow map's rollups, kept as spans arrive: each stored export's observations go into an in-memory aggregator
 * (lib/flows/observe.ts), which is written to `flow_edge_minutes` every `flushMs`, adding to the rows already there.
 * Server spans whose caller's client span never came have their parent looked up in Postgres. A write that fails is
 * tried again at the next flush with what came since; a crash loses at most one flush of counts, never a span.
 */
export class FlowRollups {
  private readonly agg = new FlowAggregator();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failing = false;

  constructor(
    private readonly db: Db,
    private readonly log: (s: string) => void,
    private readonly flushMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  add(o: Observation): void {
    if (o.samples.length || o.clients.length || o.servers.length) this.agg.add(o, this.now());
  }

  start(): this {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
    return this;
  }

  /** Writes what is due (one flush at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    // server spans whose client span never came: their callers looked up by parent id (tried again when Postgres is away)
    const lookups = this.agg.expire(this.now());
    if (lookups.length) {
      try {
        const callers = await callerServices(this.db, lookups);
        for (const s of lookups) {
          const caller = callers.get(`${s.traceId}:${s.parentSpanId}`);
          if (caller) this.agg.callFrom(caller, s);
        }
      } catch (e) {
        this.agg.retryLookups(lookups);
        this.failed(e);
        return;
      }
    }
    // one set of samples (each edge and minute once) per statement
    const samples = this.agg.takeSamples();
    try {
      await addFlowSamples(this.db, samples);
      if (this.failing) this.log("[flows] rollups written again");
      this.failing = false;
    } catch (e) {
      if (isDataError(e)) {
        // rows Postgres can never take must not stop every later write: these are dropped, and said
        this.log(`[flows] ${samples.length} rollup rows refused for their data and dropped: ${errorMessage(e)}`);
        return;
      }
      this.agg.putBack(samples);
      this.failed(e);
    }
  }

  private failed(e: unknown): void {
    if (!this.failing) this.log(`[flows] rollups not written, kept for the next try: ${errorMessage(e)}`);
    this.failing = true;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // a flush under way may have started before the last exports came in: one more after it
    await this.flush();
    await this.flush();
  }
}
