import { NextResponse, type NextRequest } from "next/server";
import { ZodError } from "zod";
import { AppError, errorMessage } from "@/lib/errors";
import { redactUrls } from "@/lib/config/env";

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
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
  console.error(`[api] unexpected error: ${redactUrls(errorMessage(e))}`);
  return NextResponse.json({ error: { code: "internal", message: "internal error" } }, { status: 500 });
}

export function route<C>(fn: (req: NextRequest, ctx: C) => Promise<unknown>) {
  return async (req: NextRequest, ctx: C): Promise<NextResponse> => {
    try {
      const body = await fn(req, ctx);
      return body instanceof NextResponse ? body : NextResponse.json(body);
    } catch (e) {
      return toErrorResponse(e);
    }
  };
}
