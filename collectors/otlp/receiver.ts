import http from "node:http";
import { createGunzip, createInflate } from "node:zlib";
import type { Readable, Transform } from "node:stream";
import { encodeResponse } from "../../lib/otlp/decode";
import { SaturatedError, StorageUnavailableError, type SpanIngest } from "./ingest";
import type { OtlpFormat } from "./prepare";
import { AppError, PayloadTooLargeError, ValidationError, errorMessage } from "../../lib/errors";
import { noteOtlpRefusal, otlpRequests, otlpRequestSeconds } from "../metrics";
import { BodyBudget, EvictedError, watchRate } from "./body-budget";

/**
 * OTLP/HTTP trace receiver: POST /v1/traces with application/x-protobuf or application/json, gzip or deflate.
 * Spans are acknowledged only after they are stored (see SpanIngest); a saturated ingest or an unavailable store is
 * answered 503 with Retry-After, which OTLP exporters retry, instead of accepting spans that would be dropped.
 *
 * A request takes an ingest slot only once its whole body is in, so a slow or stalled client costs its own socket and
 * nothing else: its body must arrive within `bodyTimeoutMs` and at no less than `minBytesPerSecond` in any window of
 * RATE_WINDOW_MS (else 408, connection closed), and the bytes of all bodies being read at once, after decompression,
 * are bounded (`budget`): a body that needs room evicts the body that has made no progress for the longest (503 with
 * Retry-After, connection closed) rather than being refused, so a burst of gzip sent and then stalled cannot keep
 * ordinary exports out. A body refused before it was read whole (413, 400, 503) is drained, within the same time
 * bound, so the keep-alive socket stays usable for the exporter's next request.
 */
export interface ReceiverOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  ingest: SpanIngest;
  /** time from a request's headers until its body is in (OTLP_BODY_TIMEOUT_MS); default 10 s */
  bodyTimeoutMs?: number;
  /** the least rate a body must arrive at, as sent (OTLP_BODY_MIN_RATE); 0 for none; default 16 KiB/s */
  minBytesPerSecond?: number;
  /** bytes held by bodies being received (shared with OTLP/gRPC); default in-flight limit × body limit */
  budget?: BodyBudget;
  log?: (s: string) => void;
}

export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
export const DEFAULT_MIN_BYTES_PER_SECOND = 16 * 1024;

/** The budget of bytes being received the receivers share unless given one: the in-flight limit × the body limit. */
export const defaultBodyBudget = (maxInFlight: number, maxBodyBytes: number) => new BodyBudget(Math.max(maxInFlight, 1) * maxBodyBytes);

export class BodyTimeoutError extends AppError {
  readonly status = 408;
  readonly code = "request_timeout";
}

function formatOf(contentType: string | undefined): OtlpFormat | null {
  const t = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (t === "application/x-protobuf" || t === "application/protobuf") return "protobuf";
  if (t === "application/json") return "json";
  return null;
}

/**
 * Reads (and decompresses) a body within `timeoutMs` and at `minBytesPerSecond`, at most `limit` bytes after
 * decompression, each byte held taken from `budget` until the body is complete (or evicted to make room for another).
 * On any failure the decompressor is detached and destroyed, and the request is left unread for the caller to drain.
 */
function readBody(req: http.IncomingMessage, limit: number, budget: BodyBudget, timeoutMs: number, minBytesPerSecond: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLargeError(`body of ${declared} bytes is over the ${limit}-byte limit`));
  const enc = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  let inflate: Transform | null = null;
  if (enc === "gzip") inflate = createGunzip();
  else if (enc === "deflate") inflate = createInflate();
  else if (enc !== "identity") return Promise.reject(new ValidationError(`unsupported content-encoding '${enc}'`));
  const stream: Readable = inflate ? req.pipe(inflate) : req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let sent = 0; // as the client sent it (compressed)
    let settled = false;
    const finish = (e: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopWatch();
      stream.off("data", onData).off("end", onEnd).off("error", onError);
      req.off("error", onError).off("close", onClose).off("data", onSent);
      reader.close();
      if (inflate) {
        req.unpipe(inflate);
        inflate.destroy();
      }
      if (e) reject(e);
      else resolve(Buffer.concat(chunks, size));
    };
    const reader = budget.open((why) => finish(new EvictedError(why)));
    const onSent = (c: Buffer) => {
      sent += c.length;
    };
    const onData = (c: Buffer) => {
      if (!inflate) sent += c.length;
      if (size + c.length > limit) return finish(new PayloadTooLargeError(`body is over the ${limit}-byte limit after decompression`));
      if (!reader.take(c.length)) return finish(new SaturatedError(1));
      size += c.length;
      chunks.push(c);
    };
    const onEnd = () => finish(null);
    const onError = (e: Error) => finish(new ValidationError(`could not read the body: ${errorMessage(e)}`));
    // a request closes once read to its end, which comes before the decompressor's end: only an incomplete one failed
    const onClose = () => {
      if (!req.complete) finish(new ValidationError("the client went away before its body was in"));
    };
    const timer = setTimeout(() => finish(new BodyTimeoutError(`the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    const stopWatch = watchRate(minBytesPerSecond, () => sent, (why) => finish(new BodyTimeoutError(why)));
    stream.on("data", onData).on("end", onEnd).on("error", onError);
    if (inflate) req.on("error", onError).on("data", onSent);
    req.on("close", onClose);
  });
}

export function startOtlpHttpReceiver(opts: ReceiverOptions): Promise<http.Server> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const minBytesPerSecond = opts.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  const budget = opts.budget ?? defaultBodyBudget(opts.ingest.maxInFlight, opts.maxBodyBytes);

  const server = http.createServer(async (req, res) => {
    const format = formatOf(req.headers["content-type"]);
    const arrived = performance.now();
    const reply = (status: number, body: string | Uint8Array, type: string, headers: Record<string, string> = {}) => {
      otlpRequests.inc({ transport: "http", format: format ?? "other", status: String(status) });
      if (status === 503) noteOtlpRefusal();
      otlpRequestSeconds.observe({ transport: "http" }, (performance.now() - arrived) / 1000);
      res.writeHead(status, { "content-type": type, ...headers });
      res.end(body);
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}, close = status === 408) => {
      // a client too slow to send its body, or one evicted mid-body, is not waited for again: the connection is
      // closed after the answer
      if (close) headers = { ...headers, connection: "close" };
      // OTLP answers errors in the request's content type; a JSON Status for JSON, text otherwise.
      if (format === "json") reply(status, JSON.stringify({ code: status, message }), "application/json", headers);
      else reply(status, message, "text/plain; charset=utf-8", headers);
      if (!req.complete && !close) drain();
    };
    // The rest of a body refused before it was read is read and dropped, so the socket can serve the next request;
    // a client still sending after the body timeout loses its connection instead.
    const drain = () => {
      req.unpipe();
      req.resume();
      const t = setTimeout(() => req.socket.destroy(), bodyTimeoutMs);
      const done = () => clearTimeout(t);
      req.once("end", done).once("close", done);
    };
    if (req.url?.split("?")[0] !== "/v1/traces") return fail(404, "only /v1/traces is served here");
    if (req.method !== "POST") return fail(405, "use POST", { allow: "POST" });
    if (!format) return fail(415, "content-type must be application/x-protobuf or application/json");
    let body: Buffer;
    try {
      body = await readBody(req, opts.maxBodyBytes, budget, bodyTimeoutMs, minBytesPerSecond);
    } catch (e) {
      if (e instanceof EvictedError) return fail(503, e.message, { "retry-after": String(e.retryAfterSeconds) }, true);
      if (e instanceof SaturatedError) return fail(503, "too many export bodies being read, retry later", { "retry-after": String(e.retryAfterSeconds) });
      if (e instanceof AppError) return fail(e.status, e.message);
      log(`[otlp] unexpected error reading a body: ${errorMessage(e)}`);
      return fail(500, "internal error");
    }
    // admission only now that the body is in: the slots bound decoding and storing, not waiting for clients
    try {
      opts.ingest.acquire();
    } catch (e) {
      if (e instanceof SaturatedError) return fail(503, e.message, { "retry-after": String(e.retryAfterSeconds) });
      throw e;
    }
    try {
      // the body goes to a decode thread, and only its COPY text comes back (see SpanIngest.prepare)
      const prepared = await opts.ingest.prepare(format, body);
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
  // the body timeout bounds each body; this bounds a request as a whole (headers included), as before
  server.requestTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
