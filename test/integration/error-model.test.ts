// The error model on every route, through the local cloud (issue 6, point 7). For each operation of the route
// catalog: bad requests (malformed ids, bodies and queries, conflicts, missing or invalid tokens) answer a 4xx whose
// body is exactly {"error": {"code", "message", "details"?}}: a snake_case code, a message that is a sentence saying
// what to do next, nothing internal. Unknown routes and wrong methods too. A 5xx, provoked by taking a table away
// under a running cloud, says internal_error with the request id and nothing else.
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { ExportJobView } from '../../shared/exports/export-service';
import { API_OPERATIONS, routeKeyOf } from '../../shared/http/api-catalog';
import type { ImportJobView } from '../../shared/imports/import-service';
import { jsonOf, probe, type Credentials, type ProbeReply, type ProbeRequest } from '../support/api-probe';
import { errorModelProblems, errorOf, internalsIn, nextStepProblem } from '../support/error-model';
import { assertCoversCatalog } from '../support/route-catalog';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const CHATBOOKS = '/api/v1/chatbooks';
const LIBRARY = '/api/v1/library';
const SHARE_SECRET = 'error-model-share-secret-0123456789abcdef';
const USER = `err-user-${randomBytes(4).toString('hex')}`;
const NOTE_ID = 'err-note';
const PUBLIC = new Set(API_OPERATIONS.filter((op) => op.public).map(routeKeyOf));

/** Problems this suite found and that were fixed, each kept as a regression test of its own. */
const FIXED_PROBLEMS: readonly {
  name: string;
  reason: string;
  reproduce: () => BadRequest;
}[] = [
  {
    name: 'a refused token',
    reason:
      'infra/local/http-front.ts:172: the 401 for a refused token ends with "npm run token -- --user <id>", not a sentence',
    reproduce: () => ({
      name: 'no token',
      request: get(`${CHATBOOKS}/export/jobs`),
      as: 'none',
      status: 401,
    }),
  },
  {
    name: 'an item id with a slash',
    reason:
      'shared/library/library-service.ts:233 (invalid_id): the message states the id rule but no next step (e.g. "Choose an id of ...")',
    reproduce: () => ({
      name: 'an id with a slash',
      request: post(`${LIBRARY}/note`, { id: 'a/b', content: { title: 'x' } }),
      status: 400,
    }),
  },
  {
    name: 'a malformed job id on a download',
    reason:
      'shared/exports/export-service.ts:242 (invalid_job_id on GET /download): no next step (e.g. "Use the job_id that POST /export returned.")',
    reproduce: () => ({
      name: 'a malformed id',
      request: get(`${CHATBOOKS}/download/not-a-uuid`),
      status: 400,
    }),
  },
  {
    name: 'cancelling a finished import',
    reason:
      'shared/imports/import-service.ts:285 (job_finished on DELETE /import/jobs/{id}): "N item(s) were processed." gives no next step (the export\'s hint does: "download it or let it go")',
    reproduce: () => ({
      name: 'a finished import',
      request: del(`${CHATBOOKS}/import/jobs/${imported.job_id}`),
      status: 409,
    }),
  },
];

let cloud: TestCloud;
let internalNames: string[];
let exported: ExportJobView;
let imported: ImportJobView;
let token: string;

type Caller = 'user' | 'none' | 'garbage' | 'basic' | 'expired' | 'foreign key';

interface BadRequest {
  name: string;
  request: ProbeRequest;
  /** Who sends it; the verified user unless said. */
  as?: Caller;
  status: number | readonly number[];
  code?: string;
}

interface Entry {
  /** A request the route takes, for the token cases. */
  sample: () => ProbeRequest;
  bad: () => BadRequest[];
}

/** An RS256 token for the user with the right claims, signed by a key the API does not know. */
function foreignKeyToken(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'https://issuer.chatbooks.local',
    aud: 'chatbooks-local',
    sub: USER,
    iat: now,
    exp: now + 600,
  };
  const input = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
}

let foreignToken: string;

function credentialsOf(caller: Caller): Credentials {
  switch (caller) {
    case 'user':
      return { token };
    case 'none':
      return undefined;
    case 'garbage':
      return { token: 'not-a-token' };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${USER}:secret`).toString('base64')}` };
    case 'expired':
      return { token: cloud.token({ userId: USER, ttlSeconds: -3600 }) };
    case 'foreign key':
      return { token: foreignToken };
  }
}

const get = (path: string): ProbeRequest => ({ method: 'GET', path });
const del = (path: string): ProbeRequest => ({ method: 'DELETE', path });
const post = (path: string, body: unknown): ProbeRequest => ({ method: 'POST', path, body });
const postRaw = (path: string, raw: string | Buffer, contentType = 'application/json'): ProbeRequest => ({
  method: 'POST',
  path,
  raw,
  headers: { 'content-type': contentType },
});
const uuid = () => randomUUID();
const notAZip = Buffer.from('this is not a zip archive at all');

/** Every problem of the reply with the error model. */
function problemsOf(reply: ProbeReply): string[] {
  const problems = errorModelProblems(reply, { internalNames });
  const message = (reply.json as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof message === 'string') {
    const missing = nextStepProblem(message);
    if (missing) problems.push(missing);
  }
  return problems;
}

async function check(t: TestContext, bad: BadRequest): Promise<void> {
  await t.test(`${bad.name}${bad.as && bad.as !== 'user' ? ` (${bad.as})` : ''}`, async () => {
    const reply = await probe(cloud.url, bad.request, credentialsOf(bad.as ?? 'user'));
    const allowed = [bad.status].flat();
    assert.ok(
      allowed.includes(reply.status),
      `${bad.request.method} ${bad.request.path.slice(0, 120)} answered ${reply.status} (expected ${allowed.join(' or ')}): ${reply.text.slice(0, 400)}`,
    );
    assert.deepEqual(problemsOf(reply), [], reply.text.slice(0, 600));
    if (bad.code) assert.equal(errorOf(reply).code, bad.code);
  });
}

const MATRIX: Record<string, Entry> = {
  [`GET ${CHATBOOKS}/health`]: {
    sample: () => get(`${CHATBOOKS}/health`),
    bad: () => [
      { name: 'a wrong method', request: del(`${CHATBOOKS}/health`), status: 404, code: 'route_not_found' },
      {
        name: 'a wrong method without a token',
        request: post(`${CHATBOOKS}/health`, {}),
        as: 'none',
        status: 401,
      },
    ],
  },
  'GET /api/v1/openapi.json': {
    sample: () => get('/api/v1/openapi.json'),
    bad: () => [
      {
        name: 'a wrong method',
        request: { method: 'PUT', path: '/api/v1/openapi.json', body: {} },
        status: 404,
      },
    ],
  },
  [`POST ${CHATBOOKS}/export`]: {
    sample: () => post(`${CHATBOOKS}/export`, { name: 'Notes', selection: { note: 'all' } }),
    bad: () => [
      {
        name: 'malformed JSON',
        request: postRaw(`${CHATBOOKS}/export`, '{"name": '),
        status: 400,
        code: 'malformed_json',
      },
      {
        name: 'a JSON array',
        request: postRaw(`${CHATBOOKS}/export`, '[]'),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'no name',
        request: post(`${CHATBOOKS}/export`, { selection: { note: 'all' } }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown content type',
        request: post(`${CHATBOOKS}/export`, { name: 'x', selection: { notes: 'all' } }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a malformed item id',
        request: post(`${CHATBOOKS}/export`, { name: 'x', selection: { note: ['../../etc/passwd'] } }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a name with path characters',
        request: post(`${CHATBOOKS}/export`, { name: '../<script>', selection: { note: 'all' } }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an item that does not exist',
        request: post(`${CHATBOOKS}/export`, { name: 'x', selection: { note: ['nope-1'] } }),
        status: 422,
        code: 'unknown_items',
      },
      {
        name: 'a selection with nothing in it',
        request: post(`${CHATBOOKS}/export`, { name: 'x', selection: { evaluation: 'all' } }),
        status: 422,
        code: 'nothing_to_export',
      },
    ],
  },
  [`GET ${CHATBOOKS}/export/jobs`]: {
    sample: () => get(`${CHATBOOKS}/export/jobs`),
    bad: () => [
      {
        name: 'limit 0',
        request: get(`${CHATBOOKS}/export/jobs?limit=0`),
        status: 400,
        code: 'invalid_query',
      },
      {
        name: 'limit not a number',
        request: get(`${CHATBOOKS}/export/jobs?limit=ten`),
        status: 400,
        code: 'invalid_query',
      },
      {
        name: 'an unknown status',
        request: get(`${CHATBOOKS}/export/jobs?status=done`),
        status: 400,
        code: 'invalid_query',
      },
      {
        name: 'a made-up cursor',
        request: get(`${CHATBOOKS}/export/jobs?cursor=abc`),
        status: 400,
        code: 'invalid_cursor',
      },
      {
        name: 'a cursor too long',
        request: get(`${CHATBOOKS}/export/jobs?cursor=${'a'.repeat(2049)}`),
        status: 400,
        code: 'invalid_query',
      },
    ],
  },
  [`GET ${CHATBOOKS}/export/jobs/{job_id}`]: {
    sample: () => get(`${CHATBOOKS}/export/jobs/${uuid()}`),
    bad: () => [
      {
        name: 'a malformed id',
        request: get(`${CHATBOOKS}/export/jobs/not-a-uuid`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: 'an id too long',
        request: get(`${CHATBOOKS}/export/jobs/${'a'.repeat(201)}`),
        status: 400,
        code: 'invalid_path',
      },
      {
        name: 'an unknown id',
        request: get(`${CHATBOOKS}/export/jobs/${uuid()}`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: "an import job's id",
        request: get(`${CHATBOOKS}/export/jobs/${imported.job_id}`),
        status: 404,
        code: 'job_not_found',
      },
    ],
  },
  [`DELETE ${CHATBOOKS}/export/jobs/{job_id}`]: {
    sample: () => del(`${CHATBOOKS}/export/jobs/${uuid()}`),
    bad: () => [
      {
        name: 'a malformed id',
        request: del(`${CHATBOOKS}/export/jobs/x%20y`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: 'an unknown id',
        request: del(`${CHATBOOKS}/export/jobs/${uuid()}`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: 'a finished export',
        request: del(`${CHATBOOKS}/export/jobs/${exported.job_id}`),
        status: 409,
        code: 'job_finished',
      },
    ],
  },
  [`GET ${CHATBOOKS}/download/{job_id}`]: {
    sample: () => get(`${CHATBOOKS}/download/${uuid()}`),
    bad: () => {
      const path = `${CHATBOOKS}/download/${exported.job_id}`;
      const past = String(Math.floor(Date.now() / 1000) - 60);
      const later = String(Math.floor(Date.now() / 1000) + 600);
      return [
        {
          name: 'a malformed id',
          request: get(`${CHATBOOKS}/download/not-a-uuid`),
          status: 400,
          code: 'invalid_job_id',
        },
        {
          name: 'an unknown id',
          request: get(`${CHATBOOKS}/download/${uuid()}`),
          status: 404,
          code: 'job_not_found',
        },
        {
          name: 'exp too long',
          request: get(`${path}?exp=${'1'.repeat(21)}&token=x`),
          status: 400,
          code: 'invalid_query',
        },
        {
          name: 'exp without token',
          request: get(`${path}?exp=${later}`),
          status: 403,
          code: 'missing_signature',
        },
        {
          name: 'exp not a time',
          request: get(`${path}?exp=soon&token=${'0'.repeat(64)}`),
          status: 400,
          code: 'invalid_exp',
        },
        {
          name: 'an expired link',
          request: get(`${path}?exp=${past}&token=${'0'.repeat(64)}`),
          status: 410,
          code: 'share_link_expired',
        },
        {
          name: 'a wrong token',
          request: get(`${path}?exp=${later}&token=${'0'.repeat(64)}`),
          status: 403,
          code: 'invalid_signature',
        },
      ];
    },
  },
  [`POST ${CHATBOOKS}/uploads`]: {
    sample: () => post(`${CHATBOOKS}/uploads`, { size_bytes: 100 }),
    bad: () => [
      {
        name: 'malformed JSON',
        request: postRaw(`${CHATBOOKS}/uploads`, '{'),
        status: 400,
        code: 'malformed_json',
      },
      {
        name: 'a negative size',
        request: post(`${CHATBOOKS}/uploads`, { size_bytes: -1 }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a size that is text',
        request: post(`${CHATBOOKS}/uploads`, { size_bytes: 'big' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a file name that is not a chatbook',
        request: post(`${CHATBOOKS}/uploads`, { file_name: 'x.exe' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown field',
        request: post(`${CHATBOOKS}/uploads`, { key: 'users/x/y' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a size over the tier',
        request: post(`${CHATBOOKS}/uploads`, { size_bytes: 10 ** 12 }),
        status: 413,
        code: 'file_too_large',
      },
      {
        name: 'a form without a file',
        request: postRaw(
          `${CHATBOOKS}/uploads`,
          '--b\r\ncontent-disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n',
          'multipart/form-data; boundary=b',
        ),
        status: 400,
        code: 'missing_file',
      },
      {
        name: 'an empty zip body',
        request: postRaw(`${CHATBOOKS}/uploads`, '', 'application/zip'),
        status: 400,
        code: 'empty_upload',
      },
      {
        name: 'a zip body over the in-request limit',
        request: postRaw(`${CHATBOOKS}/uploads`, Buffer.alloc(4 * 1024 * 1024 + 1), 'application/zip'),
        status: 413,
        code: 'inline_upload_too_large',
      },
    ],
  },
  [`POST ${CHATBOOKS}/preview`]: {
    sample: () => post(`${CHATBOOKS}/preview`, { upload_id: uuid() }),
    bad: () => [
      {
        name: 'malformed JSON',
        request: postRaw(`${CHATBOOKS}/preview`, 'nope'),
        status: 400,
        code: 'malformed_json',
      },
      {
        name: 'no upload id',
        request: post(`${CHATBOOKS}/preview`, {}),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown source format',
        request: post(`${CHATBOOKS}/preview`, { upload_id: uuid(), source_format: 'word' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown upload',
        request: post(`${CHATBOOKS}/preview`, { upload_id: uuid() }),
        status: 404,
        code: 'upload_not_found',
      },
      {
        name: 'a malformed upload id',
        request: post(`${CHATBOOKS}/preview`, { upload_id: '../x' }),
        status: 404,
        code: 'upload_not_found',
      },
      {
        name: 'a body that is not a zip',
        request: postRaw(`${CHATBOOKS}/preview`, notAZip, 'application/zip'),
        status: [400, 422],
      },
    ],
  },
  [`POST ${CHATBOOKS}/import`]: {
    sample: () => post(`${CHATBOOKS}/import`, { upload_id: uuid() }),
    bad: () => [
      {
        name: 'malformed JSON',
        request: postRaw(`${CHATBOOKS}/import`, '{"upload_id"'),
        status: 400,
        code: 'malformed_json',
      },
      {
        name: 'no upload id',
        request: post(`${CHATBOOKS}/import`, { strategy: 'skip' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown strategy',
        request: post(`${CHATBOOKS}/import`, { upload_id: uuid(), strategy: 'replace' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown field',
        request: post(`${CHATBOOKS}/import`, { upload_id: uuid(), user_id: 'someone' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown upload',
        request: post(`${CHATBOOKS}/import`, { upload_id: uuid() }),
        status: 404,
        code: 'upload_not_found',
      },
    ],
  },
  [`GET ${CHATBOOKS}/import/jobs`]: {
    sample: () => get(`${CHATBOOKS}/import/jobs`),
    bad: () => [
      {
        name: 'a negative limit',
        request: get(`${CHATBOOKS}/import/jobs?limit=-1`),
        status: 400,
        code: 'invalid_query',
      },
      {
        name: 'limit over the maximum',
        request: get(`${CHATBOOKS}/import/jobs?limit=100000`),
        status: 400,
        code: 'invalid_query',
      },
      {
        name: 'a made-up cursor',
        request: get(`${CHATBOOKS}/import/jobs?cursor=eyJ4IjoxfQ`),
        status: 400,
        code: 'invalid_cursor',
      },
    ],
  },
  [`GET ${CHATBOOKS}/import/jobs/{job_id}`]: {
    sample: () => get(`${CHATBOOKS}/import/jobs/${uuid()}`),
    bad: () => [
      {
        name: 'a malformed id',
        request: get(`${CHATBOOKS}/import/jobs/123`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: 'an unknown id',
        request: get(`${CHATBOOKS}/import/jobs/${uuid()}`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: "an export job's id",
        request: get(`${CHATBOOKS}/import/jobs/${exported.job_id}`),
        status: 404,
        code: 'job_not_found',
      },
    ],
  },
  [`GET ${CHATBOOKS}/import/jobs/{job_id}/report`]: {
    sample: () => get(`${CHATBOOKS}/import/jobs/${uuid()}/report`),
    bad: () => [
      {
        name: 'an unknown id',
        request: get(`${CHATBOOKS}/import/jobs/${uuid()}/report`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: 'limit 0',
        request: get(`${CHATBOOKS}/import/jobs/${imported.job_id}/report?limit=0`),
        status: 400,
        code: 'invalid_query',
      },
      {
        name: 'a made-up cursor',
        request: get(`${CHATBOOKS}/import/jobs/${imported.job_id}/report?cursor=abc`),
        status: 400,
        code: 'invalid_cursor',
      },
    ],
  },
  [`DELETE ${CHATBOOKS}/import/jobs/{job_id}`]: {
    sample: () => del(`${CHATBOOKS}/import/jobs/${uuid()}`),
    bad: () => [
      {
        name: 'an unknown id',
        request: del(`${CHATBOOKS}/import/jobs/${uuid()}`),
        status: 404,
        code: 'job_not_found',
      },
      {
        name: 'a finished import',
        request: del(`${CHATBOOKS}/import/jobs/${imported.job_id}`),
        status: 409,
        code: 'job_finished',
      },
    ],
  },
  [`GET ${CHATBOOKS}/quota`]: {
    sample: () => get(`${CHATBOOKS}/quota`),
    bad: () => [
      { name: 'a wrong method', request: del(`${CHATBOOKS}/quota`), status: 404, code: 'route_not_found' },
    ],
  },
  [`POST ${CHATBOOKS}/cleanup`]: {
    sample: () => post(`${CHATBOOKS}/cleanup`, {}),
    bad: () => [
      { name: 'a wrong method', request: get(`${CHATBOOKS}/cleanup`), status: 404, code: 'route_not_found' },
    ],
  },
  [`GET ${CHATBOOKS}/audit`]: {
    sample: () => get(`${CHATBOOKS}/audit`),
    bad: () => [
      { name: 'limit 0', request: get(`${CHATBOOKS}/audit?limit=0`), status: 400, code: 'invalid_query' },
      {
        name: 'an action that is not a name',
        request: get(`${CHATBOOKS}/audit?action=Drop%20Table`),
        status: 400,
        code: 'invalid_query',
      },
      { name: 'a made-up cursor', request: get(`${CHATBOOKS}/audit?cursor=abc`), status: 400 },
    ],
  },
  [`GET ${LIBRARY}/{type}`]: {
    sample: () => get(`${LIBRARY}/note`),
    bad: () => [
      { name: 'an unknown type', request: get(`${LIBRARY}/notes`), status: 400, code: 'invalid_path' },
      { name: 'limit 0', request: get(`${LIBRARY}/note?limit=0`), status: 400, code: 'invalid_query' },
      {
        name: 'a time that is not ISO 8601',
        request: get(`${LIBRARY}/note?updated_since=yesterday`),
        status: 400,
        code: 'invalid_query',
      },
      {
        name: 'a made-up cursor',
        request: get(`${LIBRARY}/note?cursor=abc`),
        status: 400,
        code: 'invalid_cursor',
      },
      {
        name: 'a search too long',
        request: get(`${LIBRARY}/note?q=${'q'.repeat(201)}`),
        status: 400,
        code: 'invalid_query',
      },
    ],
  },
  [`POST ${LIBRARY}/{type}`]: {
    sample: () => post(`${LIBRARY}/note`, { content: { title: 'x', content: 'y' } }),
    bad: () => [
      {
        name: 'malformed JSON',
        request: postRaw(`${LIBRARY}/note`, '{"content": {'),
        status: 400,
        code: 'malformed_json',
      },
      {
        name: 'content that is not an object',
        request: post(`${LIBRARY}/note`, { content: 'text' }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown type',
        request: post(`${LIBRARY}/notes`, { content: {} }),
        status: 400,
        code: 'invalid_path',
      },
      {
        name: 'an id with a slash',
        request: post(`${LIBRARY}/note`, { id: 'a/b', content: { title: 'x' } }),
        status: 400,
        code: 'invalid_id',
      },
      {
        name: 'a reserved id',
        request: post(`${LIBRARY}/note`, { id: 'imp-1', content: { title: 'x' } }),
        status: 400,
        code: 'reserved_id',
      },
      {
        name: 'content its type refuses',
        request: post(`${LIBRARY}/note`, { content: { content: 'A note without a title.' } }),
        status: 422,
        code: 'invalid_content',
      },
      {
        name: 'too many tags',
        request: post(`${LIBRARY}/note`, {
          tags: Array.from({ length: 51 }, (_, i) => `t${i}`),
          content: { title: 'x' },
        }),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an id that exists',
        request: post(`${LIBRARY}/note`, { id: NOTE_ID, content: { title: 'x' } }),
        status: 409,
        code: 'item_exists',
      },
    ],
  },
  [`GET ${LIBRARY}/{type}/{id}`]: {
    sample: () => get(`${LIBRARY}/note/${NOTE_ID}`),
    bad: () => [
      { name: 'an unknown id', request: get(`${LIBRARY}/note/nope`), status: 404, code: 'item_not_found' },
      {
        name: 'an unknown type',
        request: get(`${LIBRARY}/bogus/${NOTE_ID}`),
        status: 400,
        code: 'invalid_path',
      },
      {
        name: 'an id too long',
        request: get(`${LIBRARY}/note/${'n'.repeat(301)}`),
        status: 400,
        code: 'invalid_path',
      },
      {
        name: 'an id nobody could have',
        request: get(`${LIBRARY}/note/${encodeURIComponent('../x')}`),
        status: 404,
        code: 'item_not_found',
      },
    ],
  },
  [`PUT ${LIBRARY}/{type}/{id}`]: {
    sample: () => ({ method: 'PUT', path: `${LIBRARY}/note/${NOTE_ID}`, body: { content: { title: 'x' } } }),
    bad: () => {
      const put = (path: string, body: unknown, headers?: Record<string, string>): ProbeRequest => ({
        method: 'PUT',
        path,
        body,
        ...(headers ? { headers } : {}),
      });
      return [
        {
          name: 'an unknown id',
          request: put(`${LIBRARY}/note/nope`, { content: { title: 'x' } }),
          status: 404,
          code: 'item_not_found',
        },
        {
          name: 'a malformed If-Match',
          request: put(`${LIBRARY}/note/${NOTE_ID}`, { content: { title: 'x' } }, { 'if-match': 'latest' }),
          status: 400,
          code: 'invalid_headers',
        },
        {
          name: 'a stale If-Match',
          request: put(`${LIBRARY}/note/${NOTE_ID}`, { content: { title: 'x' } }, { 'if-match': '"99"' }),
          status: 409,
          code: 'version_conflict',
        },
        {
          name: 'a body id that is not the path id',
          request: put(`${LIBRARY}/note/${NOTE_ID}`, { id: 'other', content: { title: 'x' } }),
          status: 400,
          code: 'id_mismatch',
        },
        {
          name: 'no content',
          request: put(`${LIBRARY}/note/${NOTE_ID}`, {}),
          status: 400,
          code: 'invalid_request',
        },
      ];
    },
  },
  [`DELETE ${LIBRARY}/{type}/{id}`]: {
    sample: () => del(`${LIBRARY}/note/nope`),
    bad: () => [
      { name: 'an unknown id', request: del(`${LIBRARY}/note/nope`), status: 404, code: 'item_not_found' },
      {
        name: 'an unknown type',
        request: del(`${LIBRARY}/bogus/${NOTE_ID}`),
        status: 400,
        code: 'invalid_path',
      },
    ],
  },
};

/** Bad tokens every authenticated route refuses with 401. */
const TOKEN_CASES: readonly Caller[] = ['none', 'garbage', 'basic', 'expired', 'foreign key'];

before(async () => {
  cloud = await startTestCloud({ functionEnvironment: { SHARE_LINK_SECRET: SHARE_SECRET } });
  internalNames = [
    cloud.resources.bucket,
    cloud.resources.jobsTable,
    cloud.resources.libraryTable,
    cloud.resources.exportMachineArn,
    cloud.resources.importMachineArn,
  ];
  token = cloud.token({ userId: USER, tier: 'premium' });
  foreignToken = foreignKeyToken();
  const user = { token };
  const created = await probe(
    cloud.url,
    post(`${LIBRARY}/note`, { id: NOTE_ID, content: { title: 'A note', content: 'Text.' } }),
    user,
  );
  assert.equal(created.status, 201, created.text);
  const exportReply = await probe(
    cloud.url,
    post(`${CHATBOOKS}/export`, { name: 'Notes', selection: { note: 'all' } }),
    user,
  );
  assert.equal(exportReply.status, 201, exportReply.text);
  exported = jsonOf(exportReply) as ExportJobView;
  const redirect = await probe(cloud.url, get(exported.download_url ?? ''), user);
  assert.equal(redirect.status, 302);
  const archive = Buffer.from(await (await fetch(redirect.headers.location ?? '')).arrayBuffer());
  const upload = await probe(cloud.url, postRaw(`${CHATBOOKS}/uploads`, archive, 'application/zip'), user);
  assert.equal(upload.status, 201, upload.text);
  const { upload_id } = jsonOf(upload) as { upload_id: string };
  const importReply = await probe(
    cloud.url,
    post(`${CHATBOOKS}/import`, { upload_id, strategy: 'rename' }),
    user,
  );
  assert.equal(importReply.status, 201, importReply.text);
  imported = jsonOf(importReply) as ImportJobView;
  assert.equal(imported.status, 'completed');
});

after(async () => {
  await cloud.dispose();
});

describe('the error model on every route', () => {
  it('has bad requests for every route of the catalog', () => {
    assertCoversCatalog(MATRIX, 'error-model cases');
  });

  for (const [route, entry] of Object.entries(MATRIX)) {
    it(route, async (t) => {
      const bad = entry.bad();
      assert.ok(bad.length > 0);
      for (const request of bad) await check(t, request);
      if (PUBLIC.has(route)) {
        // A public route answers without a token; its wrong methods are the cases above.
        const open = await probe(cloud.url, entry.sample(), undefined);
        assert.ok(open.status < 400, `${route} is public: ${open.status}`);
        return;
      }
      for (const caller of TOKEN_CASES) {
        await check(t, {
          name: 'a refused token',
          request: entry.sample(),
          as: caller,
          status: 401,
          code: 'unauthorized',
        });
      }
    });
  }
});

describe('routes that do not exist', () => {
  const cases: BadRequest[] = [
    {
      name: 'an unknown path',
      request: get(`${CHATBOOKS}/nothing-here`),
      status: 404,
      code: 'route_not_found',
    },
    {
      name: 'an unknown version',
      request: get('/api/v2/chatbooks/health'),
      status: 404,
      code: 'route_not_found',
    },
    {
      name: 'a wrong method on a known path',
      request: post(`${CHATBOOKS}/export/jobs`, {}),
      status: 404,
      code: 'route_not_found',
    },
    {
      name: 'PATCH',
      request: { method: 'PATCH', path: `${LIBRARY}/note/${NOTE_ID}`, body: {} },
      status: 404,
      code: 'route_not_found',
    },
    {
      name: 'a path too deep',
      request: get(`${LIBRARY}/note/${NOTE_ID}/extra`),
      status: 404,
      code: 'route_not_found',
    },
    {
      name: 'an unknown path without a token',
      request: get(`${CHATBOOKS}/nothing-here`),
      as: 'none',
      status: 401,
      code: 'unauthorized',
    },
  ];
  it('answer 404 route_not_found (401 without a token) in the error model', async (t) => {
    for (const bad of cases) await check(t, bad);
  });
});

describe('problems once found, now fixed', () => {
  for (const known of FIXED_PROBLEMS) {
    it(`${known.name} (was: ${known.reason})`, async () => {
      const bad = known.reproduce();
      const reply = await probe(cloud.url, bad.request, credentialsOf(bad.as ?? 'user'));
      assert.ok([bad.status].flat().includes(reply.status), reply.text);
      const problems = errorModelProblems(reply, { internalNames });
      const missing = nextStepProblem(errorOf(reply).message);
      assert.deepEqual(missing ? [...problems, missing] : problems, []);
    });
  }

  it('a path parameter that is not valid percent-encoding is a 4xx in the model (was a 500 outside it)', async () => {
    const reply = await probe(cloud.url, get(`${LIBRARY}/note/%E0%A4%A`), { token });
    assert.ok([400, 404].includes(reply.status), `${reply.status} ${reply.text}`);
    assert.deepEqual(problemsOf(reply), []);
  });
});

describe("the local HTTP front's own refusals", () => {
  it('a refused token is 401 unauthorized in the model, saying how to send one', async () => {
    const reply = await probe(cloud.url, get(`${CHATBOOKS}/export/jobs`), { token: 'x.y.z' });
    assert.equal(reply.status, 401);
    assert.deepEqual(problemsOf(reply), []);
    assert.equal(errorOf(reply).code, 'unauthorized');
    assert.match(errorOf(reply).message, /Authorization: Bearer/);
  });

  it('a body over API Gateway’s 10 MB is 413 in the model', async () => {
    const reply = await probe(
      cloud.url,
      postRaw(`${CHATBOOKS}/uploads`, Buffer.alloc(10 * 1024 * 1024 + 1), 'application/zip'),
      { token },
    ).catch((error: unknown) => error);
    if (reply instanceof Error) {
      // The front may answer before it has read the whole body, and close the socket under the sender.
      assert.match(
        `${reply.message} ${reply.cause instanceof Error ? reply.cause.message : ''}`,
        /EPIPE|ECONNRESET|other side closed|socket/i,
      );
      return;
    }
    const answered = reply as ProbeReply;
    assert.equal(answered.status, 413);
    assert.deepEqual(problemsOf(answered), []);
  });
});

describe('a 5xx', () => {
  it('says internal_error with the request id, and nothing internal, when a table is gone', async () => {
    const dynamodb = new DynamoDBClient({
      region: cloud.aws.region,
      credentials: cloud.aws.credentials,
      endpoint: cloud.aws.dynamodbEndpoint,
    });
    try {
      await dynamodb.send(new DeleteTableCommand({ TableName: cloud.resources.libraryTable }));
    } finally {
      dynamodb.destroy();
    }
    const requests = [
      get(`${LIBRARY}/note`),
      get(`${LIBRARY}/note/${NOTE_ID}`),
      post(`${LIBRARY}/note`, { content: { title: 'x' } }),
      post(`${CHATBOOKS}/export`, { name: 'Notes', selection: { note: 'all' } }),
    ];
    for (const request of requests) {
      let reply = await probe(cloud.url, request, { token });
      // dynalite takes a moment to drop a table; until then it answers as before.
      for (let attempt = 0; reply.status < 500 && attempt < 40; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        reply = await probe(cloud.url, request, { token });
      }
      assert.equal(reply.status, 500, `${request.method} ${request.path}: ${reply.text}`);
      assert.deepEqual(problemsOf(reply), []);
      const error = errorOf(reply);
      assert.equal(error.code, 'internal_error');
      assert.equal(error.details, undefined);
      const requestId = reply.headers['x-request-id'] ?? '';
      assert.match(requestId, /^[0-9a-f-]{36}$/);
      assert.ok(error.message.includes(requestId), 'the message gives the request id to quote');
      assert.deepEqual(
        internalsIn(JSON.stringify(reply.headers), { internalNames }),
        [],
        'headers show nothing internal',
      );
      assert.doesNotMatch(reply.text, /dynamo|table|resource|not found|exception/i);
    }
  });
});
