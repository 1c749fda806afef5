import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalRoute } from './assembly';
import { LOCAL_ACCOUNT } from './cfn';
import { TokenRejected, verifyToken, type Claims, type LocalIssuer } from './jwt';
import type { LambdaHost } from './lambda-host';
import type { SiteFile } from '../../web/site';

/** API Gateway's request payload limit for HTTP APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute extends LocalRoute {
  pattern: RegExp;
  names: string[];
  specificity: number;
}

function compile(route: LocalRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy) {
        names.push(greedy[1]!);
        return '(.+)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        names.push(param[1]!);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  // API Gateway prefers literal segments over parameters, and parameters over greedy ones.
  const specificity = route.path
    .split('/')
    .reduce((score, s) => score * 3 + (s.startsWith('{') ? (s.endsWith('+}') ? 0 : 1) : 2), 0);
  return { ...route, pattern: new RegExp(`^${source}$`), names, specificity };
}

function textTypes(contentType: string | undefined): boolean {
  return (
    !contentType || /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript))/.test(contentType)
  );
}

export interface HttpFrontOptions {
  routes: LocalRoute[];
  defaultRoute?: LocalRoute;
  lambdas: LambdaHost;
  issuer: LocalIssuer;
  /** Requests under /__local/ (emulator controls) go here. */
  localControl?: (request: IncomingMessage, body: Buffer, response: ServerResponse) => Promise<boolean>;
  /** The web page's files by path (`/`, `/app/...`, `/config.json`); undefined lets the request go on. */
  site?: (path: string) => Promise<(SiteFile & { status: number }) | undefined>;
}

/** Paths the web page never claims: the API's and the local controls'. */
function reservedForApi(path: string): boolean {
  return path.startsWith('/api/') || path === '/api' || path.startsWith('/__local/');
}

/** Serves a file of the web page; false when the site has no such file. */
async function serveSite(
  site: NonNullable<HttpFrontOptions['site']>,
  path: string,
  method: string,
  response: ServerResponse,
): Promise<boolean> {
  const file = await site(path);
  if (!file) return false;
  response.writeHead(file.status, {
    'content-type': file.contentType,
    'content-length': String(file.body.byteLength),
    'cache-control': file.cacheControl,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  });
  response.end(method === 'HEAD' ? undefined : file.body);
  return true;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * Turns HTTP requests into API Gateway HTTP API (payload 2.0) events for the same handlers, after checking the
 * bearer token as the JWT authorizer does. A refused token gets our error model; in AWS the authorizer's own
 * body is {"message":"Unauthorized"} with the same 401.
 */
/** A path segment decoded, or undefined when its %-escapes are malformed. */
function decodePathPart(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export function createHttpFront(
  options: HttpFrontOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const routes = options.routes.map(compile).sort((a, b) => b.specificity - a.specificity);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://local');
    const method = (request.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        sendJson(response, 413, {
          error: {
            code: 'payload_too_large',
            message: 'The request body is over 10 MB. Upload large files with POST /uploads instead.',
          },
        });
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);

    if (
      options.site &&
      (method === 'GET' || method === 'HEAD') &&
      !reservedForApi(url.pathname) &&
      (await serveSite(options.site, url.pathname, method, response))
    )
      return;

    if (
      url.pathname.startsWith('/__local/') &&
      options.localControl &&
      (await options.localControl(request, body, response))
    )
      return;

    let route: LocalRoute | undefined;
    let pathParameters: Record<string, string> | undefined;
    for (const candidate of routes) {
      if (candidate.method !== method && candidate.method !== 'ANY') continue;
      const match = candidate.pattern.exec(url.pathname);
      if (!match) continue;
      route = candidate;
      const decoded: [string, string][] = [];
      for (const [i, name] of candidate.names.entries()) {
        const value = decodePathPart(match[i + 1]!);
        if (value !== undefined) decoded.push([name, value]);
      }
      if (decoded.length < candidate.names.length) {
        // API Gateway refuses a malformed escape itself with a 400; here it is said in the error model.
        sendJson(response, 400, {
          error: {
            code: 'invalid_path',
            message: 'The path has a malformed %-escape. Send ids percent-encoded as UTF-8.',
          },
        });
        return;
      }
      pathParameters = Object.fromEntries(decoded);
      break;
    }
    route ??= options.defaultRoute;
    if (!route) {
      sendJson(response, 404, { message: 'Not Found' });
      return;
    }

    let claims: Claims | undefined;
    if (route.authorized) {
      const header = request.headers.authorization ?? '';
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      try {
        if (!token) throw new TokenRejected('The request has no bearer token.');
        claims = verifyToken(options.issuer, token);
      } catch (error) {
        const reason = error instanceof TokenRejected ? error.message : 'The token could not be verified.';
        sendJson(response, 401, {
          error: {
            code: 'unauthorized',
            message: `${reason} Send "Authorization: Bearer <token>"; locally, get one with "npm run token -- --user <id>".`,
          },
        });
        return;
      }
    }

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
    }
    const isText = textTypes(headers['content-type']);
    const requestId = randomUUID();
    const now = new Date();
    const query = url.searchParams;
    const event: APIGatewayProxyEventV2 & { requestContext: { authorizer?: unknown } } = {
      version: '2.0',
      routeKey: route.path === '$default' ? '$default' : `${route.method} ${route.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...([...query.keys()].length > 0
        ? {
            queryStringParameters: Object.fromEntries(
              [...new Set(query.keys())].map((k) => [k, query.getAll(k).join(',')]),
            ),
          }
        : {}),
      ...(pathParameters && Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
      requestContext: {
        accountId: LOCAL_ACCOUNT,
        apiId: 'local',
        domainName: headers.host ?? '127.0.0.1',
        domainPrefix: 'local',
        http: {
          method,
          path: url.pathname,
          protocol: 'HTTP/1.1',
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey: route.path === '$default' ? '$default' : `${route.method} ${route.path}`,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
      },
      ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !isText,
    };

    let result: unknown;
    try {
      result = await options.lambdas.invoke(route.functionId, event);
    } catch {
      sendJson(response, 500, { message: 'Internal Server Error' });
      return;
    }
    // Payload 2.0: a result without statusCode is a 200 JSON body, as API Gateway infers it.
    const shaped =
      result !== null && typeof result === 'object' && 'statusCode' in result
        ? (result as {
            statusCode: number;
            headers?: Record<string, string>;
            cookies?: string[];
            body?: string;
            isBase64Encoded?: boolean;
          })
        : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
    const responseHeaders: Record<string, string | string[]> = {
      ...(shaped.headers ?? {}),
      'apigw-requestid': requestId,
    };
    if (shaped.cookies?.length) responseHeaders['set-cookie'] = shaped.cookies;
    response.writeHead(shaped.statusCode, responseHeaders);
    response.end(
      shaped.body === undefined
        ? undefined
        : Buffer.from(shaped.body, shaped.isBase64Encoded ? 'base64' : 'utf8'),
    );
  };

  return (request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  };
}
