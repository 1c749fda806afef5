// `chatbooks audit` against a stand-in API (a local HTTP server answering the audit route): the query it sends,
// the table and the JSON it prints, following cursors with --all, and the limits of its options.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { auditTable } from '../../../cli/commands/audit';
import { EXIT } from '../../../cli/exit-codes';
import type { AuditEventResponse, AuditPageResponse } from '../../../sdk/src';
import { runCliInProcess, type CliRun } from '../../support/cli-run';

const JOB_ID = '6f1d2c3b-4a59-4e8f-9b7a-0c1d2e3f4a5b';

function auditEvent(overrides: Partial<AuditEventResponse>): AuditEventResponse {
  return {
    at: '2026-03-01T09:00:00.000Z',
    action: 'export',
    outcome: 'succeeded',
    status: 201,
    code: null,
    request_id: 'req-1',
    job_id: JOB_ID,
    upload_id: null,
    details: {},
    ...overrides,
  };
}

const PAGES: Record<string, AuditPageResponse> = {
  first: {
    events: [
      auditEvent({ at: '2026-03-01T09:00:02.000Z', action: 'download', status: 302, request_id: 'req-3' }),
      auditEvent({
        at: '2026-03-01T09:00:01.000Z',
        action: 'export',
        outcome: 'refused',
        status: 429,
        code: 'rate_limited',
        request_id: 'req-2',
        job_id: null,
      }),
    ],
    next_cursor: 'CURSOR-2',
  },
  'CURSOR-2': { events: [auditEvent({ request_id: 'req-1' })], next_cursor: null },
};

let server: Server;
let endpoint: string;
let requests: { url: URL; authorization: string | undefined }[];

before(async () => {
  server = createServer((request: IncomingMessage, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ url, authorization: request.headers.authorization });
    const page = PAGES[url.searchParams.get('cursor') ?? 'first'];
    if (url.pathname !== '/api/v1/chatbooks/audit' || !page) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: 'invalid_cursor', message: 'Start again without a cursor.' } }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(page));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  requests = [];
});

function chatbooks(args: string[]): Promise<CliRun> {
  return runCliInProcess(args, { endpoint, token: 'token-ann' });
}

describe('chatbooks audit', () => {
  it('prints one page as a table, newest first, with the cursor of the next', async () => {
    const run = await chatbooks(['audit', '--limit', '2', '--action', 'export']);
    assert.equal(run.code, EXIT.ok, run.stderr);
    const [request] = requests;
    assert.ok(request);
    assert.equal(request.authorization, 'Bearer token-ann');
    assert.deepEqual(Object.fromEntries(request.url.searchParams), { limit: '2', action: 'export' });
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^TIME\s+ACTION\s+OUTCOME\s+STATUS\s+CODE\s+JOB \/ UPLOAD\s+REQUEST ID$/);
    assert.match(
      lines[1] ?? '',
      /^2026-03-01 09:00:02\s+download\s+succeeded\s+302\s+-\s+6f1d2c3b-\S+\s+req-3$/,
    );
    assert.match(lines[2] ?? '', /^2026-03-01 09:00:01\s+export\s+refused\s+429\s+rate_limited\s+-\s+req-2$/);
    assert.equal(lines[3], 'More: --cursor CURSOR-2');
  });

  it('prints JSON with --json, and every page with --all', async () => {
    const run = await chatbooks(['--json', 'audit', '--all']);
    assert.equal(run.code, EXIT.ok, run.stderr);
    const printed = JSON.parse(run.stdout) as AuditPageResponse;
    assert.deepEqual(
      printed.events.map((e) => e.request_id),
      ['req-3', 'req-2', 'req-1'],
    );
    assert.equal(printed.next_cursor, null);
    assert.deepEqual(
      requests.map((r) => r.url.searchParams.get('cursor')),
      [null, 'CURSOR-2'],
    );
    assert.equal(requests[0]?.url.searchParams.get('limit'), '20');
  });

  it('passes a cursor on, and reports a refused one as an API refusal', async () => {
    const next = await chatbooks(['--json', 'audit', '--cursor', 'CURSOR-2']);
    assert.equal(next.code, EXIT.ok);
    assert.deepEqual(
      (JSON.parse(next.stdout) as AuditPageResponse).events.map((e) => e.request_id),
      ['req-1'],
    );
    const forged = await chatbooks(['audit', '--cursor', 'forged']);
    assert.equal(forged.code, EXIT.apiRefused);
    assert.match(forged.stderr, /code invalid_cursor, HTTP 400/);
  });

  it('takes a limit from 1 to 100 only', async () => {
    for (const limit of ['0', '101', 'ten']) {
      const run = await chatbooks(['audit', '--limit', limit]);
      assert.equal(run.code, EXIT.usage, limit);
      assert.match(run.stderr, /from 1 to 100/);
    }
    assert.deepEqual(requests, []);
  });

  it('shows an upload id when the event has no job', () => {
    const [, line] = auditTable([
      auditEvent({ action: 'upload', job_id: null, upload_id: JOB_ID, request_id: null, status: null }),
    ]);
    assert.match(line ?? '', /upload\s+succeeded\s+-\s+-\s+upload 6f1d2c3b-\S+\s+-$/);
  });
});
