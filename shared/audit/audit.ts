/**
 * The audit trail: who did what, when, with what outcome, per user. Every export, import, preview, upload,
 * download, cancel and cleanup is recorded, and every request refused for access or validation; the user reads
 * their own events (GET /api/v1/chatbooks/audit). An event holds codes, ids and counts only: never content,
 * tokens, URLs or query strings. `sanitizeAuditEvent` enforces that for every adapter, whatever a caller passes.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors';
import { TERMINAL_STATUSES, UUID_PATTERN, type Job, type JobStatus } from '../jobs/job';

export const AUDIT_OUTCOMES = ['succeeded', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** A detail's value: a scalar, short and inert (see sanitizeAuditEvent). */
export type AuditScalar = string | number | boolean | null;

export interface AuditEvent {
  /** When it happened (ISO 8601, UTC). */
  at: string;
  /** What was done: `export`, `download`, `export.cancel`, `export.completed`, `library.read`, ... */
  action: string;
  outcome: AuditOutcome;
  /** The HTTP status, when the event is a request. */
  status?: number | undefined;
  /** The error code of a refusal or failure (`job_not_found`, `invalid_request`, ...). */
  code?: string | undefined;
  request_id?: string | undefined;
  job_id?: string | undefined;
  upload_id?: string | undefined;
  /** A few safe scalars: counts, statuses, sizes. */
  details?: Record<string, AuditScalar> | undefined;
}

export interface AuditQuery {
  limit: number;
  /** A cursor a previous page of the same user's listing returned. */
  cursor?: string | undefined;
  /** Only events of this action (exact match). */
  action?: string | undefined;
}

export interface AuditPage {
  events: AuditEvent[];
  nextCursor?: string | undefined;
}

/**
 * The audit port. Every key is the verified user's: `list` reads only that user's events, newest first, and
 * its cursor carries only a position inside the caller's own trail, so it cannot reach another user's.
 */
export interface AuditLog {
  record(userId: string, event: AuditEvent): Promise<void>;
  list(userId: string, query: AuditQuery): Promise<AuditPage>;
}

/** Days an event is kept (DynamoDB's TTL removes it after). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
const MAX_AUDIT_RETENTION_DAYS = 3650;

/** `AUDIT_RETENTION_DAYS` or the stack's `auditRetentionDays`: whole days, 1 to 3650; a bad value is a deploy error. */
export function parseAuditRetentionDays(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_AUDIT_RETENTION_DAYS;
  const days = Number(text);
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_AUDIT_RETENTION_DAYS) {
    throw new Error(
      `Invalid audit retention "${text}": give a whole number of days from 1 to ${MAX_AUDIT_RETENTION_DAYS}.`,
    );
  }
  return days;
}

/** Dotted lower-case words: `export`, `export.cancel`, `import.jobs.read`. */
export const AUDIT_ACTION_PATTERN = /^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31}){0,4}$/;
const CODE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;
/** API Gateway's request ids (`abc123=`) and Lambda's (UUIDs). */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:=-]{0,127}$/;
const DETAIL_KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
const MAX_DETAILS = 20;
const MAX_DETAIL_STRING = 64;

/** A detail string only if it is short and cannot be a URL, a query string, a signature or a token. */
function safeDetailString(value: string): string | undefined {
  if (value.length > MAX_DETAIL_STRING) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f?&#]/.test(value) || /:\/\/|x-amz-|bearer\s|^ey[A-Za-z0-9_-]{10,}/i.test(value))
    return undefined;
  return value;
}

function safeDetails(details: Record<string, unknown> | undefined): Record<string, AuditScalar> | undefined {
  if (!details) return undefined;
  const kept: Record<string, AuditScalar> = {};
  let count = 0;
  for (const [key, value] of Object.entries(details)) {
    if (count >= MAX_DETAILS || !DETAIL_KEY_PATTERN.test(key)) continue;
    let safe: AuditScalar | undefined;
    if (value === null || typeof value === 'boolean') safe = value;
    else if (typeof value === 'number') safe = Number.isFinite(value) ? value : undefined;
    else if (typeof value === 'string') safe = safeDetailString(value);
    if (safe === undefined) continue;
    kept[key] = safe;
    count++;
  }
  return count > 0 ? kept : undefined;
}

function matching(value: string | undefined, pattern: RegExp): string | undefined {
  return value !== undefined && pattern.test(value) ? value : undefined;
}

/**
 * The event as it may be stored: the time normalized to ISO 8601 UTC, ids kept only when they are job or
 * upload ids (UUIDs), codes and request ids only when inert, details only as short safe scalars. Anything else
 * is dropped, so a caller cannot put content, a token or a URL in the trail by mistake. An action or time that
 * is not valid is a programming error (thrown).
 */
export function sanitizeAuditEvent(event: AuditEvent): AuditEvent {
  const at = new Date(event.at);
  if (Number.isNaN(at.getTime())) throw new Error(`An audit event needs a valid time, not "${event.at}".`);
  if (!AUDIT_ACTION_PATTERN.test(event.action)) throw new Error(`Invalid audit action "${event.action}".`);
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(event.outcome))
    throw new Error(`Invalid audit outcome "${event.outcome}".`);
  const status =
    typeof event.status === 'number' &&
    Number.isInteger(event.status) &&
    event.status >= 100 &&
    event.status < 600
      ? event.status
      : undefined;
  const clean: AuditEvent = { at: at.toISOString(), action: event.action, outcome: event.outcome };
  if (status !== undefined) clean.status = status;
  const code = matching(event.code, CODE_PATTERN);
  if (code !== undefined) clean.code = code;
  const requestId = matching(event.request_id, REQUEST_ID_PATTERN);
  if (requestId !== undefined) clean.request_id = requestId;
  const jobId = matching(event.job_id, UUID_PATTERN);
  if (jobId !== undefined) clean.job_id = jobId.toLowerCase();
  const uploadId = matching(event.upload_id, UUID_PATTERN);
  if (uploadId !== undefined) clean.upload_id = uploadId.toLowerCase();
  const details = safeDetails(event.details);
  if (details) clean.details = details;
  return clean;
}

/** 2xx and 3xx succeeded, 4xx refused, 5xx failed. */
export function outcomeOfStatus(status: number): AuditOutcome {
  if (status >= 500) return 'failed';
  if (status >= 400) return 'refused';
  return 'succeeded';
}

const VERB: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/**
 * The action of a route that has none of its own, from its route key: the path's fixed segments (without
 * `/api/v1` and `chatbooks`) and a verb. `GET /api/v1/library/{type}/{id}` is `library.read`, `GET
 * /api/v1/library/{type}` is `library.list`, `DELETE .../export/jobs/{job_id}` is `export.jobs.delete`; the
 * `$default` route is `route.unknown`.
 */
export function routeAuditAction(routeKey: string): string {
  const [method = '', path] = routeKey.split(' ');
  if (!path) return 'route.unknown';
  const segments = path.split('/').filter((part) => part !== '');
  const named = segments
    .filter((part) => !part.startsWith('{'))
    .filter((part, index) => !(index === 0 && part === 'api'))
    .filter((part) => !/^v\d+$/.test(part) && part !== 'chatbooks')
    .map((part) =>
      part
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '_')
        .replace(/^[^a-z]+/, ''),
    )
    .filter((part) => part !== '')
    .slice(0, 4);
  // A GET that ends with an id reads one thing; any other GET lists (`{type}` picks a collection).
  const last = segments.at(-1) ?? '';
  const verb = VERB[method.toUpperCase()] ?? (/^\{(\w+_)?id\}$/.test(last) ? 'read' : 'list');
  const action = [...named, verb].join('.');
  return AUDIT_ACTION_PATTERN.test(action) ? action : 'route.unknown';
}

// ---- storage keys and cursors, shared by every adapter

export const AUDIT_SORT_PREFIX = 'AUDIT#';
const SORT_KEY_PATTERN = /^AUDIT#\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{12}$/;

/** `AUDIT#<at>#<random>`: newest first is descending order; the suffix keeps events of one millisecond apart. */
export function auditSortKey(at: string, suffix: string = randomBytes(6).toString('hex')): string {
  return `${AUDIT_SORT_PREFIX}${at}#${suffix}`;
}

/** Only the sort key travels: the partition is always the caller's. */
export function encodeAuditCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ sk: sortKey })).toString('base64url');
}

/** The sort key a cursor stands for; anything that is not exactly an audit sort key is a 400. */
export function decodeAuditCursor(cursor: string): string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const sortKey =
    typeof value === 'object' && value !== null && 'sk' in value && typeof value.sk === 'string'
      ? value.sk
      : undefined;
  if (sortKey === undefined || !SORT_KEY_PATTERN.test(sortKey) || encodeAuditCursor(sortKey) !== cursor) {
    throw new ValidationError(
      'invalid_cursor',
      'The cursor is not one this listing returned. Start again without a cursor.',
    );
  }
  return sortKey;
}

// ---- the API's view

export interface AuditEventView {
  at: string;
  action: string;
  outcome: AuditOutcome;
  status: number | null;
  code: string | null;
  request_id: string | null;
  job_id: string | null;
  upload_id: string | null;
  details: Record<string, AuditScalar>;
}

export interface AuditPageView {
  events: AuditEventView[];
  next_cursor: string | null;
}

export function toAuditEventView(event: AuditEvent): AuditEventView {
  return {
    at: event.at,
    action: event.action,
    outcome: event.outcome,
    status: event.status ?? null,
    code: event.code ?? null,
    request_id: event.request_id ?? null,
    job_id: event.job_id ?? null,
    upload_id: event.upload_id ?? null,
    details: event.details ?? {},
  };
}

export function toAuditPageView(page: AuditPage): AuditPageView {
  return { events: page.events.map(toAuditEventView), next_cursor: page.nextCursor ?? null };
}

// ---- job outcomes

const JOB_END_OUTCOME: Partial<Record<JobStatus, AuditOutcome>> = {
  completed: 'succeeded',
  // The cancel or expiry took effect as asked; the action (`export.cancelled`) says what it was.
  cancelled: 'succeeded',
  expired: 'succeeded',
  failed: 'failed',
};

/**
 * Records how a job ended: `export.completed`, `export.failed`, `export.cancelled`, `export.expired`,
 * `import.completed`, ... with its id, status, error code and counts (never its name, content or error
 * message). A job not in a terminal state records nothing. Errors of the audit log propagate (a job-end
 * listener is logged and skipped by JobEndNotifier).
 */
export async function auditJobEnded(audit: AuditLog, job: Job): Promise<void> {
  const outcome = JOB_END_OUTCOME[job.status];
  if (!TERMINAL_STATUSES.has(job.status) || outcome === undefined) return;
  // The transition into the terminal state sets updatedAt: that is when the job ended.
  const ended = new Date(job.updatedAt);
  const details: Record<string, AuditScalar> = {
    status: job.status,
    total_items: job.totalItems,
    processed_items: job.processedItems,
  };
  if (job.kind === 'export') {
    if (job.archive?.sizeBytes !== undefined) details.size_bytes = job.archive.sizeBytes;
    if (job.downloadCount !== undefined) details.download_count = job.downloadCount;
  }
  for (const [name, count] of Object.entries(job.outcomes ?? {})) details[name] = count;
  if (job.warnings?.length) details.warnings = job.warnings.length;
  await audit.record(job.userId, {
    at: Number.isNaN(ended.getTime()) ? new Date().toISOString() : ended.toISOString(),
    action: `${job.kind}.${job.status}`,
    outcome,
    code: job.errorCode,
    job_id: job.jobId,
    details,
  });
}
