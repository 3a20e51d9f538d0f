import { escapeLike } from "./patterns";

/**
 * Free-text search of dead letters, as patterns for SQL (pure; db/queries/dead-letters.ts runs them).
 *
 * Payloads and Kafka keys are bytes (bytea) that may be invalid UTF-8, so they are never decoded: Postgres's
 * `encode(bytes, 'escape')` writes them as ASCII text (NUL and bytes ≥ 0x80 as `\ooo`, `\` doubled, everything else
 * as itself), the query's UTF-8 bytes are written the same way, and the two are compared case-insensitively (ASCII
 * letters). A plain substring test on that text could start inside an escape (`303` inside the `\303` of `ü`), so the
 * match is confirmed by a regular expression that walks the escaped text token by token from its start.
 * Headers are jsonb: their text form is searched with the query written as JSON would escape it.
 */

/** Postgres's `escape` encoding of bytes (the inverse of `decode(text, 'escape')`). */
export function byteaEscape(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0x5c) out += "\\\\";
    else if (b === 0 || b >= 0x80) out += `\\${b.toString(8).padStart(3, "0")}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** A literal for a Postgres advanced regular expression: every non-alphanumeric character escaped. */
export function escapeRegex(s: string): string {
  return s.replace(/[^0-9A-Za-z]/g, (c) => `\\${c}`);
}

export interface BytesSearch {
  /** ILIKE pattern over `encode(col, 'escape')` (a fast first test) */
  like: string;
  /** `~*` regex over `encode(col, 'escape')`, anchored and token-aligned (the exact test) */
  regex: string;
}

export function bytesSearch(q: string): BytesSearch {
  const escaped = byteaEscape(Buffer.from(q, "utf8"));
  return {
    like: `%${escapeLike(escaped)}%`,
    regex: `^(?:[^\\\\]|\\\\\\\\|\\\\[0-7]{3})*${escapeRegex(escaped)}`,
  };
}

/** ILIKE pattern over `headers::text` (jsonb's text form): the query escaped as JSON writes strings. */
export function jsonTextLike(q: string): string {
  return `%${escapeLike(JSON.stringify(q).slice(1, -1))}%`;
}

/** Postgres text cannot hold U+0000; a filter containing it can match nothing stored as text. */
export function hasNul(s: string): boolean {
  return s.includes("\u0000");
}
