import * as grpc from "@grpc/grpc-js";
import { encodeExportResponse, exportResponse } from "../../lib/otlp/decode";
import type { ExportTraceServiceResponse } from "../../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { ValidationError, errorMessage } from "../../lib/errors";
import { otlpRequests } from "../metrics";
import { SaturatedError, StorageUnavailableError, type SpanIngest } from "./ingest";

/**
 * OTLP/gRPC trace receiver (`opentelemetry.proto.collector.trace.v1.TraceService/Export`) on @grpc/grpc-js, with the
 * generated opentelemetry-proto code for (de)serialising. The same semantics as OTLP/HTTP: gzip (grpc-js negotiates
 * it), partial success, INVALID_ARGUMENT for an undecodable request (not retryable), RESOURCE_EXHAUSTED over the size
 * limit (grpc-js's max receive length), UNAVAILABLE when ingest is saturated or the store is down (retryable), and
 * nothing acknowledged before it is stored.
 */
export interface GrpcReceiverOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  ingest: SpanIngest;
  log?: (s: string) => void;
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
  const server = new grpc.Server({ "grpc.max_receive_message_length": opts.maxBodyBytes });
  const count = (code: grpc.status) => otlpRequests.inc({ transport: "grpc", format: "protobuf", status: grpc.status[code] ?? String(code) });
  const handler: grpc.handleUnaryCall<Buffer, ExportTraceServiceResponse> = (call, callback) => {
    const fail = (code: grpc.status, details: string) => {
      count(code);
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
