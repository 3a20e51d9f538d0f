import type { NextRequest } from "next/server";
import { z } from "zod";

/**
 * Every text a request carries (query names and values, path segments) on its way to Postgres, which cannot hold
 * U+0000 in text: a NUL is refused here, as a 400, for every route at once (the route wrapper checks each request).
 */
export const requestText = z.string().refine((s) => !s.includes("\u0000"), "must not contain a NUL character");

/** The query string, each name once (a repeated name becomes an array, which only an array field accepts). */
export function queryEntries(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

const requestTexts = z.record(requestText, z.union([requestText, z.array(requestText)]));

/** Refuses a query or path parameter that holds a NUL (a ZodError: 400 in the route wrapper). */
export function checkRequestTexts(query: URLSearchParams, params: Record<string, unknown> | undefined): void {
  requestTexts.parse(queryEntries(query));
  if (params) requestTexts.parse(params);
}

/** A query parameter that may repeat (`?attr=a&attr=b`): given once or several times, always an array. */
export const repeatable = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item));

/** Query string → validated object (zod errors become 400 in the handler wrapper). */
export function queryOf<T extends z.ZodType>(req: NextRequest, schema: T): z.infer<T> {
  return schema.parse(queryEntries(req.nextUrl.searchParams));
}
