import type { NextRequest } from "next/server";
import type { z } from "zod";

/** Query string → validated object (zod errors become 400 in the handler wrapper). */
export function queryOf<T extends z.ZodType>(req: NextRequest, schema: T): z.infer<T> {
  return schema.parse(Object.fromEntries(req.nextUrl.searchParams));
}
