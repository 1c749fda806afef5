// Uploads and preview through the local cloud over HTTP: presigned POST and in-request uploads, the validator
// over ranged S3 reads, the manifest summary and the conflict forecast, and every refusal.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  endpointsOf,
  localLibraryStore,
  seedLibrary,
  type SeedResult,
} from '../../scripts/seed/seed-library';
import type { ExportJobView } from '../../shared/exports/export-service';
import type { PreviewReport } from '../../shared/imports/preview';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const ALICE = 'alice-uploads';
const BOB = 'bob-uploads';
const JSON_HEADERS = { 'content-type': 'application/json' };

let cloud: TestCloud;
let closeLibrary: () => void;
let s3: S3Client;
let seeded: SeedResult;
let chatbook: Buffer;

interface PresignedUpload {
  upload_id: string;
  method: string;
  url: string;
  fields: Record<string, string>;
  max_bytes: number;
  expires_at: string;
}

function post(path: string, user: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) {
  return cloud.call(path, {
    user,
    method: 'POST',
    headers,
    body: body instanceof Buffer ? new Uint8Array(body) : JSON.stringify(body),
  });
}

async function uploadThroughPost(user: string, bytes: Buffer): Promise<string> {
  const response = await post('/api/v1/chatbooks/uploads', user, {
    file_name: 'pack.chatbook',
    size_bytes: bytes.length,
  });
  assert.equal(response.status, 201);
  const upload = (await response.json()) as PresignedUpload;
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), 'pack.chatbook');
  const stored = await fetch(upload.url, { method: 'POST', body: form });
  assert.ok(
    stored.status === 204 || stored.status === 200 || stored.status === 201,
    `S3 POST ${stored.status}`,
  );
  return upload.upload_id;
}

async function preview(user: string, uploadId: string): Promise<{ status: number; body: unknown }> {
  const response = await post('/api/v1/chatbooks/preview', user, { upload_id: uploadId });
  return { status: response.status, body: await response.json() };
}

before(async () => {
  cloud = await startTestCloud();
  const local = localLibraryStore(endpointsOf(cloud));
  closeLibrary = local.close;
  s3 = cloud.s3;
  seeded = await seedLibrary(local.store, ALICE, 'small');
  const exported = (await (
    await post('/api/v1/chatbooks/export', ALICE, {
      name: 'Alice pack',
      selection: { note: 'all', character: 'all', prompt: 'all', embedding: 'all' },
    })
  ).json()) as ExportJobView;
  const redirect = await cloud.call(exported.download_url ?? '', { user: ALICE, redirect: 'manual' });
  chatbook = Buffer.from(await (await fetch(redirect.headers.get('location') ?? '')).arrayBuffer());
});

after(async () => {
  closeLibrary();
  await cloud.dispose();
});

describe('uploads', () => {
  it("hands out a presigned POST capped at the tier, for the caller's own prefix", async () => {
    const response = await post('/api/v1/chatbooks/uploads', ALICE, {});
    assert.equal(response.status, 201);
    const upload = (await response.json()) as PresignedUpload;
    assert.match(upload.upload_id, /^[0-9a-f-]{36}$/);
    assert.equal(upload.method, 'POST');
    assert.equal(upload.max_bytes, 100 * 1024 * 1024);
    assert.equal(upload.fields.key, `users/${ALICE}/chatbooks/imports/${upload.upload_id}.chatbook`);
    const policy = JSON.parse(Buffer.from(upload.fields.policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    assert.deepEqual(policy.conditions[1], ['content-length-range', 1, 100 * 1024 * 1024]);
    assert.ok(
      policy.conditions.some((c) => JSON.stringify(c) === JSON.stringify({ key: upload.fields.key })),
    );
    assert.match(upload.fields['x-amz-signature'] ?? '', /^[0-9a-f]{64}$/);
    assert.ok(Date.parse(policy.expiration) > Date.now());
    const premium = await cloud.call('/api/v1/chatbooks/uploads', {
      method: 'POST',
      headers: {
        ...JSON_HEADERS,
        authorization: `Bearer ${cloud.token({ userId: ALICE, tier: 'premium' })}`,
      },
      body: '{}',
    });
    assert.equal(((await premium.json()) as PresignedUpload).max_bytes, 500 * 1024 * 1024);
  });

  it('refuses a declared size over the tier with 413 and the limit', async () => {
    const response = await post('/api/v1/chatbooks/uploads', ALICE, { size_bytes: 200 * 1024 * 1024 });
    assert.equal(response.status, 413);
    const body = (await response.json()) as { error: { code: string; details: { max_bytes: number } } };
    assert.equal(body.error.code, 'file_too_large');
    assert.equal(body.error.details.max_bytes, 100 * 1024 * 1024);
    const badName = await post('/api/v1/chatbooks/uploads', ALICE, { file_name: 'evil.exe' });
    assert.equal(badName.status, 400);
  });
});

describe('preview', () => {
  it('validates an upload made through the presigned POST and forecasts conflicts with the library', async () => {
    const uploadId = await uploadThroughPost(ALICE, chatbook);
    const { status, body } = await preview(ALICE, uploadId);
    assert.equal(status, 200);
    const report = body as PreviewReport;
    assert.equal(report.manifest.name, 'Alice pack');
    assert.equal(report.manifest.version, '1.1.0');
    assert.deepEqual(report.counts, {
      note: seeded.counts.note,
      character: seeded.counts.character,
      prompt: seeded.counts.prompt,
      embedding: seeded.counts.embedding,
    });
    assert.equal(report.integrity.status, 'verified');
    assert.equal(report.integrity.inventory_verified_files, report.archive.entries - 1);
    // Everything came from Alice's library: every item conflicts with itself.
    assert.equal(report.conflicts.total, report.total_items);
    assert.deepEqual(report.conflicts.by_type.note, { new: 0, conflicting: seeded.counts.note });
    const note = report.conflicts.items.find((item) => item.type === 'note');
    assert.ok(note);
    assert.equal(note.existing_id, note.id);
    assert.equal(note.outcomes.rename, `import it as "${note.title} (1)"`);
  });

  it('forecasts no conflicts for another user, who uploads the same chatbook in the request', async () => {
    const response = await post('/api/v1/chatbooks/preview', BOB, chatbook, {
      'content-type': 'application/zip',
    });
    assert.equal(response.status, 200);
    const report = (await response.json()) as PreviewReport;
    assert.equal(report.conflicts.total, 0);
    assert.deepEqual(report.conflicts.by_type.note, { new: seeded.counts.note, conflicting: 0 });
  });

  it('takes a multipart "file" field, as tldw clients send it', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(chatbook)]), 'pack.chatbook');
    const response = await cloud.call('/api/v1/chatbooks/uploads', { user: BOB, method: 'POST', body: form });
    assert.equal(response.status, 201);
    const { upload_id: uploadId, size_bytes: size } = (await response.json()) as {
      upload_id: string;
      size_bytes: number;
    };
    assert.equal(size, chatbook.length);
    assert.equal((await preview(BOB, uploadId)).status, 200);
  });

  it('refuses an archive that fails validation with its code, and writes nothing to the library', async () => {
    const notZip = await post(
      '/api/v1/chatbooks/preview',
      BOB,
      Buffer.from('this is not a zip file at all'),
      {
        'content-type': 'application/zip',
      },
    );
    // Not a ZIP, nor any other format an upload may be (JSON, PNG).
    assert.equal(notZip.status, 422);
    assert.equal(((await notZip.json()) as { error: { code: string } }).error.code, 'unknown_source_format');
    const truncated = await post(
      '/api/v1/chatbooks/preview',
      BOB,
      chatbook.subarray(0, chatbook.length - 100),
      {
        'content-type': 'application/zip',
      },
    );
    assert.equal(truncated.status, 400);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: cloud.resources.bucket, Prefix: `users/${BOB}/library/` }),
    );
    assert.equal(listed.KeyCount ?? 0, 0);
  });

  it("gives 404 for another user's upload id, an unknown one and a malformed one", async () => {
    const alices = await uploadThroughPost(ALICE, chatbook);
    for (const id of [alices, '00000000-0000-4000-8000-000000000000', '../../alice-uploads/x']) {
      const { status, body } = await preview(BOB, id);
      assert.equal(status, 404, id);
      assert.equal((body as { error: { code: string } }).error.code, 'upload_not_found');
      assert.doesNotMatch(JSON.stringify(body), /Alice pack/);
    }
  });
});
