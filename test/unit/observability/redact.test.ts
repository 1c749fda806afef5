import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hashUserId, logger, type LogWriter } from '../../../shared/observability/logger';
import { MAX_REDACT_ARRAY, redact, redactString, serializeError } from '../../../shared/observability/redact';

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInRpZXIiOiJmcmVlIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
const SIGNATURE = '5f1c0a9e7d3b2a4c6e8f0123456789abcdef0123456789abcdef0123456789ab';
const PRESIGNED =
  'https://chatbooks-data.s3.us-east-1.amazonaws.com/users/alice%40example.com/chatbooks/exports/' +
  'b5a0c3de-1111-4222-8333-944455556666/Notes.chatbook?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z' +
  `&X-Amz-Expires=300&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-Signature=${SIGNATURE}` +
  '&X-Amz-SignedHeaders=host';
const SHARE_TOKEN = 'a3f9c1d2e4b5a6978877665544332211ffeeddccbbaa99887766554433221100';

describe('redactString', () => {
  it('removes a presigned URL after its origin: no path with the user id, no signature, no credential', () => {
    const text = redactString(`redirecting to ${PRESIGNED} now`);
    assert.equal(text, `redirecting to https://chatbooks-data.s3.us-east-1.amazonaws.com/[redacted] now`);
  });

  it('removes signed query parameters from relative links and bare query strings', () => {
    assert.equal(
      redactString(`/api/v1/chatbooks/download/b5a0c3de?exp=1767225600&token=${SHARE_TOKEN}`),
      '/api/v1/chatbooks/download/b5a0c3de?exp=1767225600&[redacted]',
    );
    const bare = redactString(`X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=${SIGNATURE}&part=2`);
    assert.equal(bare, '[redacted]&[redacted]&part=2');
    assert.equal(redactString('access_token=abc.def id_token=xyz'), '[redacted] [redacted]');
  });

  it('keeps URLs without credentials as they are', () => {
    const url = 'http://127.0.0.1:4510/api/v1/library/note?limit=3&cursor=abc';
    assert.equal(redactString(`GET ${url}`), `GET ${url}`);
  });

  it('removes bearer tokens, JWTs and authorization headers in any notation', () => {
    assert.equal(redactString(`Bearer ${JWT}`), 'Bearer [redacted]');
    assert.equal(redactString(`got ${JWT} from the client`), 'got [redacted] from the client');
    assert.equal(redactString(`authorization: Bearer ${JWT}`), 'authorization: [redacted]');
    assert.equal(
      redactString(`{"Authorization":"Bearer ${JWT}","accept":"application/json"}`),
      '{"Authorization":"[redacted]","accept":"application/json"}',
    );
    const sigv4 =
      'Authorization=AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/s3/aws4_request, ' +
      `SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`;
    assert.equal(redactString(sigv4), 'Authorization=[redacted]');
    assert.equal(
      redactString(`Credential=AKIAEXAMPLE/20260101, Signature=${SIGNATURE}`),
      '[redacted], [redacted]',
    );
    // Three long base64url segments are a token whatever their header says.
    const opaque = `${'a'.repeat(24)}.${'b'.repeat(30)}.${'c'.repeat(43)}`;
    assert.equal(redactString(`token ${opaque}`), 'token [redacted]');
  });

  it('replaces user ids in S3 keys and table keys', () => {
    assert.equal(
      redactString('NoSuchKey users/alice%40example.com/chatbooks/imports/u.chatbook'),
      'NoSuchKey users/[redacted]/chatbooks/imports/u.chatbook',
    );
    assert.equal(
      redactString('{"pk":"USER#alice","sk":"JOB#export#1"}'),
      '{"pk":"USER#[redacted]","sk":"JOB#export#1"}',
    );
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'export finished: 12 items, format 1.1.0, file a.b.c',
      'authorization failed for the request',
      'the Bearer of good news',
      'step export.prepare took 15 ms',
    ]) {
      assert.equal(redactString(text), text);
    }
  });
});

describe('redact', () => {
  it('drops keys named like credentials at every depth and scrubs every string', () => {
    const value = redact({
      route: 'GET /api/v1/chatbooks/download/{job_id}',
      token: 'abc',
      headers: { Authorization: `Bearer ${JWT}`, Cookie: 'session=1', 'content-type': 'application/json' },
      nested: [{ password: 'p', clientSecret: 's', apiKey: 'k', note: `see ${PRESIGNED}` }],
      shareToken: SHARE_TOKEN,
      'x-amz-security-token': 'IQoJ',
      xAmzSignature: SIGNATURE,
    });
    assert.deepEqual(value, {
      route: 'GET /api/v1/chatbooks/download/{job_id}',
      headers: { 'content-type': 'application/json' },
      nested: [{ note: 'see https://chatbooks-data.s3.us-east-1.amazonaws.com/[redacted]' }],
    });
  });

  it('bounds depth and array length, and turns bigints, dates, binary and errors into safe values', () => {
    const deep = { a: { b: { c: { d: { e: { f: { g: 'too deep' } } } } } } };
    assert.equal(JSON.stringify(redact(deep)).includes('too deep'), false);
    assert.match(JSON.stringify(redact(deep)), /\[truncated\]/);
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    assert.doesNotThrow(() => JSON.stringify(redact(cyclic)));

    const long = redact(Array.from({ length: MAX_REDACT_ARRAY + 7 }, (_, i) => i)) as unknown[];
    assert.equal(long.length, MAX_REDACT_ARRAY + 1);
    assert.equal(long.at(-1), '[7 more]');

    assert.deepEqual(
      redact({ big: 12n, at: new Date(0), bytes: Buffer.from('secret body'), fn: () => 1, sym: Symbol('s') }),
      { big: '12', at: '1970-01-01T00:00:00.000Z', bytes: '[binary 11 bytes]' },
    );
  });

  it('keeps an error name, code and frames, never its message', () => {
    const error = new Error(`could not fetch ${PRESIGNED} for users/alice/x: body "private note"`);
    (error as Error & { code: string }).code = 'ECONNRESET';
    const serialized = serializeError(error);
    assert.equal(serialized.name, 'Error');
    assert.equal(serialized.code, 'ECONNRESET');
    assert.match(String(serialized.stack), /^at /);
    const text = JSON.stringify(serialized);
    for (const secret of ['private note', SIGNATURE, 'alice', 'could not fetch'])
      assert.equal(text.includes(secret), false, secret);
    assert.deepEqual(serializeError('a string thrown'), { name: 'string' });
  });
});

describe('the logger', () => {
  let lines: { stream: string; record: Record<string, unknown> }[];
  let previous: LogWriter;

  beforeEach(() => {
    lines = [];
    previous = logger.setWriter((stream, line) => {
      assert.ok(line.endsWith('\n'));
      lines.push({ stream, record: JSON.parse(line) as Record<string, unknown> });
    });
  });
  afterEach(() => {
    logger.setWriter(previous);
    logger.resetKeys();
  });

  it('writes one JSON record per call with its persistent keys, errors and warnings to stderr', () => {
    logger.resetKeys();
    logger.appendKeys({ requestId: 'req-1', user: hashUserId('alice') });
    logger.info('request refused', { status: 404, code: 'job_not_found' });
    logger.error('request failed', { error: new TypeError('boom with private note') });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.stream, 'stdout');
    assert.deepEqual(
      { ...lines[0].record, time: 'T' },
      {
        level: 'info',
        time: 'T',
        service: 'chatbooks',
        message: 'request refused',
        requestId: 'req-1',
        user: hashUserId('alice'),
        status: 404,
        code: 'job_not_found',
      },
    );
    assert.equal(lines[1]?.stream, 'stderr');
    assert.equal((lines[1].record.error as { name: string }).name, 'TypeError');
    assert.equal(JSON.stringify(lines[1].record).includes('private note'), false);
  });

  it('redacts the message, the fields and the persistent keys before writing', () => {
    logger.resetKeys();
    logger.appendKeys({ authorization: `Bearer ${JWT}`, route: 'GET /x' });
    logger.warn(`redirect to ${PRESIGNED}`, {
      headers: { authorization: `Bearer ${JWT}` },
      detail: `share /download/1?exp=1&token=${SHARE_TOKEN}`,
      sessionCookie: 'abc',
    });
    const text = JSON.stringify(lines);
    for (const secret of [JWT, SIGNATURE, SHARE_TOKEN, 'X-Amz-Credential', 'alice%40example.com', 'abc'])
      assert.equal(text.includes(secret), false, secret);
    assert.equal(lines[0]?.record.route, 'GET /x');
    assert.deepEqual(lines[0].record.headers, {});
    assert.equal(lines[0].record.detail, 'share /download/1?exp=1&[redacted]');
  });

  it('keeps the keys of overlapping invocations apart', async () => {
    const invocation = async (id: string, delayMs: number) => {
      logger.resetKeys();
      logger.appendKeys({ requestId: id });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      logger.appendKeys({ jobId: `job-${id}` });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      logger.info('done');
    };
    await Promise.all([invocation('a', 20), invocation('b', 5)]);
    const byRequest: Record<string, unknown> = Object.fromEntries(
      lines.map(({ record }) => [String(record.requestId), record.jobId] as const),
    );
    assert.deepEqual(byRequest, { a: 'job-a', b: 'job-b' });
  });
});

describe('hashed user ids', () => {
  it('are stable, short, and keyed when a key is given (guesses cannot be hashed to match)', () => {
    const plain = hashUserId('ann@example.com', undefined);
    assert.match(plain, /^[0-9a-f]{16}$/);
    assert.equal(hashUserId('ann@example.com', undefined), plain);
    const keyed = hashUserId('ann@example.com', 'k'.repeat(40));
    assert.match(keyed, /^[0-9a-f]{16}$/);
    assert.notEqual(keyed, plain);
    assert.notEqual(hashUserId('ann@example.com', 'j'.repeat(40)), keyed);
  });
});
