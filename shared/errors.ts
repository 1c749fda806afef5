/**
 * The domain's error base. Every error a person can act on carries a stable `code`, a message that says
 * what to do next, and optional `details`; the HTTP layer maps subclasses to status codes and never
 * exposes anything of an error that is not a DomainError.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options?: { details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** Input that is well-formed but not acceptable (HTTP 400/422). */
export class ValidationError extends DomainError {}

/** The caller is not authenticated (HTTP 401). */
export class UnauthenticatedError extends DomainError {}

/** A thing the caller may not see, or that does not exist (HTTP 404: the two are never told apart). */
export class NotFoundError extends DomainError {}

/** The request conflicts with the current state (HTTP 409). */
export class ConflictError extends DomainError {}

/** Well-formed input whose content cannot be processed (HTTP 422). */
export class UnprocessableError extends DomainError {}

/** The caller is known but may not do this (HTTP 403), e.g. a share link that is not valid. */
export class ForbiddenError extends DomainError {}

/** The thing existed and is gone for good (HTTP 410), e.g. an expired export. */
export class GoneError extends DomainError {}

/** The request is too large for how it was asked (HTTP 413). */
export class TooLargeError extends DomainError {}

/** Too many requests of a kind in a short time (HTTP 429, with Retry-After). */
export class TooManyRequestsError extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
    options?: { details?: Record<string, unknown> },
  ) {
    super(code, message, options);
  }
}

/** Narrows a caught value to an Error. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
