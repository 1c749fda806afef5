// Every line of output of a full run through the local cloud (each function's stdout and stderr, and this process,
// where the local cloud itself runs) scanned for what must never be logged: bearer tokens and JWTs, presigned URL
// signatures and credentials, share tokens, item content, raw user ids. And, so that the scan cannot pass by
// reading nothing, for what must be there: request ids, hashed user ids, job ids, step metrics.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { LogOrigin } from '../../infra/local/cloud';
import { hashUserId } from '../../shared/observability/logger';
import type { EmfRecord } from '../../shared/observability/metrics';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const RUN = randomUUID().slice(0, 8);
const OWNER = `logscan-owner-${RUN}`;
const OTHER = `logscan-other-${RUN}`;
const SHARE_SECRET = `log-scan-share-secret-${randomUUID()}`;
const API = '/api/v1/chatbooks';

/** Strings that live only in the content the run sends: none may reach a log. */
const MARKERS = {
  noteTitle: `NoteTitleMarker${RUN}`,
  noteBody: `NoteBodyMarker${RUN}`,
  message: `ConversationMessageMarker${RUN}`,
  conversationName: `ConversationNameMarker${RUN}`,
  character: `CharacterDescriptionMarker${RUN}`,
  exportName: `ExportNameMarker${RUN}`,
  malformedBody: `MalformedBodyMarker${RUN}`,
  invalidBody: `InvalidBodyMarker${RUN}`,
  garbageUpload: `GarbageUploadMarker${RUN}`,
};

interface Captured {
  source: string;
  stream: string;
  text: string;
}

const captured: Captured[] = [];
/** Every credential the run used or saw, to look for verbatim. */
const secrets = new Set<string>();
const jobIds: { export: string[]; import: string[] } = { export: [], import: [] };
let cloud: TestCloud | undefined;

/** Copies what this process writes to `stream` into the capture, still writing it. */
function tee(stream: NodeJS.WriteStream, name: string): () => void {
  const own = Object.getOwnPropertyDescriptor(stream, 'write');
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const teed = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString('utf8')
          : String(chunk);
    captured.push({ source: 'local-cloud', stream: name, text });
    return write(chunk, ...rest);
  };
  Object.defineProperty(stream, 'write', { value: teed, configurable: true, writable: true });
  return () => {
    if (own) Object.defineProperty(stream, 'write', own);
    else Reflect.deleteProperty(stream, 'write');
  };
}

function running(): TestCloud {
  assert.ok(cloud, 'the local cloud runs');
  return cloud;
}

function tokenFor(user: string): string {
  const token = running().token({ userId: user });
  secrets.add(token);
  return token;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

async function request(
  user: string | undefined,
  method: string,
  path: string,
  options: { json?: unknown; raw?: string; headers?: Record<string, string>; token?: string } = {},
): Promise<Reply> {
  const token = options.token ?? (user ? tokenFor(user) : undefined);
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  const response = await fetch(`${running().url}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function expectStatus(reply: Reply, status: number, what: string): Record<string, unknown> {
  assert.equal(reply.status, status, `${what}: ${reply.status} ${reply.text}`);
  return reply.text ? (JSON.parse(reply.text) as Record<string, unknown>) : {};
}

/** Adds a presigned URL's signature, credential and token values to the secrets. */
function rememberPresigned(url: string): void {
  for (const [name, value] of new URL(url).searchParams) {
    if (/signature|credential|security-token|policy/i.test(name)) secrets.add(value);
  }
}

async function waitForJob(user: string, kind: 'export' | 'import', jobId: string) {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const job = expectStatus(await request(user, 'GET', `${API}/${kind}/jobs/${jobId}`), 200, 'job');
    if (!['pending', 'in_progress'].includes(String(job.status))) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${kind} ${jobId} did not finish`);
}

/** An upload through the presigned POST, as a browser does it; the form's policy and signature are secrets. */
async function upload(user: string, bytes: Buffer): Promise<string> {
  const presigned = expectStatus(
    await request(user, 'POST', `${API}/uploads`, { json: { size_bytes: bytes.length } }),
    201,
    'upload',
  ) as { upload_id: string; url: string; fields: Record<string, string> };
  const form = new FormData();
  for (const [name, value] of Object.entries(presigned.fields)) {
    if (/signature|credential|security-token|policy/i.test(name)) secrets.add(value);
    form.append(name, value);
  }
  form.append('file', new Blob([new Uint8Array(bytes)]), 'upload.chatbook');
  const stored = await fetch(presigned.url, { method: 'POST', body: form });
  assert.ok(stored.ok, `the presigned upload answered ${stored.status}`);
  return presigned.upload_id;
}

/** The run: a library with marked content, export, download, share, upload, preview, import, and refusals. */
async function fullRun(): Promise<void> {
  const library = '/api/v1/library';
  expectStatus(
    await request(OWNER, 'POST', `${library}/note`, {
      json: { content: { title: MARKERS.noteTitle, content: `# Private\n\n${MARKERS.noteBody}\n` } },
    }),
    201,
    'note',
  );
  expectStatus(
    await request(OWNER, 'POST', `${library}/conversation`, {
      json: {
        content: {
          name: MARKERS.conversationName,
          messages: [
            { id: 'm1', parent_id: null, role: 'user', content: `Hello ${MARKERS.message}` },
            { id: 'm2', parent_id: 'm1', role: 'assistant', content: 'Hi' },
          ],
        },
      },
    }),
    201,
    'conversation',
  );
  expectStatus(
    await request(OWNER, 'POST', `${library}/character`, {
      json: { content: { name: 'Guide', description: `A guide: ${MARKERS.character}` } },
    }),
    201,
    'character',
  );
  const listed = expectStatus(await request(OWNER, 'GET', `${library}/note?limit=5`), 200, 'list');
  assert.ok(JSON.stringify(listed).includes(MARKERS.noteTitle));

  // An asynchronous export through the workflow, then a synchronous one in the request.
  const selection = { note: 'all', conversation: 'all', character: 'all' };
  const started = expectStatus(
    await request(OWNER, 'POST', `${API}/export`, {
      json: { name: MARKERS.exportName, selection, async: true },
    }),
    202,
    'export',
  );
  const exportId = String(started.job_id);
  jobIds.export.push(exportId);
  const job = await waitForJob(OWNER, 'export', exportId);
  assert.equal(job.status, 'completed', JSON.stringify(job));
  const sync = expectStatus(
    await request(OWNER, 'POST', `${API}/export`, {
      json: { name: `${MARKERS.exportName} again`, selection: { note: 'all' }, async: false },
    }),
    201,
    'sync export',
  );
  jobIds.export.push(String(sync.job_id));

  // The download: a 302 to a presigned S3 URL, fetched like a browser does.
  const redirect = await request(OWNER, 'GET', `${API}/download/${exportId}`);
  assert.equal(redirect.status, 302, redirect.text);
  const location = redirect.headers.get('location') ?? '';
  assert.match(location, /X-Amz-Signature=/);
  rememberPresigned(location);
  const archive = Buffer.from(await (await fetch(location)).arrayBuffer());
  assert.ok(archive.length > 0);

  // The share link: valid as the owner, tampered, and in another user's hands.
  const shareUrl = typeof job.share_url === 'string' ? job.share_url : '';
  const shareToken = new URL(shareUrl, 'http://local').searchParams.get('token') ?? '';
  assert.match(shareToken, /^[0-9a-f]{64}$/, 'the service mints share links');
  secrets.add(shareToken);
  const shared = await request(OWNER, 'GET', shareUrl);
  assert.equal(shared.status, 302, shared.text);
  rememberPresigned(shared.headers.get('location') ?? '');
  const tampered = `${shareToken.slice(0, 60)}${shareToken.endsWith('0') ? '1111' : '0000'}`;
  secrets.add(tampered);
  expectStatus(
    await request(OWNER, 'GET', shareUrl.replace(shareToken, tampered)),
    403,
    'tampered share token',
  );
  expectStatus(await request(OTHER, 'GET', shareUrl), 404, "another user's share link");

  // Another user: upload the chatbook, preview it, import it through the workflow.
  const uploadId = await upload(OTHER, archive);
  const preview = expectStatus(
    await request(OTHER, 'POST', `${API}/preview`, { json: { upload_id: uploadId } }),
    200,
    'preview',
  );
  assert.ok(JSON.stringify(preview).length > 0);
  const imported = expectStatus(
    await request(OTHER, 'POST', `${API}/import`, {
      json: { upload_id: uploadId, strategy: 'rename', async: true },
    }),
    202,
    'import',
  );
  const importId = String(imported.job_id);
  jobIds.import.push(importId);
  const importJob = await waitForJob(OTHER, 'import', importId);
  assert.equal(importJob.status, 'completed', JSON.stringify(importJob));
  expectStatus(await request(OTHER, 'GET', `${API}/import/jobs/${importId}/report`), 200, 'report');

  // An upload that is not a chatbook, refused by the preview and the import; and a chatbook damaged inside,
  // whose import runs into the damage in its workflow.
  const garbage = Buffer.from(`not a zip at all ${MARKERS.garbageUpload}\n`.repeat(40));
  const garbageId = await upload(OTHER, garbage);
  const refusedPreview = await request(OTHER, 'POST', `${API}/preview`, { json: { upload_id: garbageId } });
  assert.ok(refusedPreview.status >= 400 && refusedPreview.status < 500, refusedPreview.text);
  const refusedImport = await request(OTHER, 'POST', `${API}/import`, { json: { upload_id: garbageId } });
  assert.ok(refusedImport.status >= 400 && refusedImport.status < 500, refusedImport.text);
  const damaged = Buffer.from(archive);
  for (let at = Math.floor(damaged.length * 0.3); at < Math.floor(damaged.length * 0.6); at++)
    damaged[at] = 0x5a;
  const damagedImport = await request(OTHER, 'POST', `${API}/import`, {
    json: { upload_id: await upload(OTHER, damaged), async: true },
  });
  if (damagedImport.status === 202) {
    const damagedId = (JSON.parse(damagedImport.text) as { job_id: string }).job_id;
    jobIds.import.push(damagedId);
    assert.notEqual((await waitForJob(OTHER, 'import', damagedId)).status, 'completed');
  } else {
    assert.ok(damagedImport.status >= 400 && damagedImport.status < 500, damagedImport.text);
  }

  // An export cancelled while it runs: its next step stops, and the failure step leaves it cancelled.
  const cancelled = expectStatus(
    await request(OWNER, 'POST', `${API}/export`, {
      json: { name: MARKERS.exportName, selection, async: true },
    }),
    202,
    'export to cancel',
  );
  const cancelledId = String(cancelled.job_id);
  const cancel = await request(OWNER, 'DELETE', `${API}/export/jobs/${cancelledId}`);
  assert.ok([200, 409].includes(cancel.status), cancel.text);
  await waitForJob(OWNER, 'export', cancelledId);
  await running().idle();

  // Refusals: no token, a forged token, another user's jobs, malformed and invalid bodies, a cancel too late.
  expectStatus(await request(undefined, 'GET', `${API}/export/jobs`), 401, 'no token');
  const real = tokenFor(OWNER);
  const forged = `${real.slice(0, real.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
  secrets.add(forged);
  expectStatus(await request(undefined, 'GET', `${API}/export/jobs`, { token: forged }), 401, 'forged token');
  expectStatus(await request(OTHER, 'GET', `${API}/export/jobs/${exportId}`), 404, "another user's job");
  expectStatus(await request(OTHER, 'DELETE', `${API}/export/jobs/${exportId}`), 404, "another's cancel");
  expectStatus(await request(OTHER, 'GET', `${API}/download/${exportId}`), 404, "another's download");
  expectStatus(await request(OWNER, 'GET', `${API}/import/jobs/${importId}`), 404, "another's import");
  expectStatus(
    await request(OWNER, 'POST', `${API}/export`, { raw: `{"name": "${MARKERS.malformedBody}", ` }),
    400,
    'malformed JSON',
  );
  expectStatus(
    await request(OWNER, 'POST', `${API}/export`, {
      json: { name: MARKERS.invalidBody, selection: { note: MARKERS.invalidBody }, async: 'soon' },
    }),
    400,
    'invalid body',
  );
  expectStatus(
    await request(OWNER, 'POST', `${library}/note`, { json: { content: MARKERS.invalidBody } }),
    400,
    'invalid item',
  );
  const badId = await request(OWNER, 'GET', `${API}/export/jobs/not-a-job-id`);
  assert.ok([400, 404].includes(badId.status), badId.text);
  expectStatus(await request(OWNER, 'DELETE', `${API}/export/jobs/${exportId}`), 409, 'cancel after the end');
  await running().runRule('cleanup');
  await running().idle();
}

before(async () => {
  const restore = [tee(process.stdout, 'stdout'), tee(process.stderr, 'stderr')];
  try {
    cloud = await startTestCloud({
      functionEnvironment: { SHARE_LINK_SECRET: SHARE_SECRET },
      onLog: (line: string, origin: LogOrigin) => {
        captured.push({ source: origin.source, stream: origin.stream, text: line });
      },
    });
    await fullRun();
    // Worker output arrives a moment after the invocation's answer.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    const stopping = cloud;
    cloud = undefined;
    await stopping?.dispose();
    for (const undo of restore) undo();
  }
});

/** The function lines that are JSON records. */
function records(): Record<string, unknown>[] {
  const result: Record<string, unknown>[] = [];
  for (const line of captured) {
    if (line.source === 'local-cloud') continue;
    try {
      const value: unknown = JSON.parse(line.text);
      if (typeof value === 'object' && value !== null) result.push(value as Record<string, unknown>);
    } catch {
      // Not a record: the first test reports it.
    }
  }
  return result;
}

function metricRecords(): EmfRecord[] {
  return records().filter((record): record is EmfRecord => '_aws' in record);
}

describe('the logs of a full run', () => {
  it('were captured from the functions', () => {
    const sources = new Set(captured.filter((line) => line.source !== 'local-cloud').map((l) => l.source));
    assert.ok(sources.size >= 6, `lines from ${[...sources].join(', ')}`);
    for (const line of captured.filter((l) => l.source !== 'local-cloud' && l.stream === 'stdout')) {
      // Every line a function writes to stdout is one JSON record: structured logs and EMF, nothing loose.
      // (stderr also carries the runtime's own warnings, such as the AWS SDK's Node version notice.)
      assert.doesNotThrow(() => JSON.parse(line.text), `${line.source}: ${line.text.slice(0, 200)}`);
    }
    assert.ok(records().length >= 25, `${records().length} records`);
  });

  it('hold no bearer token, JWT, presigned signature or credential, nor share token', () => {
    const all = captured.map((line) => line.text).join('\n');
    assert.ok(secrets.size >= 20, `${secrets.size} secrets collected`);
    for (const secret of secrets) {
      assert.ok(secret.length >= 16);
      assert.equal(all.includes(secret), false, `a secret reached the logs: ${secret.slice(0, 12)}...`);
    }
    assert.doesNotMatch(all, /eyJ[\w-]+\.[\w-]+\.[\w-]*/, 'a JWT-looking string');
    assert.doesNotMatch(all, /X-Amz-(Signature|Credential|Security-Token)/i);
    assert.doesNotMatch(all, /Bearer\s+(?!\[redacted\])[\w-]/i);
    assert.doesNotMatch(all, /[?&]token=[0-9a-f]/i);
  });

  it('hold no item content and no raw user id', () => {
    const all = captured.map((line) => line.text).join('\n');
    for (const [what, marker] of Object.entries(MARKERS))
      assert.equal(all.includes(marker), false, `${what} reached the logs`);
    for (const user of [OWNER, OTHER]) assert.equal(all.includes(user), false, 'a raw user id');
    assert.equal(all.includes(RUN), false, 'nothing of the run-specific strings');
  });

  it('hold request ids and hashed user ids on API records', () => {
    const api = records().filter((record) => typeof record.route === 'string');
    assert.ok(api.length >= 8, `${api.length} API records`);
    for (const record of api) assert.equal(typeof record.requestId, 'string');
    const users = new Set(api.map((record) => record.user));
    assert.ok(users.has(hashUserId(OWNER)), "the owner's hash");
    assert.ok(users.has(hashUserId(OTHER)), "the other user's hash");
  });

  it('hold the job id, kind, step and hashed user on every workflow step record', () => {
    const steps = records().filter(
      (record) => typeof record.step === 'string' && typeof record.message === 'string',
    );
    for (const [kind, user, ids] of [
      ['export', OWNER, jobIds.export.slice(0, 1)],
      ['import', OTHER, jobIds.import],
    ] as const) {
      for (const jobId of ids) {
        const mine = steps.filter((record) => record.jobId === jobId);
        assert.ok(mine.length >= 4, `${kind} ${jobId}: ${mine.length} step records`);
        for (const record of mine) {
          assert.equal(record.kind, kind);
          assert.equal(record.user, hashUserId(user));
        }
        assert.ok(mine.some((record) => record.message === 'workflow step started'));
        assert.ok(mine.some((record) => record.message === 'workflow step ended' && record.outcome === 'ok'));
      }
    }
  });

  it('hold EMF StepDuration records for every step of both workflows', () => {
    const metrics = metricRecords();
    const steps = new Set<string>();
    for (const record of metrics) {
      const [directive] = record._aws.CloudWatchMetrics;
      assert.equal(directive?.Namespace, 'ChatbooksCloud');
      assert.equal(typeof record._aws.Timestamp, 'number');
      if (directive.Metrics.some((metric) => metric.Name === 'StepDuration')) {
        assert.equal(typeof record.StepDuration, 'number');
        steps.add(String(record.Step));
      }
    }
    for (const step of [
      'export.prepare',
      'export.archive',
      'export.finalize',
      'import.validate',
      'import.plan',
      'import.import_batch',
      'import.finalize',
    ])
      assert.ok(steps.has(step), `StepDuration for ${step} (have ${[...steps].join(', ')})`);
    const exportId = jobIds.export[0];
    assert.ok(metrics.some((record) => record.Step === 'export.archive' && record.jobId === exportId));
  });
});
