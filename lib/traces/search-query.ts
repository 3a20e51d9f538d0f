/**
 * The trace search's query string and its cursor, validated with zod (pure, framework-free). Every malformed value
 * is a ValidationError (400), never a value Postgres or `Date` chokes on (NUL bytes, times past year 9999, numbers
 * past what a double or a bigint holds).
 */
import { z } from "zod";
import { isoTime, queryLimit, safeText as text } from "../api/common";
import { cursorCodec, cursorMicroTime } from "../cursor";

const hexId = (digits: number) =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), `must be ${digits} hex digits`)
    .transform((s) => s.toLowerCase());
export const traceIdParam = hexId(32);

const attrParam = text(500)
  .regex(/^[^=]+=.*$/s, "must be key=value")
  .transform((s) => ({ key: s.slice(0, s.indexOf("=")), value: s.slice(s.indexOf("=") + 1) }));

/** Milliseconds, finite and at most ~31 years: anything beyond is a typo, not a duration. */
const durationMs = z.coerce.number().min(0).max(1e12);

export const traceSearchQuery = z
  .object({
    service: text(200).optional(),
    operation: text(500).optional(),
    status: z.enum(["error", "any"]).default("any"),
    minDurationMs: durationMs.optional(),
    maxDurationMs: durationMs.optional(),
    attr: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(attrParam).max(10)),
    destination: text(500).optional(),
    messageId: text(500).optional(),
    messageKey: text(500).optional(),
    /** only traces that a captured dead letter carries the id of */
    hasDeadLetters: z
      .enum(["true", "false"])
      .optional()
      .transform((v) => v === "true"),
    from: isoTime.optional(),
    to: isoTime.optional(),
    cursor: z.string().max(500).optional(),
    limit: queryLimit(200, 50),
  })
  .refine((q) => q.minDurationMs === undefined || q.maxDurationMs === undefined || q.minDurationMs <= q.maxDurationMs, {
    message: "minDurationMs is above maxDurationMs",
    path: ["minDurationMs"],
  });
export type TraceSearchQuery = z.infer<typeof traceSearchQuery>;

/** Query string → search (attr may repeat). Throws a ZodError (400) for anything malformed. */
export function parseTraceSearch(params: URLSearchParams): TraceSearchQuery {
  return traceSearchQuery.parse({ ...Object.fromEntries(params), attr: params.getAll("attr") });
}

/**
 * Where a search continues:
 * - `scan`: the matching span the scan starts below (newest first by start time, trace id, span id); the start time
 *   as Postgres writes it, to the microsecond, so no span is read twice or skipped;
 * - `below`: only traces that started before this one (start in ns since the epoch, then trace id), the last one the
 *   previous page showed.
 */
export interface TraceCursor {
  scan: { startTime: string; traceId: string; spanId: string } | null;
  below: { startUnixNano: bigint; traceId: string } | null;
}

const lowerHex = (digits: number) => z.string().regex(new RegExp(`^[0-9a-f]{${digits}}$`));
const maxInt64 = 2n ** 63n - 1n;
/** The cursor's JSON: `p` the scan position (time, trace id, span id), `b` the last trace shown (start ns, trace id). */
const traceCursor = cursorCodec(
  z.strictObject({
    p: z.strictObject({ t: cursorMicroTime, i: lowerHex(32), s: lowerHex(16) }).nullable(),
    b: z
      .strictObject({
        n: z.string().refine((n) => /^\d{1,19}$/.test(n) && BigInt(n) <= maxInt64),
        i: lowerHex(32),
      })
      .nullable(),
  }),
);

export function encodeTraceCursor(c: TraceCursor): string {
  return traceCursor.encode({
    p: c.scan ? { t: c.scan.startTime, i: c.scan.traceId, s: c.scan.spanId } : null,
    b: c.below ? { n: c.below.startUnixNano.toString(), i: c.below.traceId } : null,
  });
}

/** A cursor this API gave out, or a ValidationError (400) for anything else. */
export function decodeTraceCursor(c: string | undefined): TraceCursor | undefined {
  if (!c) return undefined;
  const { p, b } = traceCursor.decode(c);
  return {
    scan: p ? { startTime: p.t, traceId: p.i, spanId: p.s } : null,
    below: b ? { startUnixNano: BigInt(b.n), traceId: b.i } : null,
  };
}
