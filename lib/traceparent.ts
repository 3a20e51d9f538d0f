/** The trace id of a W3C `traceparent` header (version 00 layout), or null when the value is not one. */
export function traceIdFromTraceparent(value: unknown): string | null {
  const s = typeof value === "string" ? value : Buffer.isBuffer(value) ? value.toString("utf8") : null;
  if (!s) return null;
  const m = /^\s*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/i.exec(s);
  if (!m || m[1]!.toLowerCase() === "ff") return null;
  const id = m[2]!.toLowerCase();
  return /^0+$/.test(id) ? null : id;
}
