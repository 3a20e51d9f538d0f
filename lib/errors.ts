/**
 * Typed errors of the domain. Each carries the HTTP status it maps to; route handlers map them in one place
 * (app/api/_lib/handler.ts), so no handler decides a status on its own.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** set by a mutation that wrote the audit entry of its own failure or denial, so the route does not write another */
  audited = false;
  constructor(message: string, readonly details?: unknown) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = "invalid_request";
}

export class UnauthenticatedError extends AppError {
  readonly status = 401;
  readonly code = "unauthenticated";
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = "forbidden";
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = "not_found";
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = "conflict";
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = "payload_too_large";
}

/** Too many failed attempts (tokens, sign-ins) from one address: wait `retryAfterSeconds`. */
export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly code = "rate_limited";
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message, { retryAfterSeconds });
  }
}

export class UnavailableError extends AppError {
  readonly status = 503;
  readonly code = "unavailable";
}

export function errorMessage(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length) return e.errors.map(errorMessage).join("; ");
  if (e instanceof Error) {
    // drizzle wraps driver errors as "Failed query: <sql> params: <values>": the values can be message payloads,
    // which must not reach logs or the health page; the driver's own error says what went wrong
    const cause = (e as { cause?: unknown }).cause;
    if (e.message.startsWith("Failed query") && cause) return errorMessage(cause);
    const code = (e as { code?: unknown }).code;
    return e.message || (typeof code === "string" ? code : e.name);
  }
  return String(e);
}
