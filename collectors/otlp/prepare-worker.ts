import { ValidationError, errorMessage } from "../../lib/errors";
import { prepareExport, type OtlpFormat, type PreparedExport } from "./prepare";

/**
 * The decode threads' task (a piscina worker, see ./prepare-pool.ts). Errors do not keep their class across threads,
 * so an undecodable body comes back as a value the main thread turns into a ValidationError again.
 */
export type PrepareResult = { ok: true; prepared: PreparedExport } | { ok: false; invalid: string };

export default function prepareTask({ format, body, flows, workflowKeys }: { format: OtlpFormat; body: Uint8Array; flows: boolean; workflowKeys: string[] }): PrepareResult {
  try {
    return { ok: true, prepared: prepareExport(format, body, flows, workflowKeys) };
  } catch (e) {
    if (e instanceof ValidationError) return { ok: false, invalid: e.message };
    throw new Error(errorMessage(e));
  }
}
