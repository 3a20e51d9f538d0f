import http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { encodeExportResponse, exportResponse } from "../../lib/otlp/decode";
import type { ExportTraceServiceResponse } from "../../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { ValidationError, errorMessage } from "../../lib/errors";
import { noteOtlpRefusal, otlpRequests, otlpRequestSeconds } from "../metrics";
import { SaturatedError, StorageUnavailableError, type SpanIngest } from "./ingest";
import { watchRate, type BodyBudget } from "./body-budget";
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MIN_BYTES_PER_SECOND, defaultBodyBudget } from "./receiver";

/**
 * OTLP/gRPC trace receiver (`opentelemetry.proto.collector.trace.v1.TraceService/Export`) on @grpc/grpc-js, with the
 * generated opentelemetry-proto code for (de)serialising. The same semantics as OTLP/HTTP: gzip (grpc-js negotiates
 * it), partial success, INVALID_ARGUMENT for an undecodable request (not retryable), RESOURCE_EXHAUSTED over the size
 * limit (grpc-js's max receive length), UNAVAILABLE when ingest is saturated or the store is down (retryable), and
 * nothing acknowledged before it is stored.
 *
 * A request's bytes, from its headers until it is half-closed, are held under the same bounds as an HTTP body (see
 * `bodyBound`): the body timeout and least rate (else DEADLINE_EXCEEDED and the stream reset), and the budget of bytes
 * being received shared with OTLP/HTTP (a stalled stream is evicted with UNAVAILABLE to make room). Without them a few
 * HTTP/2 sessions of streams each sending most of a 20 MiB message and stalling held all that memory for as long as
 * the client liked. Sessions are bounded too: streams per session, keepalive pings, and idle sessions closed.
 */
export interface GrpcReceiverOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  ingest: SpanIngest;
  /** time from a call's headers until its request is in (OTLP_BODY_TIMEOUT_MS); default 10 s */
  bodyTimeoutMs?: number;
  /** the least rate a request must arrive at, as sent (OTLP_BODY_MIN_RATE); 0 for none; default 16 KiB/s */
  minBytesPerSecond?: number;
  /** bytes held by requests being received (shared with OTLP/HTTP); default in-flight limit × body limit */
  budget?: BodyBudget;
  log?: (s: string) => void;
}

/** Concurrent streams an HTTP/2 session may open (an exporter uses a few). */
export const MAX_CONCURRENT_STREAMS = 64;

/**
 * The HTTP/2 stream under a call. grpc-js gives a server interceptor the call object that owns the stream (its base
 * call) but not in its API: it is looked for at run time, and without it a call is still bounded in time (its status
 * sent), only not reset at once nor counted in the budget.
 */
function streamOf(call: grpc.ServerInterceptingCallInterface): http2.ServerHttp2Stream | null {
  const st = (call as unknown as { stream?: unknown }).stream;
  const ok = st !== null && typeof st === "object" && typeof (st as http2.ServerHttp2Stream).close === "function" && typeof (st as http2.ServerHttp2Stream).on === "function" && "rstCode" in st;
  return ok ? (st as http2.ServerHttp2Stream) : null;
}

const exportMethod: grpc.MethodDefinition<Buffer, ExportTraceServiceResponse> = {
  path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
  requestStream: false,
  responseStream: false,
  // the request is decoded in the handler, so a bad one gets INVALID_ARGUMENT rather than grpc-js's INTERNAL
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (r: ExportTraceServiceResponse) => Buffer.from(encodeExportResponse(r)),
  responseDeserialize: () => {
    throw new Error("not a client");
  },
};

export function startOtlpGrpcReceiver(opts: GrpcReceiverOptions): Promise<grpc.Server> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const minBytesPerSecond = opts.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  const budget = opts.budget ?? defaultBodyBudget(opts.ingest.maxInFlight, opts.maxBodyBytes);
  const count = (code: grpc.status) => {
    otlpRequests.inc({ transport: "grpc", format: "protobuf", status: grpc.status[code] ?? String(code) });
    if (code === grpc.status.UNAVAILABLE) noteOtlpRefusal();
  };
  let streamless = false;

  /**
   * Bounds a call's request while it arrives: what its stream holds, from the headers until the client half-closes
   * (a unary request is only handled then, and a message sent whole but never half-closed is held as long), counts
   * in the budget; past the body timeout, below the least rate, or evicted, its stream is reset, which frees what
   * grpc-js had buffered of it.
   */
  const bodyBound: grpc.ServerInterceptor = (_method, call) => {
    const stream = streamOf(call);
    if (!stream && !streamless) {
      streamless = true;
      log("[otlp-grpc] this grpc-js does not expose a call's stream: requests are bounded in time only");
    }
    let sent = 0;
    let receiving = true;
    const stop = () => {
      if (!receiving) return;
      receiving = false;
      clearTimeout(timer);
      stopWatch();
      stream?.off("data", onData);
      reader.close();
    };
    // The stream is reset with REFUSED_STREAM, which gRPC clients read as UNAVAILABLE (the request was not
    // processed; retry): a status sent first would be lost, as nghttp2 drops what is queued for a stream once it is
    // reset, and a stream answered but not reset keeps what grpc-js buffered of it until the client ends it.
    const end = (code: grpc.status, details: string) => {
      if (!receiving) return;
      stop();
      count(code);
      if (stream && !stream.destroyed) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else call.sendStatus({ code, details });
    };
    const reader = budget.open((why) => end(grpc.status.UNAVAILABLE, why));
    // grpc-js keeps each chunk until the message is whole, and a chunk is a slice of the session's read buffer (64 KiB,
    // shared by the streams whose frames it holds), all of which stays in memory: each read buffer a stream holds is
    // counted whole (a stream's chunks of one buffer come one after another)
    let backing: ArrayBufferLike | null = null;
    const onData = (c: Buffer) => {
      sent += c.length;
      const cost = c.buffer === backing ? 0 : c.buffer.byteLength;
      backing = c.buffer;
      if (!reader.take(cost)) end(grpc.status.RESOURCE_EXHAUSTED, `the request is over the ${budget.max}-byte budget of requests being received`);
    };
    stream?.on("data", onData);
    const timer = setTimeout(() => end(grpc.status.DEADLINE_EXCEEDED, `the request did not arrive within ${bodyTimeoutMs} ms`), bodyTimeoutMs);
    const stopWatch = watchRate(minBytesPerSecond, () => sent, (why) => end(grpc.status.DEADLINE_EXCEEDED, why));
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveHalfClose: (nextHalfClose) => {
            stop();
            nextHalfClose();
          },
          onCancel: stop,
        }),
    });
  };

  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxBodyBytes,
    "grpc.max_concurrent_streams": MAX_CONCURRENT_STREAMS,
    // a peer that stops answering pings is dropped, and a session without calls for 5 minutes closed
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    "grpc.max_connection_idle_ms": 5 * 60_000,
    interceptors: [bodyBound],
  });
  const handler: grpc.handleUnaryCall<Buffer, ExportTraceServiceResponse> = (call, callback) => {
    const arrived = performance.now();
    const took = () => otlpRequestSeconds.observe({ transport: "grpc" }, (performance.now() - arrived) / 1000);
    const fail = (code: grpc.status, details: string) => {
      count(code);
      took();
      callback({ code, details });
    };
    try {
      opts.ingest.acquire();
    } catch (e) {
      return fail(grpc.status.UNAVAILABLE, e instanceof SaturatedError ? e.message : errorMessage(e));
    }
    (async () => {
      const { rejected, errors } = await opts.ingest.store(await opts.ingest.prepare("protobuf", call.request));
      count(grpc.status.OK);
      took();
      callback(null, exportResponse(rejected, errors.join("; ")));
    })()
      .catch((e: unknown) => {
        if (e instanceof ValidationError) fail(grpc.status.INVALID_ARGUMENT, e.message);
        else if (e instanceof StorageUnavailableError) fail(grpc.status.UNAVAILABLE, e.message);
        else {
          log(`[otlp-grpc] unexpected error: ${errorMessage(e)}`);
          fail(grpc.status.INTERNAL, "internal error");
        }
      })
      .finally(() => opts.ingest.release());
  };
  server.addService({ Export: exportMethod } as grpc.ServiceDefinition, { Export: handler });
  return new Promise((resolve, reject) => {
    server.bindAsync(`${opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve(server)));
  });
}
