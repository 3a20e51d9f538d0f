import http from "node:http";
import { createGunzip, createInflate } from "node:zlib";
import type { Readable } from "node:stream";
import { encodeResponse } from "../../lib/otlp/decode";
import { SaturatedError, StorageUnavailableError, type SpanIngest } from "./ingest";
import type { OtlpFormat } from "./prepare";
import { AppError, PayloadTooLargeError, ValidationError, errorMessage } from "../../lib/errors";
import { otlpRequests } from "../metrics";

/**
 * OTLP/HTTP trace receiver: POST /v1/traces with application/x-protobuf or application/json, gzip or deflate.
 * Spans are acknowledged only after they are stored (see SpanIngest); a saturated ingest or an unavailable store is
 * answered 503 with Retry-After, which OTLP exporters retry, instead of accepting spans that would be dropped.
 */
export interface ReceiverOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  ingest: SpanIngest;
  log?: (s: string) => void;
}

function formatOf(contentType: string | undefined): OtlpFormat | null {
  const t = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (t === "application/x-protobuf" || t === "application/protobuf") return "protobuf";
  if (t === "application/json") return "json";
  return null;
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(`body of ${declared} bytes is over the ${limit}-byte limit`);
  const enc = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  let stream: Readable = req;
  if (enc === "gzip") stream = req.pipe(createGunzip());
  else if (enc === "deflate") stream = req.pipe(createInflate());
  else if (enc !== "identity") throw new ValidationError(`unsupported content-encoding '${enc}'`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of stream) {
      size += (c as Buffer).length;
      if (size > limit) throw new PayloadTooLargeError(`body is over the ${limit}-byte limit after decompression`);
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new ValidationError(`could not read the body: ${errorMessage(e)}`);
  }
  return Buffer.concat(chunks);
}

export function startOtlpHttpReceiver(opts: ReceiverOptions): Promise<http.Server> {
  const log = opts.log ?? ((s: string) => console.log(s));

  const server = http.createServer(async (req, res) => {
    const format = formatOf(req.headers["content-type"]);
    const reply = (status: number, body: string | Uint8Array, type: string, headers: Record<string, string> = {}) => {
      otlpRequests.inc({ transport: "http", format: format ?? "other", status: String(status) });
      res.writeHead(status, { "content-type": type, ...headers });
      res.end(body);
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
      // OTLP answers errors in the request's content type; a JSON Status for JSON, text otherwise.
      if (format === "json") reply(status, JSON.stringify({ code: status, message }), "application/json", headers);
      else reply(status, message, "text/plain; charset=utf-8", headers);
      if (!req.complete) req.resume();
    };
    if (req.url?.split("?")[0] !== "/v1/traces") return fail(404, "only /v1/traces is served here");
    if (req.method !== "POST") return fail(405, "use POST", { allow: "POST" });
    if (!format) return fail(415, "content-type must be application/x-protobuf or application/json");
    try {
      opts.ingest.acquire();
    } catch (e) {
      if (e instanceof SaturatedError) return fail(503, e.message, { "retry-after": String(e.retryAfterSeconds) });
      throw e;
    }
    try {
      // the body goes to a decode thread, and only its COPY text comes back (see SpanIngest.prepare)
      const prepared = await opts.ingest.prepare(format, await readBody(req, opts.maxBodyBytes));
      const { rejected, errors } = await opts.ingest.store(prepared);
      const out = encodeResponse(format, rejected, errors.join("; "));
      reply(200, out, format === "protobuf" ? "application/x-protobuf" : "application/json");
    } catch (e) {
      if (e instanceof StorageUnavailableError) fail(503, e.message, { "retry-after": String(e.retryAfterSeconds) });
      else if (e instanceof AppError) fail(e.status, e.message);
      else {
        log(`[otlp] unexpected error: ${errorMessage(e)}`);
        fail(500, "internal error");
      }
    } finally {
      opts.ingest.release();
    }
  });
  server.requestTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
