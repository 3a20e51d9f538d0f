/** GET an API path; on an error status, throw with the API's own `{ error: { message } }` text. */
export async function fetchJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) {
    const body = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `HTTP ${r.status}`);
  }
  return (await r.json()) as T;
}
