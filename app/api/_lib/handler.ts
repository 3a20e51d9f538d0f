import { NextResponse, type NextRequest } from "next/server";
import { ZodError } from "zod";
import { AppError, errorMessage } from "@/lib/errors";
import { redactUrls } from "@/lib/config/env";
import { checkRequestTexts } from "./params";

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** The SQLSTATE of a driver error (drizzle wraps it as `cause`), if there is one. */
function sqlState(e: unknown): string | null {
  for (let x: unknown = e, i = 0; x && typeof x === "object" && i < 5; x = (x as { cause?: unknown }).cause, i++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return null;
}

/** The one place typed errors become HTTP statuses; every /api/v1 handler is wrapped by `route`. */
export function toErrorResponse(e: unknown): NextResponse<ApiErrorBody> {
  if (e instanceof AppError) {
    return NextResponse.json({ error: { code: e.code, message: e.message, details: e.details } }, { status: e.status });
  }
  if (e instanceof ZodError) {
    const message = e.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ");
    return NextResponse.json({ error: { code: "invalid_request", message } }, { status: 400 });
  }
  // SQLSTATE class 22, data exception (a value out of range, a malformed date, a NUL in text): the API only reads, and
  // every value it hands Postgres comes from the request, so a value Postgres refuses is a bad request. This is the
  // net under the validation in front of it, so that a check it lacks still answers 400, not 500.
  if (sqlState(e)?.startsWith("22")) {
    console.error(`[api] a request value was refused by Postgres: ${redactUrls(errorMessage(e))}`);
    return NextResponse.json({ error: { code: "invalid_request", message: "a value in the request is out of range or malformed" } }, { status: 400 });
  }
  console.error(`[api] unexpected error: ${redactUrls(errorMessage(e))}`);
  return NextResponse.json({ error: { code: "internal", message: "internal error" } }, { status: 500 });
}

/**
 * Wraps an /api/v1 handler: the request's texts are checked first (no NUL in a query value or path segment), and
 * whatever the handler throws becomes the JSON error body with its status.
 */
export function route<C extends { params?: Promise<Record<string, string | string[]>> } | undefined>(fn: (req: NextRequest, ctx: C) => Promise<unknown>) {
  return async (req: NextRequest, ctx: C): Promise<NextResponse> => {
    try {
      checkRequestTexts(req.nextUrl.searchParams, ctx?.params ? await ctx.params : undefined);
      const body = await fn(req, ctx);
      return body instanceof NextResponse ? body : NextResponse.json(body);
    } catch (e) {
      return toErrorResponse(e);
    }
  };
}
