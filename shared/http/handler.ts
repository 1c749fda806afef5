import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { z } from 'zod';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  TooLargeError,
  TooManyRequestsError,
  UnauthenticatedError,
  UnprocessableError,
  ValidationError,
} from '../errors';
import {
  AUDIT_ACTION_PATTERN,
  outcomeOfStatus,
  routeAuditAction,
  type AuditEvent,
  type AuditLog,
} from '../audit/audit';
import { auditLogFromEnv } from '../audit/audit-from-env';
import { UUID_PATTERN } from '../jobs/job';
import { hashUserId, logger } from '../observability/logger';
import { authContextOf, type AuthContext } from './auth';
import { errorResponse, json } from './response';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Maps a domain error class to its HTTP status; anything else is a 500 that shows nothing internal. */
export function statusOf(error: DomainError): number {
  if (error instanceof UnauthenticatedError) return 401;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof UnprocessableError) return 422;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof GoneError) return 410;
  if (error instanceof TooLargeError) return 413;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof ValidationError) return 400;
  const status = (error as DomainError & { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 400;
}

export interface RouteRequest<B> {
  auth: AuthContext;
  body: B;
  pathParameters: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  requestId: string;
  event: HttpEvent;
}

interface RouteOptions<S extends z.ZodType> {
  /** Whether the route needs a verified user (every route but health does). */
  auth?: boolean;
  body?: S;
  /**
   * The route's audit action (`export`, `download`, `export.cancel`, ...): every outcome is recorded in the
   * caller's audit trail (2xx/3xx succeeded, 4xx refused, 5xx failed). Without it, an authenticated route records
   * only its 4xx refusals, under an action derived from the route (`library.read`). A 401 has no verified user to
   * attribute it to: it is only logged.
   */
  audit?: string;
}

let requestAuditLog: AuditLog | undefined;

/** The audit log requests record into: built from the environment on first use; a test may set its own. */
export function setRequestAuditLog(log: AuditLog | undefined): void {
  requestAuditLog = log;
}

function uuidOf(value: unknown): string | undefined {
  return typeof value === 'string' && UUID_PATTERN.test(value) ? value : undefined;
}

/** A JSON object body up to `maxLength` characters, or nothing. */
function jsonObjectOf(
  body: string | undefined,
  base64: boolean,
  contentType: unknown,
  maxLength: number,
): Record<string, unknown> | undefined {
  if (!body || body.length > maxLength) return undefined;
  if (typeof contentType === 'string' && !/json/i.test(contentType)) return undefined;
  try {
    const value: unknown = JSON.parse(base64 ? Buffer.from(body, 'base64').toString('utf8') : body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The job and upload ids a request names (path, JSON body) or its answer carries; only ids, only UUIDs. */
function auditIdsOf(event: HttpEvent, result: HttpResult): Pick<AuditEvent, 'job_id' | 'upload_id'> {
  const path = event.pathParameters ?? {};
  const answer =
    (result.statusCode ?? 200) < 400
      ? jsonObjectOf(result.body, result.isBase64Encoded === true, result.headers?.['content-type'], 2 ** 20)
      : undefined;
  const request = jsonObjectOf(event.body, event.isBase64Encoded, event.headers['content-type'], 2 ** 16);
  const jobId = uuidOf(path.job_id) ?? uuidOf(answer?.job_id);
  const uploadId = uuidOf(path.upload_id) ?? uuidOf(answer?.upload_id) ?? uuidOf(request?.upload_id);
  return { ...(jobId ? { job_id: jobId } : {}), ...(uploadId ? { upload_id: uploadId } : {}) };
}

/** Records the request in the caller's trail when the rule says so; a failed write is logged, never thrown. */
async function auditRequest(
  action: string | undefined,
  userId: string,
  event: HttpEvent,
  requestId: string,
  result: HttpResult,
  code: string | undefined,
  receivedAt: number,
): Promise<void> {
  const status = result.statusCode ?? 200;
  const outcome = outcomeOfStatus(status);
  if (action === undefined && outcome !== 'refused') return;
  const auditEvent: AuditEvent = {
    // When the request came in: a job it ran in the request ends after it, and its end sorts after it too.
    at: new Date(receivedAt).toISOString(),
    action: action ?? routeAuditAction(event.routeKey),
    outcome,
    status,
    code,
    request_id: requestId,
    ...auditIdsOf(event, result),
  };
  try {
    requestAuditLog ??= auditLogFromEnv();
  } catch (error) {
    logger.error('audit event not recorded: no audit log (JOBS_TABLE, AUDIT_RETENTION_DAYS)', {
      action: auditEvent.action,
      outcome,
      status,
      error,
    });
    return;
  }
  try {
    await requestAuditLog.record(userId, auditEvent);
  } catch (error) {
    logger.error('audit event not recorded', { action: auditEvent.action, outcome, status, error });
  }
}

/** The error model's answer to a thrown error, and its code. */
function errorResultOf(error: unknown, requestId: string): { result: HttpResult; code: string } {
  if (error instanceof DomainError) {
    const status = statusOf(error);
    logger.info('request refused', { status, code: error.code });
    return {
      code: error.code,
      result: errorResponse(status, error.code, error.message, error.details, {
        'x-request-id': requestId,
        ...(error instanceof TooManyRequestsError ? { 'retry-after': String(error.retryAfterSeconds) } : {}),
      }),
    };
  }
  logger.error('request failed', { error });
  return {
    code: 'internal_error',
    result: errorResponse(
      500,
      'internal_error',
      `Something went wrong on our side. Try again; if it keeps failing, contact support with request id ${requestId}.`,
      undefined,
      { 'x-request-id': requestId },
    ),
  };
}

/** The JSON body parsed with `schema` (an empty body is `{}`); a 400 that lists each problem otherwise. */
export function parseBody<S extends z.ZodType>(
  event: HttpEvent,
  schema: S | undefined,
): z.infer<S> | undefined {
  if (!schema) return undefined;
  let raw: unknown = {};
  if (event.body) {
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ValidationError('malformed_json', 'The request body is not valid JSON. Send a JSON object.');
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(
      'invalid_request',
      'The request body is invalid. Fix the fields listed in details.',
      {
        details: {
          issues: parsed.error.issues.map((issue) => ({
            path: issue.path.join('.'),
            message: issue.message,
          })),
        },
      },
    );
  }
  return parsed.data;
}

/**
 * A thin HTTP route: authenticate from the verified claims, parse with zod, call one use case, and map
 * typed errors to the error model. 5xx responses never carry internals.
 */
export function httpRoute<S extends z.ZodType = z.ZodUndefined>(
  options: RouteOptions<S>,
  handle: (request: RouteRequest<z.infer<S>>) => Promise<HttpResult>,
) {
  if (options.audit !== undefined && !AUDIT_ACTION_PATTERN.test(options.audit))
    throw new Error(`Invalid audit action "${options.audit}": use dotted lower-case words.`);
  const base = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const requestId = event.requestContext.requestId || context.awsRequestId;
    const startedAt = Date.now();
    logger.resetKeys();
    logger.appendKeys({ requestId, route: event.routeKey });
    // Set once the caller is verified: only then can the request be attributed in an audit trail.
    let userId: string | undefined;
    let result: HttpResult;
    let code: string | undefined;
    try {
      const auth = options.auth === false ? { userId: '', tier: 'free' as const } : authContextOf(event);
      if (auth.userId) {
        userId = auth.userId;
        logger.appendKeys({ user: hashUserId(auth.userId) });
      }
      const body = parseBody(event, options.body) as z.infer<S>;
      const handled = await handle({
        auth,
        body,
        pathParameters: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        requestId,
        event,
      });
      result = { ...handled, headers: { ...handled.headers, 'x-request-id': requestId } };
    } catch (error) {
      ({ result, code } = errorResultOf(error, requestId));
    }
    if (userId) await auditRequest(options.audit, userId, event, requestId, result, code, startedAt);
    // One line per request, refused or not: status and time, with the persistent keys (request, route, user hash).
    logger.info('request done', { status: result.statusCode, durationMs: Date.now() - startedAt });
    return result;
  };
  return middy(base);
}

/** Parses query or path parameters with a zod schema; a 400 that lists each problem otherwise. */
export function parseParameters<S extends z.ZodType>(
  schema: S,
  values: Record<string, string | undefined>,
  where: 'query' | 'path' | 'headers',
): z.infer<S> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    `invalid_${where}`,
    `The request's ${where === 'query' ? 'query parameters are' : where === 'path' ? 'path is' : 'headers are'} invalid. Fix what details lists.`,
    {
      details: {
        issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      },
    },
  );
}

type RouteHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/**
 * One Lambda for a resource's routes: picks the route's handler by the API's route key ("GET /path/{id}").
 * Each entry is a full httpRoute, so each keeps its own auth and body schema.
 */
export function routeTable(routes: Record<string, RouteHandler>): RouteHandler {
  return async (event, context) => {
    const route = routes[event.routeKey];
    if (route) return route(event, context);
    return errorResponse(404, 'route_not_found', `No route ${event.routeKey} here.`);
  };
}

export { json };
