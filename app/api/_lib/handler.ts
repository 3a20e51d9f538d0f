import { randomUUID } from "node:crypto";
import { NextResponse, type NextRequest } from "next/server";
import { ZodError, type z } from "zod";
import { actorOf, fromTrustedProxy, identify } from "@/app/_server/auth";
import { authBlockedFor, countAuthFailure, countRefusal, refusalsBlockedFor } from "@/app/_server/auth-failures";
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
  if (e instanceof ZodError) return NextResponse.json({ error: { code: "invalid_request", message: zodMessage(e) } }, { status: 400 });
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

/** A validation error as one line: each field and what is wrong with it. */
export function zodMessage(e: ZodError): string {
  return e.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ").slice(0, 1000);
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
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The request's JSON body; an empty one is `undefined` (the contract's schema says whether that may be). */
async function readJsonBody(req: NextRequest): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > maxBodyBytes) throw new PayloadTooLargeError(`body: larger than ${maxBodyBytes} bytes`);
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length === 0) return undefined;
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new ValidationError("body: send it as JSON (Content-Type: application/json)");
  if (bytes.length > maxBodyBytes) throw new PayloadTooLargeError(`body: larger than ${maxBodyBytes} bytes`);
  // JSON is UTF-8: a body that is not is refused, never stored with its bad bytes turned into U+FFFD
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ValidationError("body: not valid UTF-8 (JSON must be UTF-8)");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("body: not valid JSON");
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{8,100}$/;

/** What a refused or failed attempt acted on, as its contract describes it (never the body itself: it may hold a token). */
async function attemptTarget(ep: Endpoint, req: NextRequest, body: unknown): Promise<{ targetId: string | null; details: Record<string, unknown> }> {
  const path = req.nextUrl.pathname.slice(0, 500);
  if (!ep.audit?.describe) return { targetId: path, details: {} };
  let parsed: unknown = body;
  if (parsed === undefined && ep.body) {
    try {
      parsed = await readJsonBody(req);
    } catch {
      parsed = undefined;
    }
  }
  const r = ep.body ? ep.body.safeParse(parsed) : { success: true as const, data: undefined };
  if (!r.success) return { targetId: path, details: {} };
  const d = ep.audit.describe(r.data);
  return { targetId: d.targetId ?? path, details: d.details ?? {} };
}

/**
 * Writes the audit entry of a request that was refused or failed; never lets the log's own failure hide the answer.
 * Each such entry counts against the identity at its address, which bounds how fast refusals can grow the log.
 */
async function auditAttempt(actor: Actor, ep: Endpoint, req: NextRequest, outcome: "denied" | "failed", reason: string, body?: unknown) {
  // past the limit a read still gets its answer (reads are never held back), but writes no more entries
  if ((await refusalsBlockedFor(actor.user, actor.clientAddress)) > 0) return;
  await countRefusal(actor.user, actor.clientAddress);
  try {
    const { db } = serverContext();
    const target = await attemptTarget(ep, req, body);
    await recordAudit(db.db, {
      actor,
      action: ep.audit?.action ?? (ep.method === "GET" ? "read" : `${ep.method.toLowerCase()}`),
      targetType: ep.audit?.targetType ?? "api",
      targetId: target.targetId,
      details: { ...target.details, method: req.method, endpoint: ep.path, reason: reason.slice(0, 500) },
      outcome,
    });
  } catch (e) {
    console.error(`[audit] could not record a ${outcome} ${ep.method} ${ep.path}: ${redactUrls(errorMessage(e))}`);
  }
}

/**
 * Wraps an /api/v1 handler with its contract (lib/api/contracts): the identity is established first; an address that
 * keeps failing to authenticate is answered 429 (a valid session or a trusted proxy's identity is let through: those
 * cannot be guessed); a browser's cross-site mutation is refused; the endpoint's role is checked (401/403, audited);
 * the request's texts are checked (no NUL); path, query and body are parsed with the contract's schemas; and the
 * handler's answer is checked against the response schema before it is sent. Whatever is thrown becomes the JSON
 * error body with its status. Every refusal of a caller without identity counts against its address.
 */
export function route<E extends Endpoint>(ep: E, fn: (input: HandlerInput<E>) => Promise<z.input<E["response"]>>) {
  return async (req: NextRequest, ctx: { params?: Promise<Record<string, string | string[]>> }): Promise<NextResponse> => {
    const { config } = serverContext();
    const given = req.headers.get("x-request-id");
    // a request id is taken from a trusted proxy only; anyone else's could be made to collide or mislead
    const requestId = given && requestIdPattern.test(given) && fromTrustedProxy(config, req.headers) ? given : randomUUID();
    let actor = actorOf(config, null, req.headers, requestId);
    const address = actor.clientAddress;
    let decided = false;
    let identified = false;
    let body: unknown;
    try {
      const who = await identify(config, { headers: req.headers, cookie: (n) => req.cookies.get(n)?.value });
      identified = who.identity !== null;
      actor = actorOf(config, who.identity, req.headers, requestId);
      // anything that could authenticate is held back while its address keeps failing to: no identity, a bearer
      // token, a sign-in (whoever sends it: a viewer must not guess an admin's token through the sign-in)
      const canGuess = !who.identity || who.identity.via === "token" || ep.checksCredentials === true;
      const wait = canGuess ? await authBlockedFor(address) : 0;
      if (wait > 0) {
        decided = true;
        throw new TooManyRequestsError(`too many failed authentications from this address; try again in ${wait} s`, wait);
      }
      // too many refusals hold back the identity's mutations; its reads go on (the on-call page must not go blank
      // because someone mistyped a rule sixty times), their refusals no longer audited until the minute is over
      const refusalWait = ep.method === "GET" ? 0 : await refusalsBlockedFor(actor.user, address);
      if (refusalWait > 0) {
        decided = true;
        throw new TooManyRequestsError(`too many refused requests; try again in ${refusalWait} s`, refusalWait);
      }
      const crossSite = isCrossSiteMutation({
        method: req.method,
        // only a script's valid token exempts a request from the same-origin rule
        authorization: who.identity?.via === "token" ? req.headers.get("authorization") : null,
        secFetchSite: req.headers.get("sec-fetch-site"),
        origin: req.headers.get("origin"),
        host: req.headers.get("host"),
      });
      if (crossSite) {
        decided = true;
        await countAuthFailure(address);
        await auditAttempt(actor, ep, req, "denied", "cross-site request");
        throw new ForbiddenError("a mutation from another site is refused: send it from the dashboard itself, or as a script with a bearer token");
      }
      if (!who.identity && ep.authenticated !== false) {
        decided = true;
        await auditAttempt(actor, ep, req, "denied", who.reason);
        throw new UnauthenticatedError(who.reason);
      }
      if (who.identity && !hasRole(who.identity.role, ep.role)) {
        decided = true;
        await auditAttempt(actor, ep, req, "denied", `needs the ${ep.role} role`);
        throw new ForbiddenError(`this needs the ${ep.role} role; ${who.identity.user} has ${who.identity.role}`, { needed: ep.role, role: who.identity.role });
      }
      const rawParams = ctx?.params ? await ctx.params : {};
      checkRequestTexts(req.nextUrl.searchParams, rawParams);
      const params = ep.params ? ep.params.parse(rawParams) : undefined;
      const query = ep.query ? ep.query.parse(queryEntries(req.nextUrl.searchParams)) : undefined;
      if (ep.body) body = await readJsonBody(req);
      const parsedBody = ep.body ? ep.body.parse(body) : undefined;
      const cookies: CookieOp[] = [];
      const input = { req, config, params, query, body: parsedBody, identity: who.identity, actor, cookies } as HandlerInput<E>;
      const result = await fn(input);
      const status = ep.status ?? 200;
      const res =
        status === 204 ? new NextResponse(null, { status }) : NextResponse.json(checkResponse(ep, result), { status });
      for (const c of cookies) res.cookies.set(c.name, c.value, c.options);
      res.headers.set("x-request-id", requestId);
      return res;
    } catch (e) {
      // a wrong credential counts against the address whoever presents it; any other refusal of a caller without
      // identity (a malformed body or query) counts too, so refusals cannot be sent at speed
      const refused = (e instanceof AppError && e.status < 500 && !(e instanceof TooManyRequestsError)) || e instanceof ZodError;
      if (e instanceof UnauthenticatedError || (!decided && !identified && refused)) await countAuthFailure(address);
      if (ep.audit && !decided && !(e instanceof AppError && e.audited)) {
        await auditAttempt(actor, ep, req, "failed", e instanceof ZodError ? zodMessage(e) : refused ? errorMessage(e) : "internal error", body);
      }
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
