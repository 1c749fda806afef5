// One HTTP request to the local cloud's API, captured whole (status, every header, the body as text and as JSON),
// without following redirects: what the isolation and error-model tests look at.

export interface ProbeRequest {
  method: string;
  /** The path with its query string, e.g. `/api/v1/chatbooks/export/jobs?limit=1`. */
  path: string;
  /** Sent as JSON (with a JSON content type) unless `raw` is given. */
  body?: unknown;
  /** Sent as is: malformed JSON, a zip, a multipart form. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface ProbeReply {
  status: number;
  /** Every response header, names lower case. */
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
}

/** Authorization as the caller sends it: a bearer token, a raw header value, or none. */
export type Credentials = { token: string } | { authorization: string } | undefined;

function authorizationOf(credentials: Credentials): Record<string, string> {
  if (!credentials) return {};
  if ('token' in credentials) return { authorization: `Bearer ${credentials.token}` };
  return { authorization: credentials.authorization };
}

/** The bytes a request carries, as the server sees them. */
function bodyOf(request: ProbeRequest): { body?: Uint8Array | string; contentType?: string } {
  if (request.raw !== undefined) {
    return { body: typeof request.raw === 'string' ? request.raw : new Uint8Array(request.raw) };
  }
  if (request.body === undefined) return {};
  return { body: JSON.stringify(request.body), contentType: 'application/json' };
}

export async function probe(
  baseUrl: string,
  request: ProbeRequest,
  credentials: Credentials,
): Promise<ProbeReply> {
  const { body, contentType } = bodyOf(request);
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    redirect: 'manual',
    headers: {
      ...(contentType ? { 'content-type': contentType } : {}),
      ...authorizationOf(credentials),
      ...request.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers, text, json };
}

/** Everything the caller put in the request (path, query, headers, body), to tell echoes from leaks. */
export function requestText(request: ProbeRequest): string {
  const raw = request.raw === undefined ? '' : request.raw.toString();
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  const headers = Object.entries(request.headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  let decodedPath = request.path;
  try {
    decodedPath = decodeURIComponent(request.path);
  } catch {
    // A path with a stray % stays as sent.
  }
  return [request.method, request.path, decodedPath, headers, body, raw].join('\n');
}

/** The JSON body of a reply the test expects to be JSON; throws with the body otherwise. */
export function jsonOf(reply: ProbeReply): unknown {
  if (reply.json === undefined) throw new Error(`Expected a JSON body, got ${reply.status}: ${reply.text}`);
  return reply.json;
}
