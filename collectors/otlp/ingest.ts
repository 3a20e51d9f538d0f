import type { SpanCopy, StoreResult } from "../../db/queries/spans";
import { UnavailableError, errorMessage } from "../../lib/errors";
import { otlpSpans } from "../metrics";
import type { OtlpFormat, PreparedExport } from "./prepare";
import type { Prepare } from "./prepare-pool";

/**
 * What OTLP/HTTP and OTLP/gRPC share: admission (at most `maxInFlight` exports being decoded and stored at once,
 * which bounds memory at about `maxInFlight` × the body limit), decoding into COPY text (on the decode threads, see
 * prepare-pool.ts), and storing before acknowledging. An export whose body is in is refused when ingest is saturated
 * (a slot is taken only once the body is read: waiting for a slow client holds none), and answered as failed when the
 * store is unavailable, so every span acknowledged is stored and none is accepted and then dropped.
 */
export interface IngestOptions {
  maxInFlight: number;
  prepare: Prepare;
  /** stores a batch; returns what Postgres refused (storeSpanCopy's result), or nothing when all of it was stored */
  store(batch: SpanCopy): Promise<StoreResult | void>;
  /** told of each export once its spans are stored (the flow map's rollups) */
  stored?(p: PreparedExport): void;
  log(s: string): void;
}

export class SaturatedError extends UnavailableError {
  constructor(readonly retryAfterSeconds: number) {
    super("ingest is saturated, retry later");
  }
}

export class StorageUnavailableError extends UnavailableError {
  constructor(readonly retryAfterSeconds: number) {
    super("storage unavailable, retry later");
  }
}

export class SpanIngest {
  private inFlight = 0;
  constructor(private readonly opts: IngestOptions) {}

  get maxInFlight(): number {
    return this.opts.maxInFlight;
  }

  /** exports are being decoded or stored now */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Takes a slot or throws SaturatedError; `release` must follow. */
  acquire(): void {
    if (this.inFlight >= this.opts.maxInFlight) throw new SaturatedError(1);
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
  }

  /**
   * Decodes an export body into COPY text of its valid spans; throws ValidationError when it does not decode. The
   * body may be moved to a decode thread: callers must not use it afterwards.
   */
  prepare(format: OtlpFormat, body: Uint8Array): Promise<PreparedExport> {
    return this.opts.prepare(format, body);
  }

  /**
   * Stores a prepared export and answers what to tell the exporter: spans rejected while decoding and those Postgres
   * refused (partial success, never retried). Throws StorageUnavailableError only when the store is unavailable (the
   * exporter should retry); a span Postgres refuses for its data is not an outage (see storeSpanCopy).
   */
  async store(p: PreparedExport): Promise<{ rejected: number; errors: string[] }> {
    let refused: StoreResult | void = undefined;
    if (p.batch.count) {
      try {
        refused = await this.opts.store(p.batch);
      } catch (e) {
        this.opts.log(`[otlp] could not store ${p.batch.count} spans: ${errorMessage(e)}`);
        otlpSpans.inc({ outcome: "deferred" }, p.batch.count);
        throw new StorageUnavailableError(5);
      }
    }
    const notStored = refused ? refused.rejected : 0;
    if (p.batch.count > notStored) this.opts.stored?.(p);
    otlpSpans.inc({ outcome: "stored" }, p.batch.count - notStored);
    if (notStored) {
      // the reasons go to the exporter, which sent the data; the log says only how many and that it happened
      this.opts.log(`[otlp] Postgres refused ${notStored} of ${p.batch.count} spans of an export; the others are stored`);
    }
    const rejected = p.rejected + notStored;
    if (rejected) otlpSpans.inc({ outcome: "rejected" }, rejected);
    return { rejected, errors: [...p.errors, ...(refused ? refused.errors : [])].slice(0, 5) };
  }
}
