// The audit trail through the local cloud: a full export, download, upload, preview and import by one user, the
// refusals of another (someone else's job id, a bad body, someone else's item), each in its own user's trail
// only, with outcomes and request ids; paging, filtering and forged cursors; the stored items and their TTL; and
// no token, URL, signature or content anywhere in the events.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../../cli/exit-codes';
import {
  ChatbooksApiError,
  ChatbooksClient,
  type AuditEventResponse,
  type AuditPageResponse,
} from '../../sdk/src';
import { encodeAuditCursor, auditSortKey } from '../../shared/audit/audit';
import { DynamoAuditLog } from '../../shared/aws/dynamo-audit-log';
import { KEY, userPartition } from '../../shared/aws/table-keys';
import { auditPageSchema } from '../../shared/http/api-responses';
import { runCliInProcess } from '../support/cli-run';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const ANN = 'audit-ann';
const BOB = 'audit-bob';
const CAT = 'audit-cat';
const SECRET = 'ZEBRA-CONTENT-5c1e-never-in-the-audit-trail';
const AUDIT = '/api/v1/chatbooks/audit';

let cloud: TestCloud;
const tokens: string[] = [];

function client(user: string): ChatbooksClient {
  const token = cloud.token({ userId: user });
  tokens.push(token);
  return new ChatbooksClient({ baseUrl: cloud.url, token });
}

function requestIdOf(response: Response): string {
  const id = response.headers.get('x-request-id');
  assert.ok(id, 'every answer names its request id');
  return id;
}

async function trail(user: string, query: Record<string, string> = {}): Promise<AuditEventResponse[]> {
  const page = await client(user).listAuditEvents({ limit: 100, ...query });
  assert.equal(page.next_cursor, null);
  return page.events;
}

/** The events of requests (job outcomes, recorded when jobs end, carry no status). */
function requestEvents(events: AuditEventResponse[]): AuditEventResponse[] {
  return events.filter((event) => event.status !== null);
}

interface Flow {
  exportJobId: string;
  uploadId: string;
  importJobId: string;
  noteId: string;
  requestIds: Record<'export' | 'download' | 'upload' | 'preview' | 'import', string>;
  location: string;
  bobRequestIds: string[];
}

let flow: Flow;

before(async () => {
  cloud = await startTestCloud();

  const note = await cloud.post('/api/v1/library/note', ANN, {
    content: { title: 'Field notes', content: `The secret is ${SECRET}.` },
  });
  assert.equal(note.status, 201);
  const noteId = ((await note.json()) as { id: string }).id;
  assert.equal(
    (await cloud.post('/api/v1/library/note', BOB, { content: { title: 'Bob', content: 'b' } })).status,
    201,
  );

  // Ann: export, download, upload, preview, import.
  const exported = await cloud.post('/api/v1/chatbooks/export', ANN, {
    name: 'Audit notes',
    selection: { note: 'all' },
  });
  assert.equal(exported.status, 201);
  const exportJobId = ((await exported.json()) as { job_id: string }).job_id;

  const download = await cloud.call(`/api/v1/chatbooks/download/${exportJobId}`, {
    user: ANN,
    redirect: 'manual',
  });
  assert.equal(download.status, 302);
  const location = download.headers.get('location') ?? '';
  assert.match(location, /X-Amz-Signature=/);
  const archive = Buffer.from(await (await fetch(location)).arrayBuffer());
  assert.ok(archive.length > 100);

  const uploaded = await cloud.post('/api/v1/chatbooks/uploads', ANN, { size_bytes: archive.length });
  assert.equal(uploaded.status, 201);
  const presigned = (await uploaded.json()) as {
    upload_id: string;
    url: string;
    fields: Record<string, string>;
  };
  const form = new FormData();
  for (const [name, value] of Object.entries(presigned.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(archive)]), 'notes.chatbook');
  assert.ok((await fetch(presigned.url, { method: 'POST', body: form })).ok);

  const previewed = await cloud.post('/api/v1/chatbooks/preview', ANN, { upload_id: presigned.upload_id });
  assert.equal(previewed.status, 200);
  const imported = await cloud.post('/api/v1/chatbooks/import', ANN, {
    upload_id: presigned.upload_id,
    strategy: 'rename',
  });
  assert.ok([201, 202].includes(imported.status), String(imported.status));
  const importJobId = ((await imported.json()) as { job_id: string }).job_id;

  // Bob: Ann's job, Ann's download, Ann's item, and a body that is not valid.
  const bobRequestIds: string[] = [];
  for (const [path, status] of [
    [`/api/v1/chatbooks/export/jobs/${exportJobId}`, 404],
    [`/api/v1/chatbooks/download/${exportJobId}`, 404],
    [`/api/v1/library/note/${encodeURIComponent(noteId)}`, 404],
  ] as const) {
    const response = await cloud.call(path, { user: BOB, redirect: 'manual' });
    assert.equal(response.status, status, path);
    bobRequestIds.push(requestIdOf(response));
  }
  const invalid = await cloud.post('/api/v1/chatbooks/export', BOB, {
    name: '',
    selection: { notes: 'all' },
  });
  assert.equal(invalid.status, 400);
  bobRequestIds.push(requestIdOf(invalid));

  flow = {
    exportJobId,
    uploadId: presigned.upload_id,
    importJobId,
    noteId,
    location,
    bobRequestIds,
    requestIds: {
      export: requestIdOf(exported),
      download: requestIdOf(download),
      upload: requestIdOf(uploaded),
      preview: requestIdOf(previewed),
      import: requestIdOf(imported),
    },
  };
});

after(async () => {
  await cloud.dispose();
});

describe('the audit trail', () => {
  it("lists a user's export, download, upload, preview and import in order, with outcomes and request ids", async () => {
    const events = await trail(ANN);
    assert.ok(auditPageSchema.safeParse({ events, next_cursor: null }).success);
    const requests = requestEvents(events).reverse();
    assert.deepEqual(
      requests.map(({ action, outcome, status, code, request_id, job_id, upload_id }) => ({
        action,
        outcome,
        status,
        code,
        request_id,
        job_id,
        upload_id,
      })),
      [
        {
          action: 'export',
          outcome: 'succeeded',
          status: 201,
          code: null,
          request_id: flow.requestIds.export,
          job_id: flow.exportJobId,
          upload_id: null,
        },
        {
          action: 'download',
          outcome: 'succeeded',
          status: 302,
          code: null,
          request_id: flow.requestIds.download,
          job_id: flow.exportJobId,
          upload_id: null,
        },
        {
          action: 'upload',
          outcome: 'succeeded',
          status: 201,
          code: null,
          request_id: flow.requestIds.upload,
          job_id: null,
          upload_id: flow.uploadId,
        },
        {
          action: 'preview',
          outcome: 'succeeded',
          status: 200,
          code: null,
          request_id: flow.requestIds.preview,
          job_id: null,
          upload_id: flow.uploadId,
        },
        {
          action: 'import',
          outcome: 'succeeded',
          status: requests.at(-1)?.status ?? 0,
          code: null,
          request_id: flow.requestIds.import,
          job_id: flow.importJobId,
          upload_id: flow.uploadId,
        },
      ],
    );
    const times = events.map((event) => Date.parse(event.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    // How each job ended is there too, after the request that started it (sync here: in the same request).
    const chronological = [...events].reverse().map((event) => `${event.action}:${event.job_id ?? ''}`);
    const exportEnd = chronological.indexOf(`export.completed:${flow.exportJobId}`);
    assert.ok(exportEnd > chronological.indexOf(`export:${flow.exportJobId}`), chronological.join(' '));
    assert.ok(chronological.includes(`import.completed:${flow.importJobId}`), chronological.join(' '));
  });

  it("records the other user's refused access and validation failure for that user, not for the owner", async () => {
    const bobs = requestEvents(await trail(BOB)).reverse();
    assert.deepEqual(
      bobs.map(({ action, outcome, status, code, request_id }) => ({
        action,
        outcome,
        status,
        code,
        request_id,
      })),
      [
        {
          action: 'export.jobs.read',
          outcome: 'refused',
          status: 404,
          code: 'job_not_found',
          request_id: flow.bobRequestIds[0],
        },
        {
          action: 'download',
          outcome: 'refused',
          status: 404,
          code: bobs[1]?.code ?? '',
          request_id: flow.bobRequestIds[1],
        },
        {
          action: 'library.read',
          outcome: 'refused',
          status: 404,
          code: bobs[2]?.code ?? '',
          request_id: flow.bobRequestIds[2],
        },
        {
          action: 'export',
          outcome: 'refused',
          status: 400,
          code: 'invalid_request',
          request_id: flow.bobRequestIds[3],
        },
      ],
    );
    assert.match(bobs[1]?.code ?? '', /not_found/);
    assert.match(bobs[2]?.code ?? '', /not_found/);

    const anns = await trail(ANN);
    assert.ok(
      anns.every((event) => event.outcome === 'succeeded'),
      'Ann was refused nothing',
    );
    const annIds = new Set(anns.map((event) => event.request_id));
    const bobIds = new Set(bobs.map((event) => event.request_id));
    assert.deepEqual(
      flow.bobRequestIds.filter((id) => annIds.has(id)),
      [],
      "Ann does not see Bob's events",
    );
    assert.deepEqual(
      Object.values(flow.requestIds).filter((id) => bobIds.has(id)),
      [],
      "Bob does not see Ann's events",
    );
  });

  it('pages with a cursor and filters by action', async () => {
    const all = await trail(ANN);
    const paged: AuditEventResponse[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page: AuditPageResponse = await client(ANN).listAuditEvents({ limit: 2, cursor });
      assert.ok(page.events.length <= 2);
      paged.push(...page.events);
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 50);
    assert.deepEqual(paged, all);
    assert.equal(pages, Math.ceil(all.length / 2));

    const downloads = await trail(ANN, { action: 'download' });
    assert.deepEqual(
      downloads.map((event) => [event.action, event.request_id]),
      [['download', flow.requestIds.download]],
    );
    const iterated: AuditEventResponse[] = [];
    for await (const event of client(ANN).auditEvents({ limit: 1 })) iterated.push(event);
    assert.deepEqual(iterated, all);
  });

  it("refuses a forged cursor with 400, and a cursor from one user's trail reads only the reader's own", async () => {
    const cat = client(CAT);
    const foreignPosition = encodeAuditCursor(auditSortKey(new Date(Date.now() + 60_000).toISOString()));
    for (const cursor of [
      'forged',
      Buffer.from(JSON.stringify({ sk: `JOB#export#${flow.exportJobId}` })).toString('base64url'),
      Buffer.from(JSON.stringify({ pk: userPartition(ANN), sk: 'AUDIT#' })).toString('base64url'),
    ]) {
      await assert.rejects(cat.listAuditEvents({ cursor }), (error: unknown) => {
        assert.ok(error instanceof ChatbooksApiError);
        assert.deepEqual([error.status, error.code], [400, 'invalid_cursor']);
        return true;
      });
    }
    for (const limit of ['0', '101', 'x']) {
      const response = await cloud.call(`${AUDIT}?limit=${limit}`, { user: CAT });
      assert.equal(response.status, 400, limit);
    }
    const badAction = await cloud.call(`${AUDIT}?action=${encodeURIComponent('export/../x')}`, { user: CAT });
    assert.equal(badAction.status, 400);
    // A valid position taken from Ann's listing, used by Cat: Cat's partition, so only Cat's events.
    const annCursor = (await client(ANN).listAuditEvents({ limit: 1 })).next_cursor;
    assert.ok(annCursor);
    for (const cursor of [annCursor, foreignPosition]) {
      const page = await cat.listAuditEvents({ cursor, limit: 100 });
      assert.ok(
        page.events.every((event) => event.action === 'audit.list' && event.outcome === 'refused'),
        JSON.stringify(page.events),
      );
    }
    // Cat's refusals were recorded for Cat.
    const cats = await trail(CAT);
    assert.equal(cats.filter((event) => event.code === 'invalid_cursor').length, 3);
    assert.equal(cats.filter((event) => event.code === 'invalid_query').length, 4);
    // Without a token there is no user to attribute the request to.
    assert.equal((await cloud.call(AUDIT)).status, 401);
  });

  it('holds no token, URL, signature, file content or chatbook name', async () => {
    const text = JSON.stringify([await trail(ANN), await trail(BOB), await trail(CAT)]);
    assert.ok(text.length > 500);
    for (const token of tokens) assert.ok(!text.includes(token), 'no token');
    assert.ok(!text.includes(flow.location), 'no presigned URL');
    for (const forbidden of [
      'X-Amz-Signature',
      'X-Amz-',
      'http://',
      'https://',
      '?',
      SECRET,
      'Field notes',
      'Audit notes',
      'eyJ',
    ]) {
      assert.ok(!text.includes(forbidden), forbidden);
    }
  });

  it('stores events in the user partition of the jobs table with a TTL of the retention', async () => {
    const stored = await cloud.documents.send(
      new QueryCommand({
        TableName: cloud.resources.jobsTable,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :audit)',
        ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort },
        ExpressionAttributeValues: { ':pk': userPartition(ANN), ':audit': 'AUDIT#' },
      }),
    );
    const items = stored.Items ?? [];
    assert.ok(items.length >= 5);
    const now = Date.now() / 1000;
    for (const item of items) {
      assert.match(String(item[KEY.sort]), /^AUDIT#\d{4}-\d{2}-\d{2}T[\d:.]+Z#[0-9a-f]{12}$/);
      const ttl = Number(item[KEY.ttl]);
      // 90 days by default (AUDIT_RETENTION_DAYS from the stack).
      assert.ok(Math.abs(ttl - (now + 90 * 86_400)) < 600, `ttl ${ttl}`);
      assert.equal(item.lsi1sk, undefined, 'not in the job listings');
    }
  });

  it('pages a long trail filtered by action through the DynamoDB adapter', async () => {
    const log = new DynamoAuditLog(cloud.documents, cloud.resources.jobsTable, 7);
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const actions = ['export', 'download', 'download', 'preview'];
    for (let index = 0; index < 150; index++) {
      await log.record('audit-dan', {
        at: new Date(start + index * 1000).toISOString(),
        action: actions[index % actions.length] ?? 'export',
        outcome: 'succeeded',
        request_id: `dan-${index}`,
      });
    }
    const read = async (query: { limit: number; action?: string }) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await log.list('audit-dan', { ...query, cursor });
        assert.ok(page.events.length <= query.limit);
        ids.push(...page.events.map((event) => event.request_id ?? ''));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      return { ids, pages };
    };
    const expected = (action?: string) =>
      Array.from({ length: 150 }, (_, index) => index)
        .filter((index) => action === undefined || actions[index % actions.length] === action)
        .reverse()
        .map((index) => `dan-${index}`);
    const everything = await read({ limit: 40 });
    assert.deepEqual(everything.ids, expected());
    assert.equal(everything.pages, 4);
    const exports = await read({ limit: 10, action: 'export' });
    assert.deepEqual(exports.ids, expected('export'));
    assert.deepEqual((await read({ limit: 100, action: 'preview' })).ids, expected('preview'));
    assert.deepEqual((await log.list('audit-dan', { limit: 5, action: 'cleanup' })).events, []);
    const item = await cloud.documents.send(
      new QueryCommand({
        TableName: cloud.resources.jobsTable,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': KEY.partition },
        ExpressionAttributeValues: { ':pk': userPartition('audit-dan') },
        Limit: 1,
      }),
    );
    const ttl = Number(item.Items?.[0]?.[KEY.ttl]);
    assert.ok(Math.abs(ttl - (Date.now() / 1000 + 7 * 86_400)) < 600, `ttl ${ttl}`);
  });

  it('is what `chatbooks audit` prints', async () => {
    const run = await runCliInProcess(['--json', 'audit', '--action', 'export', '--limit', '5'], {
      endpoint: cloud.url,
      token: cloud.token({ userId: BOB }),
    });
    assert.equal(run.code, EXIT.ok, run.stderr);
    const printed = JSON.parse(run.stdout) as AuditPageResponse;
    assert.deepEqual(
      printed.events.map((event) => [event.action, event.status, event.request_id]),
      [['export', 400, flow.bobRequestIds[3]]],
    );
  });
});
