import { droppedBecause } from "./headers";

/** Headers an edit may not set (the broker's, the dead-lettering's, trace context, Switchyard's own), with why. */
export function reservedHeaders(headers: Record<string, unknown>): { name: string; why: string }[] {
  return Object.keys(headers).flatMap((name) => {
    const why = droppedBecause(name);
    return why ? [{ name, why }] : [];
  });
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) + "…" : s);

/**
 * What an edit changes, for the audit entry: the payload before and after (their first 1,000 characters as text,
 * their sizes) and the headers added, removed and changed. The original stays stored as captured.
 */
export function editDiff(
  before: { payload: Buffer; headers: Record<string, unknown> },
  after: { payload: Buffer | null; headers: Record<string, unknown> | null },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (after.payload && !after.payload.equals(before.payload)) {
    out.payload = {
      beforeBytes: before.payload.length,
      afterBytes: after.payload.length,
      before: cut(before.payload.toString("utf8"), 1000),
      after: cut(after.payload.toString("utf8"), 1000),
    };
  }
  if (after.headers) {
    const kept = Object.fromEntries(Object.entries(before.headers).filter(([k]) => !droppedBecause(k)));
    const added = Object.keys(after.headers).filter((k) => !(k in kept));
    const removed = Object.keys(kept).filter((k) => !(k in after.headers!));
    const changed = Object.keys(after.headers).filter((k) => k in kept && JSON.stringify(kept[k]) !== JSON.stringify(after.headers![k]));
    if (added.length || removed.length || changed.length) out.headers = { added, removed, changed: changed.map((k) => ({ name: k, before: cut(JSON.stringify(kept[k]), 300), after: cut(JSON.stringify(after.headers![k]), 300) })) };
  }
  return out;
}
