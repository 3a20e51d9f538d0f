import { randomUUID } from "node:crypto";
import { NextResponse, type NextRequest } from "next/server";
import { ZodError, type z } from "zod";
import { actorOf, identify } from "@/app/_server/auth";
import { authBlockedFor, countAuthFailure } from "@/app/_server/auth-failures";
import { serverContext } from "@/app/_server/context";
import { recordAudit } from "@/db/queries/audit";
import type { Endpoint } from "@/lib/api/endpoint";
import type { Actor } from "@/lib/audit";
import { isCrossSiteMutation, type Identity } from "@/lib/auth/identity";
import { hasRole } from "@/lib/auth/roles";
import { redactUrls, type Config } from "@/lib/config/env";
import { AppError, ForbiddenError, PayloadTooLargeError, TooManyRequestsError, UnauthenticatedError, ValidationError, errorMessage } from "@/lib/errors";
import { checkRequestTexts, queryEntries } from "./params";

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
    const headers = e instanceof TooManyRequestsError ? { "retry-after": String(e.retryAfterSeconds) } : undefined;
    return NextResponse.json({ error: { code: e.code, message: e.message, details: e.details } }, { status: e.status, headers });
  }
  if (e instanceof ZodError) {
    const message = e.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ");
    return NextResponse.json({ error: { code: "invalid_request", message } }, { status: 400 });
  }
  // SQLSTATE class 22, data exception (a value out of range, a malformed date, a NUL in text): every value a read hands
  // Postgres comes from the request, so a value Postgres refuses is a bad request. This is the net under the
  // validation in front of it, so that a check it lacks still answers 400, not 500.
  if (sqlState(e)?.startsWith("22")) {
    console.error(`[api] a request value was refused by Postgres: ${redactUrls(errorMessage(e))}`);
    return NextResponse.json({ error: { code: "invalid_request", message: "a value in the request is out of range or malformed" } }, { status: 400 });
  }
  console.error(`[api] unexpected error: ${redactUrls(errorMessage(e))}`);
  return NextResponse.json({ error: { code: "internal", message: "internal error" } }, { status: 500 });
}

type Part<E, K extends "params" | "query" | "body"> = E extends { [k in K]: infer S extends z.ZodType } ? z.output<S> : undefined;

export interface CookieOp {
  name: string;
  value: string;
  options?: { httpOnly?: boolean; sameSite?: "lax" | "strict"; secure?: boolean; path?: string; maxAge?: number };
}

/** What a handler is given: everything already checked (identity, role, path, query, body). */
export interface HandlerInput<E extends Endpoint> {
  req: NextRequest;
  config: Config;
  params: Part<E, "params">;
  query: Part<E, "query">;
  body: Part<E, "body">;
  /** null only on endpoints with `authenticated: false` */
  identity: E["authenticated"] extends false ? Identity | null : Identity;
  /** who acts, for the audit entry a mutation writes in its transaction */
  actor: Actor;
  /** cookies to set on the response (sign-in, sign-out) */
  cookies: CookieOp[];
}

/** Request bodies are small JSON documents (filters, edits); a larger one is refused before it is parsed. */
const maxBodyBytes = 1024 * 1024;

async function readJsonBody(req: NextRequest): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new ValidationError("body: send it as JSON (Content-Type: application/json)");
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > maxBodyBytes) throw new PayloadTooLargeError(`body: larger than ${maxBodyBytes} bytes`);
  const text = await req.text();
  if (Buffer.byteLength(text) > maxBodyBytes) throw new PayloadTooLargeError(`body: larger than ${maxBodyBytes} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("body: not valid JSON");
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{8,100}$/;

/** Writes the audit entry of a request that was refused or failed; never lets the log's own failure hide the answer. */
async function auditAttempt(actor: Actor, ep: Endpoint, req: NextRequest, outcome: "denied" | "failed", reason: string) {
  try {
    const { db } = serverContext();
    await recordAudit(db.db, {
      actor,
      action: ep.audit?.action ?? (ep.method === "GET" ? "read" : `${ep.method.toLowerCase()}`),
      targetType: ep.audit?.targetType ?? "api",
      targetId: req.nextUrl.pathname.slice(0, 500),
      details: { method: req.method, endpoint: ep.path, reason: reason.slice(0, 500) },
      outcome,
    });
  } catch (e) {
    console.error(`[audit] could not record a ${outcome} ${ep.method} ${ep.path}: ${redactUrls(errorMessage(e))}`);
  }
}

/**
 * Wraps an /api/v1 handler with its contract (lib/api/contracts): the request's texts are checked (no NUL), a
 * browser's cross-site mutation is refused, the identity is established and the endpoint's role checked (401/403,
 * audited), path, query and body are parsed with the contract's schemas, and the handler's answer is checked against
 * the response schema before it is sent. Whatever is thrown becomes the JSON error body with its status.
 */
export function route<E extends Endpoint>(ep: E, fn: (input: HandlerInput<E>) => Promise<z.input<E["response"]>>) {
  return async (req: NextRequest, ctx: { params?: Promise<Record<string, string | string[]>> }): Promise<NextResponse> => {
    const { config } = serverContext();
    const given = req.headers.get("x-request-id");
    const requestId = given && requestIdPattern.test(given) ? given : randomUUID();
    let actor = actorOf(config, null, req.headers, requestId);
    let decided = false;
    try {
      const rawParams = ctx?.params ? await ctx.params : {};
      checkRequestTexts(req.nextUrl.searchParams, rawParams);
      const crossSite = isCrossSiteMutation({
        method: req.method,
        authorization: req.headers.get("authorization"),
        secFetchSite: req.headers.get("sec-fetch-site"),
        origin: req.headers.get("origin"),
        host: req.headers.get("host"),
      });
      const address = actor.clientAddress ?? "unknown";
      const wait = await authBlockedFor(address);
      if (wait > 0) {
        decided = true;
        throw new TooManyRequestsError(`too many failed authentications from this address; try again in ${wait} s`, wait);
      }
      const who = await identify(config, { headers: req.headers, cookie: (n) => req.cookies.get(n)?.value });
      actor = actorOf(config, who.identity, req.headers, requestId);
      if (crossSite) {
        decided = true;
        await auditAttempt(actor, ep, req, "denied", "cross-site request");
        throw new ForbiddenError("a mutation from another site is refused: send it from the dashboard itself, or as a script with a bearer token");
      }
      if (!who.identity && ep.authenticated !== false) {
        decided = true;
        await countAuthFailure(address);
        await auditAttempt(actor, ep, req, "denied", who.reason);
        throw new UnauthenticatedError(who.reason);
      }
      if (who.identity && !hasRole(who.identity.role, ep.role)) {
        decided = true;
        await auditAttempt(actor, ep, req, "denied", `needs the ${ep.role} role`);
        throw new ForbiddenError(`this needs the ${ep.role} role; ${who.identity.user} has ${who.identity.role}`, { needed: ep.role, role: who.identity.role });
      }
      const params = ep.params ? ep.params.parse(rawParams) : undefined;
      const query = ep.query ? ep.query.parse(queryEntries(req.nextUrl.searchParams)) : undefined;
      const body = ep.body ? ep.body.parse(await readJsonBody(req)) : undefined;
      const cookies: CookieOp[] = [];
      const input = { req, config, params, query, body, identity: who.identity, actor, cookies } as HandlerInput<E>;
      const result = await fn(input);
      const status = ep.status ?? 200;
      const res =
        status === 204 ? new NextResponse(null, { status }) : NextResponse.json(checkResponse(ep, result), { status });
      for (const c of cookies) res.cookies.set(c.name, c.value, c.options);
      res.headers.set("x-request-id", requestId);
      return res;
    } catch (e) {
      // a refused sign-in counts against the address like a refused token
      if (e instanceof UnauthenticatedError && !decided) await countAuthFailure(actor.clientAddress ?? "unknown");
      if (ep.audit && !decided && !(e instanceof AppError && e.audited)) await auditAttempt(actor, ep, req, "failed", e instanceof AppError || e instanceof ZodError ? errorMessage(e) : "internal error");
      const res = toErrorResponse(e);
      res.headers.set("x-request-id", requestId);
      return res;
    }
  };
}

/** The answer as the contract says it is; a mismatch is a server defect (500, logged), never sent half-checked. */
function checkResponse(ep: Endpoint, result: unknown): unknown {
  const r = ep.response.safeParse(result);
  if (r.success) return r.data;
  const first = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new Error(`response of ${ep.method} ${ep.path} does not match its contract: ${first}`);
}
