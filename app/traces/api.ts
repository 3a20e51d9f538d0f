/** The traces API from the browser: an error status becomes an ApiError with the API's own message and the status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) {
    const body = (await r.json().catch(() => null)) as { error?: { message?: unknown } } | null;
    const message = typeof body?.error?.message === "string" ? body.error.message : `HTTP ${r.status}`;
    throw new ApiError(message, r.status);
  }
  return (await r.json()) as T;
}

/** Retry what may pass on its own (network, 5xx), once; never a 4xx, which the same request gets again. */
export const retryUnlessRefused = (failures: number, e: Error): boolean => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && failures < 1;
