import { z } from "zod";
import { ValidationError } from "./errors";

/**
 * The one cursor codec of the API: a page position is any JSON value checked by its list's zod schema, written as
 * base64url JSON. A cursor that does not decode, or decodes to something its schema refuses, is a ValidationError
 * (400), never a query.
 */
export function cursorCodec<T extends z.ZodType>(schema: T) {
  return {
    encode(position: z.input<T>): string {
      return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
    },
    decode(cursor: string): z.output<T> {
      const invalid = () => new ValidationError("cursor: not a cursor this API gave out");
      if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) throw invalid();
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
      } catch {
        throw invalid();
      }
      const r = schema.safeParse(raw);
      if (!r.success) throw invalid();
      return r.data;
    },
  };
}

/** A time a cursor may carry: ISO 8601 UTC that Date and Postgres both hold. */
export const cursorTime = z.string().refine((t) => {
  const ms = Date.parse(t);
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/.test(t) && Number.isFinite(ms) && ms >= 0 && ms < Date.UTC(10000, 0, 1);
});

/**
 * A time to the microsecond as Postgres writes it (`to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`), exactly six
 * digits, so that a page continues exactly where the last one stopped: a real day and time (Date.parse would roll
 * 02-30 over), within what Postgres and Date hold.
 */
export const cursorMicroTime = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
  .refine((t) => {
    const ms = Date.parse(t);
    return Number.isFinite(ms) && ms >= 0 && ms < Date.UTC(10000, 0, 1) && new Date(ms).toISOString().slice(0, 19) === t.slice(0, 19);
  });

/** (time, id) positions, the order of most lists: newest first, ties by id. */
export const timeIdCursor = cursorCodec(z.object({ t: cursorTime, id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict());
