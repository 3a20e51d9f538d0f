import { errorMessage } from "../../lib/errors";

/** Calls `probe` until it resolves or `timeoutMs` passes; the error names `what` and the probe's last error. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, timeoutMs: number, hint = ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await probe();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready after ${Math.round(timeoutMs / 1000)} s: ${errorMessage(last)}${hint ? `\n  ${hint}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
