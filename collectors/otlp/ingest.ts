import type { ExportTraceServiceRequest } from "../../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { flattenRequest } from "../../lib/otlp/spans";
import { spanCopy, type SpanCopy } from "../../db/queries/spans";
import { UnavailableError, errorMessage } from "../../lib/errors";
import { otlpSpans } from "../metrics";

/**
 * What OTLP/HTTP and OTLP/gRPC share: admission (at most `maxInFlight` exports being decoded and stored at once,
 * which bounds memory at about `maxInFlight` × the body limit), flattening, and storing before acknowledging.
 * An export is refused before its body is read when ingest is saturated, and answered as failed when the store
 * fails, so every span acknowledged is stored and none is accepted and then dropped.
 */
export interface IngestOptions {
  maxInFlight: number;
  store(batch: SpanCopy): Promise<void>;
  log(s: string): void;
}

/** A decoded export, ready to store: its valid spans as COPY text, and how many were rejected and why. */
export interface PreparedExport {
  batch: SpanCopy;
  rejected: number;
  errors: string[];
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

  /** Takes a slot or throws SaturatedError; `release` must follow. */
  acquire(): void {
    if (this.inFlight >= this.opts.maxInFlight) throw new SaturatedError(1);
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
  }

  /**
   * Flattens a decoded request and turns its valid spans into COPY text at once. Callers pass the decoded request
   * straight in and keep only what this returns while the store runs: at many exports in flight the decoded objects
   * would otherwise outlive young-generation collections, and garbage collection was a fifth of ingest's CPU.
   */
  prepare(request: ExportTraceServiceRequest): PreparedExport {
    const { spans, rejected, errors } = flattenRequest(request);
    return { batch: spanCopy(spans), rejected, errors };
  }

  /** Stores a prepared export; throws StorageUnavailableError when the store fails (the exporter should retry). */
  async store(p: PreparedExport): Promise<{ rejected: number; errors: string[] }> {
    if (p.batch.count) {
      try {
        await this.opts.store(p.batch);
      } catch (e) {
        this.opts.log(`[otlp] could not store ${p.batch.count} spans: ${errorMessage(e)}`);
        otlpSpans.inc({ outcome: "deferred" }, p.batch.count);
        throw new StorageUnavailableError(5);
      }
    }
    otlpSpans.inc({ outcome: "stored" }, p.batch.count);
    if (p.rejected) otlpSpans.inc({ outcome: "rejected" }, p.rejected);
    return { rejected: p.rejected, errors: p.errors };
  }
}
