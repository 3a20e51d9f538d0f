import type { ExportTraceServiceRequest } from "../../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { flattenRequest, type SpanRecord } from "../../lib/otlp/spans";
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
  store(spans: SpanRecord[]): Promise<void>;
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

  /** Takes a slot or throws SaturatedError; `release` must follow. */
  acquire(): void {
    if (this.inFlight >= this.opts.maxInFlight) throw new SaturatedError(1);
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
  }

  /** Stores the request's valid spans; returns how many were rejected and why (partial success). */
  async ingest(request: ExportTraceServiceRequest): Promise<{ rejected: number; errors: string[] }> {
    const { spans, rejected, errors } = flattenRequest(request);
    if (spans.length) {
      try {
        await this.opts.store(spans);
      } catch (e) {
        this.opts.log(`[otlp] could not store ${spans.length} spans: ${errorMessage(e)}`);
        otlpSpans.inc({ outcome: "deferred" }, spans.length);
        throw new StorageUnavailableError(5);
      }
    }
    otlpSpans.inc({ outcome: "stored" }, spans.length);
    if (rejected) otlpSpans.inc({ outcome: "rejected" }, rejected);
    return { rejected, errors };
  }
}
