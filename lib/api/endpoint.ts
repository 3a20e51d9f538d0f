import type { z } from "zod";
import type { Role } from "../auth/roles";

export const httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** A mutation's audit entry: what it is called in the log and what kind of thing it acts on. */
export interface AuditSpec {
  action: string;
  targetType: string;
  /**
   * What a refused or failed call acted on, from its parsed body (the mutation records its own successes): the
   * target's id and details worth keeping. Never the body whole: a sign-in's holds a token.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each contract reads its own body's shape
  describe?: (body: any) => { targetId?: string | null; details?: Record<string, unknown> };
}

/**
 * One endpoint's contract, written once: the route handler validates with it (app/api/_lib/handler.ts), the client
 * infers its types from it, and the OpenAPI document is generated from it (lib/api/openapi.ts). `role` is the least
 * role the endpoint needs; the route wrapper checks it before the handler runs.
 */
export interface Endpoint<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** OpenAPI form, as routed: `/api/v1/dead-letters/{id}` */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  role: Role;
  /** false only for the endpoints that establish an identity (sign-in) or answer without one */
  authenticated?: boolean;
  /** the endpoint checks a credential it is sent (sign-in): the failed-authentication limit applies whoever calls */
  checksCredentials?: true;
  params?: P;
  query?: Q;
  body?: B;
  /** the success body (status `status`, 200 unless said) */
  response: R;
  status?: 200 | 201 | 202 | 204;
  /** statuses besides success, 400/401/403 and 500, that the endpoint answers with the JSON error body */
  errors?: readonly (404 | 409 | 413 | 422 | 503)[];
  /** mutations: the audit entry the route records when the call is denied or fails (the mutation writes the ok one) */
  audit?: AuditSpec;
}

/** Declares an endpoint, keeping its exact type (which parts it has, each schema's own type). */
export function endpoint<const E extends Endpoint>(e: E): E {
  return e;
}

/** The success body an endpoint answers, as the client sees it (after JSON). */
export type ResponseOf<E extends Endpoint> = z.output<E["response"]>;
export type QueryOf<E extends Endpoint> = E["query"] extends z.ZodType ? z.input<E["query"]> : never;
