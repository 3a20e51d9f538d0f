/**
 * Telling "Postgres refused this row" from "Postgres is not there". A refused row will be refused again however often
 * it is retried, so a capture that treated it as an outage would stall its queue for ever; an outage must be waited
 * out with nothing acknowledged. SQLSTATE classes: 22 data exception (NUL in text, bad escape, value out of range),
 * 23 integrity constraint, 54 program limit exceeded (a row or value too large). Everything else, and every error
 * without a SQLSTATE (connection refused, reset, timeout), counts as unavailable; a TypeError or RangeError raised while
 * building the statement from the row counts as refused.
 */
export function sqlState(e: unknown): string | null {
  for (let x: unknown = e, i = 0; x && typeof x === "object" && i < 5; x = (x as { cause?: unknown }).cause, i++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return null;
}

export function isRowRejected(e: unknown): boolean {
  // a row the statement could not even be built from (a value JSON cannot write, a date JS cannot print)
  if (e instanceof TypeError || e instanceof RangeError) return true;
  const s = sqlState(e);
  return s !== null && (s.startsWith("22") || s.startsWith("23") || s.startsWith("54"));
}
