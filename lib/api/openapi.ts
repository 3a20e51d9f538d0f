/**
 * The OpenAPI 3.1 document of /api/v1, generated from the endpoints' contracts (lib/api/contracts) with zod-openapi:
 * path and query parameters, the JSON body, the success answer, and the JSON error body of every failure the endpoint
 * can answer with; the role each endpoint needs (in its description and as `x-switchyard-role`). Served at
 * GET /api/v1/openapi.json.
 */
import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from "zod-openapi";
import { apiErrorBody } from "./common";
import { endpoints as allEndpoints, type NamedEndpoint } from "./contracts";
import type { Endpoint } from "./endpoint";
import { sessionCookieName } from "../auth/identity";

/** The name of the session cookie a browser gets on sign-in (app/_server/auth.ts sessionCookieName). */

const errorStatuses: Record<number, string> = {
  400: "The path, query or body is malformed (the message names the part)",
  401: "No identity: no valid bearer token or session cookie (token mode), or no trusted proxy header (proxy mode)",
  403: "The identity's role is too low for this endpoint",
  404: "Nothing is stored under this path",
  409: "The target's state forbids the change",
  413: "The body is larger than 1 MiB",
  422: "The request is well-formed but cannot be carried out",
  429: "Too many failed authentications from this client address: wait the Retry-After seconds",
  500: "A defect of the dashboard (logged on the server)",
  503: "A source the endpoint needs is unavailable",
};

function errorResponse(status: number, ep: Endpoint): ZodOpenApiResponseObject {
  let description = errorStatuses[status] ?? "An error";
  if (status === 401 && ep.authenticated === false) description = "It answers without an identity too: 401 only when the endpoint itself refuses a credential (sign-in with a wrong token)";
  if (status === 403) {
    description = `${description}: it needs the ${ep.role} role`;
    if (ep.method !== "GET") description += "; or a browser sent it from another site (Origin / Sec-Fetch-Site), which is refused in every mode";
  }
  const retryAfter = { "Retry-After": { description: "seconds until the address may try again", schema: { type: "integer" as const, minimum: 1 } } };
  return { description, ...(status === 429 ? { headers: retryAfter } : {}), content: { "application/json": { schema: apiErrorBody } } };
}

/** Path and query parameters are documented one by one: their schema must be an object (a refined one is too). */
function objectOf(schema: z.ZodType, what: string): z.ZodObject {
  if (!(schema instanceof z.ZodObject)) throw new Error(`${what}: the schema must be a z.object to be documented as parameters`);
  return schema;
}

function operation({ name, endpoint: ep }: NamedEndpoint): ZodOpenApiOperationObject {
  const status = ep.status ?? 200;
  const where = `${ep.method} ${ep.path}`;
  const responses: Record<string, ZodOpenApiResponseObject> = {
    [status]:
      status === 204
        ? { description: ep.summary }
        : { description: ep.summary, content: { "application/json": { schema: ep.response } } },
  };
  // every request may meet the failed-authentication limit (checked before the identity, app/api/_lib/handler.ts)
  for (const s of [400, 401, 403, 429, ...(ep.errors ?? []), 500].sort((a, b) => a - b)) responses[s] = errorResponse(s, ep);
  const roleText = `Needs the **${ep.role}** role${ep.authenticated === false ? " when the caller has an identity; answers without one too" : ""}.`;
  return {
    operationId: name,
    summary: ep.summary,
    description: [ep.description, roleText].filter(Boolean).join("\n\n"),
    tags: [ep.tag],
    ...(ep.params || ep.query
      ? { requestParams: { ...(ep.params ? { path: objectOf(ep.params, `${where} params`) } : {}), ...(ep.query ? { query: objectOf(ep.query, `${where} query`) } : {}) } }
      : {}),
    ...(ep.body ? { requestBody: { required: true, content: { "application/json": { schema: ep.body } } } } : {}),
    responses,
    // no identity needed: an empty requirement makes the schemes optional
    security: ep.authenticated === false ? [{}, { bearer: [] }, { session: [] }] : [{ bearer: [] }, { session: [] }],
    "x-switchyard-role": ep.role,
  };
}

/** The document for these endpoints (all of them unless told); throws on two contracts for one method and path. */
export function buildOpenApiDocument(endpoints: readonly NamedEndpoint[] = allEndpoints, version = "1") {
  const paths: ZodOpenApiPathsObject = {};
  for (const e of endpoints) {
    const item = (paths[e.endpoint.path] ??= {});
    const method = e.endpoint.method.toLowerCase() as "get" | "post" | "put" | "patch" | "delete";
    if (item[method]) throw new Error(`two contracts for ${e.endpoint.method} ${e.endpoint.path}`);
    item[method] = operation(e);
  }
  const doc = createDocument({
    openapi: "3.1.0",
    info: {
      title: "Switchyard API",
      version,
      description:
        "Kafka consumer lag, RabbitMQ queues, dead letters and traces, as the Switchyard dashboard shows them. " +
        "Identity depends on AUTH_MODE: `open` (no sign-in; everyone has AUTH_OPEN_ROLE), `token` (a bearer token of " +
        "AUTH_TOKENS, or the session cookie a browser gets from POST /api/v1/session) or `proxy` (a trusted reverse " +
        "proxy's user and groups headers). Roles: viewer reads everything, operator also replays, discards and edits, " +
        "admin also configures. Every failure answers the ApiError body.",
    },
    tags: [...new Set(endpoints.map((e) => e.endpoint.tag))].map((name) => ({ name })),
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "AUTH_MODE=token: `Authorization: Bearer <token>` with a token of AUTH_TOKENS (scripts)" },
        session: { type: "apiKey", in: "cookie", name: sessionCookieName, description: "AUTH_MODE=token: the sealed session cookie POST /api/v1/session sets (browsers)" },
      },
    },
    paths,
  });
  for (const e of endpoints) markOptionalQuery(doc, e.endpoint);
  return doc;
}

/**
 * A query parameter is required exactly when the query does not parse without it. zod-openapi marks a parameter
 * whose schema accepts `undefined` only through a preprocess (a repeatable `?attr=`) as required; this corrects it.
 */
function markOptionalQuery(doc: ReturnType<typeof createDocument>, ep: Endpoint) {
  if (!(ep.query instanceof z.ZodObject)) return;
  const op = (doc.paths?.[ep.path] as Record<string, { parameters?: { in?: string; name?: string; required?: boolean }[] }> | undefined)?.[ep.method.toLowerCase()];
  for (const p of op?.parameters ?? []) {
    const field = p.in === "query" && p.name ? (ep.query.shape as Record<string, z.ZodType | undefined>)[p.name] : undefined;
    if (field && field.safeParse(undefined).success) delete p.required;
  }
}

let cached: ReturnType<typeof buildOpenApiDocument> | null = null;

/** The document of every endpoint, built once per process. */
export function openApiDocument(): ReturnType<typeof buildOpenApiDocument> {
  return (cached ??= buildOpenApiDocument());
}
