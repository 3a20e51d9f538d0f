/**
 * Values Postgres cannot hold, made storable without losing what they said. Text and jsonb refuse U+0000, and
 * Postgres' JSON input refuses lone UTF-16 surrogates (`\ud800`): both arrive in message headers, keys and error
 * texts that services and brokers pass on as they got them.
 *
 * - `pgText`: for text columns (parsed, searchable copies of data kept faithfully elsewhere): NUL and lone
 *   surrogates become U+FFFD.
 * - `pgJson`: for jsonb columns that must stay faithful: a string Postgres cannot hold becomes `{ base64 }` of its
 *   UTF-8 bytes, the form binary header values already take; an object key becomes its `pgText` form with the
 *   original kept as `{ base64, name }` beside the value, and `{ depth }` stands in for values nested past `maxDepth`;
 *   a bigint or a non-finite number (which JSON cannot write) becomes its decimal text.
 */
// eslint-disable-next-line no-control-regex
const unsafe = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unsafeAll = new RegExp(unsafe.source, "g");

export function pgUnsafe(s: string): boolean {
  return unsafe.test(s);
}

export function pgText(s: string): string;
export function pgText(s: string | null): string | null;
export function pgText(s: string | null | undefined): string | null | undefined;
export function pgText(s: string | null | undefined): string | null | undefined {
  if (typeof s !== "string" || !unsafe.test(s)) return s;
  return s.replace(unsafeAll, "\ufffd");
}

export function pgJson(v: unknown, maxDepth = 64): unknown {
  return walk(v, 0, maxDepth);
}

function walk(v: unknown, depth: number, maxDepth: number): unknown {
  if (typeof v === "string") return unsafe.test(v) ? { base64: Buffer.from(v, "utf8").toString("base64") } : v;
  if (typeof v === "bigint") return v.toString(); // JSON has no bigint
  if (typeof v === "number" && !Number.isFinite(v)) return String(v); // JSON has no NaN or Infinity
  if (v === null || typeof v !== "object") return v;
  if (depth >= maxDepth) return { depth: `nested deeper than ${maxDepth} levels: not stored` };
  if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1, maxDepth));
  const out: Record<string, unknown> = {};
  const moved: [string, unknown][] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (unsafe.test(k)) moved.push([k, x]);
    else out[k] = walk(x, depth + 1, maxDepth);
  }
  // keys Postgres cannot hold go last, so a renamed key never displaces a real one
  for (const [k, x] of moved) {
    let safe = pgText(k);
    while (safe in out) safe += "\ufffd";
    out[safe] = { name: { base64: Buffer.from(k, "utf8").toString("base64") }, value: walk(x, depth + 1, maxDepth) };
  }
  return out;
}

/** Earliest and latest instants both a JS Date and a Postgres timestamptz hold (4713 BC; JS's own limit). */
const minMs = -210_866_803_200_000;
const maxMs = 8_640_000_000_000_000;

/** A Date for milliseconds since the epoch, or null where neither JS nor Postgres can hold it (a hostile header). */
export function storableDate(ms: number | null | undefined): Date | null {
  return typeof ms === "number" && Number.isFinite(ms) && ms >= minMs && ms <= maxMs ? new Date(ms) : null;
}

/** At most `max` UTF-16 units of text, never ending on half a surrogate pair, and storable. */
export function pgTextCut(s: string, max: number): string {
  return pgText(s.length > max ? s.slice(0, /[\ud800-\udbff]/.test(s[max - 1] ?? "") ? max - 1 : max) : s);
}
