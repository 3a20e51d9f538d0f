import path from "node:path";
import { Piscina } from "piscina";
import { ValidationError } from "../../lib/errors";
import { prepareExport, type OtlpFormat, type PreparedExport } from "./prepare";
import type { PrepareResult } from "./prepare-worker";

export type Prepare = (format: OtlpFormat, body: Uint8Array) => Promise<PreparedExport>;

/**
 * Where export bodies are decoded and turned into COPY text: on `threads` worker threads (piscina), so that decoding,
 * most of the receiver's CPU, runs beside the main thread's sockets and COPY streams instead of queueing behind them;
 * or, with 0 threads, on the main thread. The SpanIngest admission limit bounds how many tasks wait.
 */
export function preparePool(threads: number, flows = true, workflowKeys: string[] = []): { prepare: Prepare; close(): Promise<void> } {
  if (threads === 0) return { prepare: async (format, body) => prepareExport(format, body, flows, workflowKeys), close: async () => undefined };
  const pool = new Piscina({
    filename: path.join(__dirname, "prepare-worker.ts"),
    minThreads: threads,
    maxThreads: threads,
    // the worker is TypeScript: it inherits the tsx loader when the process was started through tsx, else gets it
    execArgv: process.execArgv.some((a) => a.includes("tsx")) ? undefined : [...process.execArgv, "--import", "tsx"],
  });
  return {
    prepare: async (format, body) => {
      // the body is moved to the worker, not copied; a view into a larger buffer (Node's small-buffer pool, a gRPC
      // frame) has its own bytes copied out first, since moving would detach what shares that memory, and cloning the
      // view would copy the whole buffer under it
      const owns = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
      const own = owns ? body : new Uint8Array(body);
      const r = (await pool.run({ format, body: own, flows, workflowKeys }, { transferList: [own.buffer as ArrayBuffer] })) as PrepareResult;
      if (!r.ok) throw new ValidationError(r.invalid);
      return r.prepared;
    },
    close: () => pool.destroy(),
  };
}
