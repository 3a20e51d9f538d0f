import type { Span } from "../traces/span";

/**
 * A span flattened for storage: the span model (lib/traces/span.ts) as the columns keep it, with OTLP's kind and
 * status code as numbers (the trace page reads their names) and the start as exact binary values (nanoseconds as a
 * bigint, the start time as a Date). Ids are lower-case hex, attributes plain JSON, messaging fields lifted out.
 */
export type SpanRecord = Omit<Span, "kind" | "status" | "startUnixNano" | "startTime"> & {
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer */
  kind: number;
  startUnixNano: bigint;
  startTime: Date;
  /** OTLP Status.code: 0 unset, 1 ok, 2 error */
  statusCode: number;
};
