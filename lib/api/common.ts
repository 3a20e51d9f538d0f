import { z } from "zod";

/** The JSON error body of every /api/v1 failure (app/api/_lib/handler.ts toErrorResponse). */
export const apiErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "invalid_request, unauthenticated, forbidden, not_found, method_not_allowed, conflict, payload_too_large, rate_limited, unavailable, internal" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "ApiError" });

/** Text Postgres can hold (no U+0000), of bounded length: every path segment and free-text query value. */
export const safeText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes("\u0000"), "must not contain a NUL character");

/** A path segment naming something (a cluster, a group, a queue): non-empty text Postgres can hold. */
export const nameSegment = (what: string, max = 500) => safeText(max).min(1, `must name a ${what}`);

/** A positive whole number as a path segment (`12`, never `1e3`, `0x10` or ` 7`). */
export const idSegment = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, `must be a ${what} id (a positive whole number)`)
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER, `must be a ${what} id (a positive whole number)`));

/** An ISO time with an offset that Postgres and `Date` both hold (years 1970–9999). */
export const isoTime = z.iso.datetime({ offset: true }).refine((s) => {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && ms >= 0 && ms < Date.UTC(10000, 0, 1);
}, "must be a time between 1970 and 9999");

/**
 * The checks of an optional `from`/`to` range (ISO times): `from` before `to`, at most `maxDays` apart, `to` taken as
 * now when only `from` is given (so `from=1970-…` alone is no way around the bound), both errors on `from`.
 */
export function rangeIssues(q: { from?: string; to?: string }, maxDays: number, ctx: z.RefinementCtx): void {
  if (!q.from) return;
  const from = Date.parse(q.from);
  const to = q.to ? Date.parse(q.to) : Date.now();
  if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: q.to ? "`from` must be before `to`" : "`from` must be in the past (no `to` means now)" });
  else if (to - from > maxDays * 86_400_000) ctx.addIssue({ code: "custom", path: ["from"], message: `the range may be at most ${maxDays} days${q.to ? "" : " (no `to` means now)"}` });
}

/** A page size in a query: decimal digits only (never `0x10`, `1e2` or an empty value), within min..max. */
export const queryLimit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be a whole number from 1 to ${max}`).max(max, `must be a whole number from 1 to ${max}`))
    .default(fallback);

/** A query flag: `true`/`false` (also `1`/`0`). */
export const queryBool = z.enum(["true", "false", "1", "0"]).transform((s) => s === "true" || s === "1");

/** A query parameter that may repeat (`?attr=a&attr=b`): given once or several times, always an array. */
export const repeatable = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item));

/** A response field whose shape is not written down yet. */
export const unspecified = z.unknown();

/** A time in an answer: ISO 8601 in UTC, as `Date.toISOString` writes it. */
export const utcTime = z.iso.datetime().meta({ description: "ISO 8601 time in UTC (`2024-05-01T12:00:00.000Z`)" });
