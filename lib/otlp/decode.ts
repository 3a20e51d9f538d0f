import { fromJson, toBinary, toJson, create, type JsonValue } from "@bufbuild/protobuf";
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  type ExportTraceServiceRequest,
  type ExportTraceServiceResponse,
} from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { isSafeNumber, parse as parseLossless } from "lossless-json";
import { opentelemetry } from "./pbjs/trace_service";
import { ValidationError } from "../errors";

/**
 * OTLP request decoding with code generated from opentelemetry-proto, two generators for two jobs (scripts/proto):
 * protobufjs's static decoder for OTLP/protobuf, the receiver's hot path, about twice as fast as @bufbuild/protobuf's
 * reflection-based `fromBinary` on SDK exports (`npm run bench:otlp-decode`); @bufbuild/protobuf for OTLP/JSON, whose
 * proto3 JSON mapping protobufjs does not implement, and for the responses. A JSON request is decoded by @bufbuild/protobuf,
 * re-encoded and decoded by protobufjs, so that both formats reach flattening as the same objects.
 * OTLP/JSON differs from canonical proto3 JSON in one way that matters here: trace and span ids are hex, not base64
 * (OTLP spec, "JSON Protobuf Encoding").
 */
export type OtlpRequest = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.$Shape;
const PbRequest = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export function decodeProtobufRequest(body: Uint8Array): OtlpRequest {
  try {
    return PbRequest.decode(body);
  } catch (e) {
    throw new ValidationError(`undecodable protobuf: ${(e as Error).message}`);
  }
}

const idKeys = new Set(["traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"]);

/** Rewrites hex ids to the base64 the proto3 JSON mapping expects, everywhere they occur. */
function hexIdsToBase64(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(hexIdsToBase64);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (idKeys.has(k) && typeof x === "string") {
        if (x !== "" && !/^[0-9a-fA-F]*$/.test(x)) throw new ValidationError(`${k} '${x.slice(0, 40)}' is not hex`);
        if (x.length % 2) throw new ValidationError(`${k} '${x.slice(0, 40)}' has an odd number of hex digits`);
        out[k] = Buffer.from(x, "hex").toString("base64");
      } else out[k] = hexIdsToBase64(x);
    }
    return out;
  }
  return v;
}

export function decodeJsonRequest(text: string): OtlpRequest {
  let parsed: unknown;
  try {
    // OTLP allows int64 (timestamps in ns) as JSON numbers; JSON.parse would round them past 2^53.
    parsed = parseLossless(text, null, (n: string) => (isSafeNumber(n) ? Number(n) : n));
  } catch (e) {
    throw new ValidationError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new ValidationError("OTLP JSON body must be an object");
  let request: ExportTraceServiceRequest;
  try {
    request = fromJson(ExportTraceServiceRequestSchema, hexIdsToBase64(parsed) as JsonValue, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw new ValidationError(`not an ExportTraceServiceRequest: ${(e as Error).message}`);
  }
  return PbRequest.decode(toBinary(ExportTraceServiceRequestSchema, request));
}

/** The export response: `partial_success` only when some spans were rejected (or there is something to say). */
export function exportResponse(rejectedSpans: number, errorMessage: string): ExportTraceServiceResponse {
  return create(ExportTraceServiceResponseSchema, rejectedSpans || errorMessage ? { partialSuccess: { rejectedSpans: BigInt(rejectedSpans), errorMessage } } : {});
}

export function encodeExportResponse(msg: ExportTraceServiceResponse): Uint8Array {
  return toBinary(ExportTraceServiceResponseSchema, msg);
}

export function encodeResponse(format: "protobuf" | "json", rejectedSpans: number, errorMessage: string): Uint8Array | string {
  const msg = exportResponse(rejectedSpans, errorMessage);
  return format === "protobuf" ? toBinary(ExportTraceServiceResponseSchema, msg) : JSON.stringify(toJson(ExportTraceServiceResponseSchema, msg));
}
