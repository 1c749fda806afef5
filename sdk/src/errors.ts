/**
 * What the SDK throws. Every error is a ChatbooksError; an API refusal is a ChatbooksApiError that carries the
 * server's status, code, message, details and request id, so a caller can branch on `code` and show `message`.
 */
import type { ExportJob, ImportJob } from '../../shared/http/api-responses';

export class ChatbooksError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ApiErrorFields {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
  requestId?: string | undefined;
}

/** The API (or the storage a presigned URL points at) answered with an error status. */
export class ChatbooksApiError extends ChatbooksError {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | undefined;

  constructor(fields: ApiErrorFields) {
    super(fields.message);
    this.status = fields.status;
    this.code = fields.code;
    this.details = fields.details;
    this.requestId = fields.requestId;
  }

  /** A 5xx or a 429: worth retrying later. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** The service could not be reached (DNS, refused connection, reset, TLS). */
export class ChatbooksConnectionError extends ChatbooksError {}

/** The API answered with a body this SDK does not understand (a version mismatch, a proxy's page). */
export class ChatbooksResponseError extends ChatbooksError {
  readonly status: number;
  readonly issues: string[];

  constructor(message: string, status: number, issues: string[]) {
    super(message);
    this.status = status;
    this.issues = issues;
  }
}

/** A job ended without completing: failed, cancelled, or (an export) expired. */
export class ChatbooksJobError extends ChatbooksError {
  readonly job: ExportJob | ImportJob;
  readonly kind: 'export' | 'import';

  constructor(kind: 'export' | 'import', job: ExportJob | ImportJob) {
    const reason = job.error ? `: ${job.error.message} (${job.error.code})` : '';
    super(`The ${kind} job ${job.job_id} ended ${job.status}${reason}`);
    this.kind = kind;
    this.job = job;
  }
}

/** The downloaded archive's SHA-256 is not the one the export recorded. */
export class ChatbooksIntegrityError extends ChatbooksError {}
