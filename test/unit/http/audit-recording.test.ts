// What httpRoute records in the caller's audit trail: every outcome of a route with an audit action, only the
// refusals of the others, nothing for a caller without a verified user; ids, never URLs or tokens; and a request
// that still answers when the audit log fails.
import type { Context } from 'aws-lambda';
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import type { AuditEvent, AuditLog } from '../../../shared/audit/audit';
import { NotFoundError, TooManyRequestsError } from '../../../shared/errors';
import {
  httpRoute,
  json,
  routeTable,
  setRequestAuditLog,
  type HttpEvent,
} from '../../../shared/http/handler';
import { MemoryAuditLog } from '../../support/memory-audit-log';

const context = { awsRequestId: 'lambda-req' } as Context;
const JOB_ID = '6f1d2c3b-4a59-4e8f-9b7a-0c1d2e3f4a5b';
const UPLOAD_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJl';

function event(
  routeKey: string,
  overrides: Partial<HttpEvent> = {},
  claims: Record<string, string> | null = { sub: 'ann' },
): HttpEvent {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return {
    routeKey,
    rawPath: path,
    headers: { authorization: `Bearer ${TOKEN}` },
    isBase64Encoded: false,
    requestContext: {
      requestId: 'gw-req-1',
      http: { method, path },
      ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
    },
    ...overrides,
  } as HttpEvent;
}

let log: MemoryAuditLog;

beforeEach(() => {
  log = new MemoryAuditLog();
  setRequestAuditLog(log);
});

after(() => {
  setRequestAuditLog(undefined);
});

function only(user: string): AuditEvent {
  const events = log.all(user);
  assert.equal(events.length, 1, JSON.stringify(events));
  return events[0]!;
}

const exportRoute = httpRoute({ body: z.object({ name: z.string().min(1) }).strict(), audit: 'export' }, () =>
  Promise.resolve(
    json(201, {
      job_id: JOB_ID,
      status: 'completed',
      download_url: `https://bucket.example/users/ann/x.chatbook?X-Amz-Signature=deadbeef&token=${TOKEN}`,
      chatbook_name: 'Top secret',
    }),
  ),
);

describe('a route with an audit action', () => {
  it('records a success with its status, request id and the job id the answer carries, no URL or content', async () => {
    const result = await exportRoute(event('POST /export', { body: '{"name":"Top secret"}' }), context);
    assert.equal(result.statusCode, 201);
    const recorded = only('ann');
    assert.deepEqual(
      { ...recorded, at: undefined },
      {
        at: undefined,
        action: 'export',
        outcome: 'succeeded',
        status: 201,
        request_id: 'gw-req-1',
        job_id: JOB_ID,
      },
    );
    assert.ok(Math.abs(Date.parse(recorded.at) - Date.now()) < 5000);
    assert.doesNotMatch(JSON.stringify(log.all('ann')), /https|Amz|eyJ|secret|token/i);
  });

  it('records a redirect as succeeded, with the job id of the path', async () => {
    const download = httpRoute({ audit: 'download' }, () =>
      Promise.resolve({ statusCode: 302, headers: { location: 'https://s3.example/x?X-Amz-Signature=1' } }),
    );
    const result = await download(
      event('GET /download/{job_id}', {
        pathParameters: { job_id: JOB_ID },
        queryStringParameters: { exp: '1', token: 'share-secret' },
      }),
      context,
    );
    assert.equal(result.statusCode, 302);
    const recorded = only('ann');
    assert.deepEqual(
      [recorded.action, recorded.outcome, recorded.status, recorded.job_id],
      ['download', 'succeeded', 302, JOB_ID],
    );
    assert.doesNotMatch(JSON.stringify(recorded), /s3\.example|share-secret|Amz/);
  });

  it('records a validation failure, a refusal and a rate limit as refused, with the error code', async () => {
    assert.equal(
      (await exportRoute(event('POST /export', { body: '{"name":""}' }), context)).statusCode,
      400,
    );
    const limited = httpRoute({ audit: 'import' }, () =>
      Promise.reject(new TooManyRequestsError('rate_limited', 'Slow down.', 30)),
    );
    const refused = httpRoute({ audit: 'import' }, () =>
      Promise.reject(new NotFoundError('upload_not_found', 'No such upload.')),
    );
    assert.equal((await limited(event('POST /import'), context)).statusCode, 429);
    const body = JSON.stringify({ upload_id: UPLOAD_ID, strategy: 'skip' });
    const answer = await refused(
      event('POST /import', { body, headers: { 'content-type': 'application/json' } }),
      context,
    );
    assert.equal(answer.statusCode, 404);
    assert.deepEqual(
      log
        .all('ann')
        .reverse()
        .map((e) => [e.action, e.outcome, e.status, e.code, e.upload_id]),
      [
        ['export', 'refused', 400, 'invalid_request', undefined],
        ['import', 'refused', 429, 'rate_limited', undefined],
        ['import', 'refused', 404, 'upload_not_found', UPLOAD_ID],
      ],
    );
  });

  it('records a 500 as failed, without the internal message', async () => {
    const broken = httpRoute({ audit: 'preview' }, () => Promise.reject(new Error('db password hunter2')));
    assert.equal((await broken(event('POST /preview'), context)).statusCode, 500);
    const recorded = only('ann');
    assert.deepEqual([recorded.outcome, recorded.status, recorded.code], ['failed', 500, 'internal_error']);
    assert.doesNotMatch(JSON.stringify(recorded), /hunter2/);
  });

  it('refuses an action name that is not one at definition time', () => {
    assert.throws(
      () => httpRoute({ audit: 'Export Now!' }, () => Promise.resolve(json(200, {}))),
      /audit action/,
    );
  });
});

describe('a route without an audit action', () => {
  const table = routeTable({
    'GET /api/v1/library/{type}/{id}': httpRoute({}, ({ pathParameters }) =>
      pathParameters.id === 'mine'
        ? Promise.resolve(json(200, { id: 'mine', content: 'my private diary' }))
        : Promise.reject(new NotFoundError('item_not_found', 'No such item.')),
    ),
    'POST /api/v1/library/{type}': httpRoute({ body: z.object({ title: z.string() }) }, () =>
      Promise.resolve(json(201, {})),
    ),
    'GET /api/v1/chatbooks/export/jobs/{job_id}': httpRoute({}, () => Promise.reject(new Error('boom'))),
  });

  it('records only refusals, under the action of its route', async () => {
    const item = (id: string) =>
      table(event('GET /api/v1/library/{type}/{id}', { pathParameters: { type: 'note', id } }), context);
    assert.equal((await item('mine')).statusCode, 200);
    assert.equal((await item('someone-elses')).statusCode, 404);
    assert.equal(
      (await table(event('POST /api/v1/library/{type}', { body: '{nope' }), context)).statusCode,
      400,
    );
    assert.equal(
      (
        await table(
          event('GET /api/v1/chatbooks/export/jobs/{job_id}', { pathParameters: { job_id: JOB_ID } }),
          context,
        )
      ).statusCode,
      500,
    );
    assert.deepEqual(
      log
        .all('ann')
        .reverse()
        .map((e) => [e.action, e.outcome, e.status, e.code]),
      [
        ['library.read', 'refused', 404, 'item_not_found'],
        ['library.create', 'refused', 400, 'malformed_json'],
      ],
    );
    assert.doesNotMatch(JSON.stringify(log.all('ann')), /diary|someone/);
  });

  it('records nothing for a caller without a verified user (401), nor for a public route', async () => {
    const unauthenticated = await exportRoute(event('POST /export', { body: '{}' }, null), context);
    assert.equal(unauthenticated.statusCode, 401);
    const health = httpRoute({ auth: false }, () => Promise.reject(new NotFoundError('nope', 'No.')));
    assert.equal((await health(event('GET /health', {}, null), context)).statusCode, 404);
    assert.deepEqual(log.all(''), []);
    assert.deepEqual(log.all('ann'), []);
  });
});

describe('an audit log that fails', () => {
  it('does not fail the request', async () => {
    let attempts = 0;
    const failing: AuditLog = {
      record: () => {
        attempts++;
        return Promise.reject(new Error('table unavailable'));
      },
      list: () => Promise.reject(new Error('table unavailable')),
    };
    setRequestAuditLog(failing);
    const result = await exportRoute(event('POST /export', { body: '{"name":"n"}' }), context);
    assert.equal(result.statusCode, 201);
    assert.equal(result.headers?.['x-request-id'], 'gw-req-1');
    const refused = await exportRoute(event('POST /export', { body: '{}' }), context);
    assert.equal(refused.statusCode, 400);
    assert.equal(attempts, 2);
  });
});
