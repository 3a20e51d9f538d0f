import { fromJson, toBinary, toJson, create, type JsonValue } from "@bufbuild/protobuf";
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  type ExportTraceServiceRequest,
  type ExportTraceServiceResponse,
} from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { isSafeNumber, parse as parseLossless } from "lossless-json";
import protobuf from "protobufjs/minimal";
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

/**
 * A lone surrogate stands in for each character that was not UTF-8, so that sanitising (./sanitize.ts) both replaces
 * it with U+FFFD and marks the span: the decoder's own U+FFFD could not be told from one the exporter sent.
 */
export const INVALID_UTF8 = "\uDFFF";

/**
 * A reader whose proto3 strings, which protobufjs verifies as UTF-8 (and would refuse the whole export for one bad
 * byte), are decoded leniently instead: each ill-formed sequence becomes INVALID_UTF8. Used only once a strict decode
 * failed on UTF-8, so well-formed exports pay nothing for it.
 */
function lenientReader(body: Uint8Array): protobuf.Reader {
  const reader = protobuf.Reader.create(body);
  const loose = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  reader.stringVerify = function (this: protobuf.Reader) {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
    this.pos = end;
    const bytes = this.buf.subarray(start, end);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return loose.decode(bytes).replaceAll("\uFFFD", INVALID_UTF8);
    }
  };
  return reader;
}
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const isUtf8Error = (e: unknown) => e instanceof TypeError && /utf-8/i.test(e.message);

export function decodeProtobufRequest(body: Uint8Array): OtlpRequest {
  try {
    return PbRequest.decode(body);
  } catch (e) {
    if (isUtf8Error(e)) {
      try {
        return PbRequest.decode(lenientReader(body));
      } catch (e2) {
        throw new ValidationError(`undecodable protobuf: ${(e2 as Error).message}`);
      }
    }
    throw new ValidationError(`undecodable protobuf: ${(e as Error).message}`);
  }
}

const idKeys = new Set(["traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"]);

const loneSurrogate = /[\uD800-\uDFFF]/u;
const loneSurrogates = /[\uD800-\uDFFF]/gu;

/**
 * Rewrites hex ids to the base64 the proto3 JSON mapping expects, everywhere they occur; and the lone surrogates of
 * `\uD800`-style escapes to NUL, which survives protobuf encoding (where it would silently become U+FFFD) so that
 * sanitising replaces it and marks the span like any other text Postgres cannot store.
 */
function hexIdsToBase64(v: unknown): unknown {
  if (typeof v === "string") return loneSurrogate.test(v) ? v.replace(loneSurrogates, "\u0000") : v;
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
  try {
    // protobufjs's depth limit (that of protoc, 100 messages) applies here too, so both formats accept the same nesting
    return PbRequest.decode(toBinary(ExportTraceServiceRequestSchema, request));
  } catch (e) {
    throw new ValidationError(`not an ExportTraceServiceRequest: ${(e as Error).message}`);
  }
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
