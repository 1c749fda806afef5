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
  const base = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const requestId = event.requestContext.requestId || context.awsRequestId;
    logger.resetKeys();
    logger.appendKeys({ requestId, route: event.routeKey });
    try {
      const auth = options.auth === false ? { userId: '', tier: 'free' as const } : authContextOf(event);
      if (auth.userId) logger.appendKeys({ user: hashUserId(auth.userId) });
      const body = parseBody(event, options.body) as z.infer<S>;
      const result = await handle({
        auth,
        body,
        pathParameters: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        requestId,
        event,
      });
      return { ...result, headers: { ...result.headers, 'x-request-id': requestId } };
    } catch (error) {
      if (error instanceof DomainError) {
        const status = statusOf(error);
        logger.info('request refused', { status, code: error.code });
        return errorResponse(status, error.code, error.message, error.details, {
          'x-request-id': requestId,
          ...(error instanceof TooManyRequestsError
            ? { 'retry-after': String(error.retryAfterSeconds) }
            : {}),
        });
      }
      logger.error('request failed', { error });
      return errorResponse(
        500,
        'internal_error',
        `Something went wrong on our side. Try again; if it keeps failing, contact support with request id ${requestId}.`,
        undefined,
        { 'x-request-id': requestId },
      );
    }
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
