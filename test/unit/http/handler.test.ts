import type { Context } from 'aws-lambda';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../../shared/errors';
import { httpRoute, json, setRequestAuditLog, type HttpEvent } from '../../../shared/http/handler';
import { MemoryAuditLog } from '../../support/memory-audit-log';

const context = { awsRequestId: 'req-1' } as Context;

// Refusals are audited; these tests have no jobs table, so the trail goes to memory.
before(() => {
  setRequestAuditLog(new MemoryAuditLog());
});

function event(
  overrides: Partial<HttpEvent> = {},
  claims: Record<string, string> | null = { sub: 'alice' },
): HttpEvent {
  return {
    routeKey: 'POST /x',
    rawPath: '/x',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      http: { method: 'POST', path: '/x' },
      ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
    },
    ...overrides,
  } as HttpEvent;
}

const body = z.object({ name: z.string().min(1) });
const echo = httpRoute({ body }, ({ auth, body: parsed }) =>
  Promise.resolve(json(200, { user: auth.userId, tier: auth.tier, ...parsed })),
);

interface ErrorShape {
  error?: { code: string; message: string; details?: unknown };
}

async function call(route: typeof echo, e: HttpEvent) {
  const result = await route(e, context);
  return {
    status: result.statusCode,
    body: JSON.parse(result.body ?? '{}') as ErrorShape & Record<string, unknown>,
  };
}

describe('httpRoute', () => {
  it('passes the verified user, tier and parsed body to the use case', async () => {
    const result = await call(
      echo,
      event({ body: JSON.stringify({ name: 'n' }) }, { sub: 'alice', 'custom:tier': 'premium' }),
    );
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { user: 'alice', tier: 'premium', name: 'n' });
  });

  it('reads a base64 body and defaults an unknown tier to free', async () => {
    const result = await call(
      echo,
      event(
        { body: Buffer.from('{"name":"b"}').toString('base64'), isBase64Encoded: true },
        { sub: 'bob', tier: 'platinum' },
      ),
    );
    assert.deepEqual(result.body, { user: 'bob', tier: 'free', name: 'b' });
  });

  it('answers 401 without verified claims, and for a subject unsafe in keys', async () => {
    for (const claims of [null, { sub: '../etc' }, { sub: '' }]) {
      const result = await call(echo, event({ body: '{"name":"n"}' }, claims));
      assert.equal(result.status, 401);
      assert.equal(result.body.error?.code, 'unauthorized');
    }
  });

  it('answers 400 for malformed JSON and for invalid fields, naming the field', async () => {
    const malformed = await call(echo, event({ body: '{nope' }));
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error?.code, 'malformed_json');
    const invalid = await call(echo, event({ body: '{"name":""}' }));
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error?.code, 'invalid_request');
    assert.match(JSON.stringify(invalid.body.error.details), /"path":"name"/);
  });

  it('maps domain errors to their status and hides everything else behind a 500', async () => {
    const thrower = (error: Error) => httpRoute({}, () => Promise.reject(error));
    assert.equal(
      (await call(thrower(new NotFoundError('job_not_found', 'No such job.')), event())).status,
      404,
    );
    assert.equal(
      (await call(thrower(new ConflictError('job_finished', 'Done already.')), event())).status,
      409,
    );
    const internal = await call(thrower(new Error('db password is hunter2')), event());
    assert.equal(internal.status, 500);
    assert.equal(internal.body.error?.code, 'internal_error');
    assert.doesNotMatch(JSON.stringify(internal.body), /hunter2/);
    assert.match(internal.body.error.message, /req-1/);
  });
});
