import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** The one error body of every route: {"error": {"code", "message", "details"}}. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const SECURITY_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...SECURITY_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
): APIGatewayProxyStructuredResultV2 {
  const body: ErrorBody = { error: { code, message, ...(details ? { details } : {}) } };
  return json(statusCode, body, headers);
}
