/** Calls to the API with the signed-in user's bearer token; every refusal becomes an ApiError with its message. */

/** A refusal, in the API's error model: {"error": {"code", "message", "details"}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The error a failed response carries: our error model, API Gateway's own `{"message"}` (its authorizer's 401,
 * throttling), or for anything else the status line, so the user always reads something.
 */
export async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string') {
    const code = typeof body.error.code === 'string' ? body.error.code : `http_${response.status}`;
    return new ApiError(response.status, code, body.error.message, body.error.details);
  }
  if (isRecord(body) && typeof body.message === 'string') {
    const hint = response.status === 401 ? ' Sign in again.' : '';
    return new ApiError(response.status, `http_${response.status}`, `${body.message}.${hint}`);
  }
  return new ApiError(
    response.status,
    `http_${response.status}`,
    `The service answered ${response.status} ${response.statusText || ''}`.trim() + '.',
  );
}

export function networkError(what: string): ApiError {
  return new ApiError(
    0,
    'network_error',
    `${what} could not reach the service. Check your connection (or that the local cloud runs) and try again.`,
  );
}

export interface ApiClientOptions {
  /** Base URL of the API; '' for the page's origin. */
  baseUrl: string;
  token: () => string | undefined;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  /** The raw response of an authorized request; throws ApiError on a network failure only. */
  async send(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = this.options.token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    try {
      return await fetch(`${this.options.baseUrl}${path}`, { ...init, headers });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw networkError('The request');
    }
  }

  /** A JSON request whose success body is T; any other answer is thrown as an ApiError. */
  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.send(path, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.json<T>('GET', path, undefined, signal);
  }
}

/** `path?k=v&...` without the empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
