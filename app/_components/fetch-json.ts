import type { Endpoint, ResponseOf } from "@/lib/api/endpoint";

/** An API answer with an error status: the API's own `{ error: { code, message } }`, and the HTTP status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
  /** a 4xx: the request itself is wrong (a stale or hand-edited link); asking again gives the same answer */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** How long a page waits for the API before it says so (a page never shows "Loading…" for ever). */
export const apiTimeoutMs = 20_000;

/**
 * GET an API path; on an error status, throw an ApiError with the API's own message; an API that does not answer
 * within `apiTimeoutMs` is an error too. `signal` is react-query's (cancels a query nobody waits for).
 */
export async function fetchJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(apiTimeoutMs);
  let r: Response;
  try {
    r = await fetch(path, { cache: "no-store", signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (e) {
    if (timeout.aborted) throw new ApiError(`the dashboard API did not answer within ${apiTimeoutMs / 1000} s`, 504, "timeout");
    throw e instanceof Error && e.name === "AbortError" ? e : new ApiError(`cannot reach the dashboard API: ${e instanceof Error ? e.message : String(e)}`, 0, "network");
  }
  return readAnswer<T>(r);
}

/** The session ended (signed out elsewhere, expired, token rotated): back to sign-in, then to this page. */
function toSignIn(): void {
  if (typeof window === "undefined" || window.location.pathname === "/sign-in") return;
  const next = `${window.location.pathname}${window.location.search}`;
  window.location.assign(`/sign-in?next=${encodeURIComponent(next)}`);
}

async function readAnswer<T>(r: Response): Promise<T> {
  if (!r.ok) {
    const body = (await r.json().catch(() => null)) as { error?: { message?: string; code?: string } } | null;
    if (r.status === 401) toSignIn();
    throw new ApiError(body?.error?.message ?? `HTTP ${r.status}`, r.status, body?.error?.code ?? null);
  }
  if (r.status === 204) return null as T;
  return (await r.json()) as T;
}

/**
 * A mutation from the dashboard (POST/PUT/PATCH/DELETE with a JSON body): same-origin, so the browser's Origin and
 * Sec-Fetch-Site say it comes from the dashboard itself, which the API requires of every browser mutation.
 */
export async function sendJson<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  let r: Response;
  try {
    r = await fetch(path, {
      method,
      cache: "no-store",
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(apiTimeoutMs),
    });
  } catch (e) {
    throw new ApiError(`cannot reach the dashboard API: ${e instanceof Error ? e.message : String(e)}`, 0, "network");
  }
  return readAnswer<T>(r);
}

/** The names of the `{param}` segments of an endpoint's path: `"/a/{x}/{y}"` → `"x" | "y"`. */
export type PathParams<P extends string> = P extends `${string}{${infer K}}${infer Rest}` ? K | PathParams<Rest> : never;

/** The query an endpoint reads, as a client sends it: any of its parameters, as text. */
type QueryFor<E extends Endpoint> = E["query"] extends { shape: infer S } ? { [K in keyof S]?: string | null } : Record<string, never>;

export interface EndpointRequest<E extends Endpoint> {
  /** one value per `{param}` of the path, each percent-encoded into its segment (the vhost `/` becomes `%2F`) */
  params?: Record<PathParams<E["path"]>, string>;
  query?: URLSearchParams | QueryFor<E>;
  signal?: AbortSignal;
}

/**
 * The URL of an endpoint of lib/api/contracts: its path, given as the contract writes it (the type checks it is that
 * contract's path, so no schema has to reach the browser), with each `{param}` filled in and the query appended.
 */
export function endpointUrl<E extends Endpoint>(path: E["path"], req: Omit<EndpointRequest<E>, "signal"> = {}): string {
  const params = (req.params ?? {}) as Record<string, string>;
  const filled = path.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`${path}: no value for {${k}}`);
    return encodeURIComponent(v);
  });
  const qs = new URLSearchParams();
  if (req.query instanceof URLSearchParams) req.query.forEach((v, k) => qs.append(k, v));
  else for (const [k, v] of Object.entries(req.query ?? {})) if (typeof v === "string" && v !== "") qs.set(k, v);
  const q = qs.toString();
  return q ? `${filled}?${q}` : filled;
}

/**
 * GET an endpoint of lib/api/contracts and type its answer from the contract's response schema (ResponseOf): e.g.
 * `fetchEndpoint<typeof api.getQueue>("/api/v1/rabbitmq/queues/{broker}/{vhost}/{name}", { params, query, signal })`.
 */
export function fetchEndpoint<E extends Endpoint>(path: E["path"], req: EndpointRequest<E> = {}): Promise<ResponseOf<E>> {
  return fetchJson<ResponseOf<E>>(endpointUrl<E>(path, req), req.signal);
}

/** react-query's retry: never for a 4xx (the same link gives the same 400), once for the rest. */
export function retryUnlessClientError(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.isClientError) return false;
  return failureCount < 1;
}
