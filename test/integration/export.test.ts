// Export end to end through the local cloud over HTTP: seed a library, export each type and everything, sync
// and async, follow, cancel, download, and open every archive with the format reader.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  endpointsOf,
  localLibraryStore,
  seedLibrary,
  type SeedResult,
} from '../../scripts/seed/seed-library';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import { KEY, jobSortKey, userPartition } from '../../shared/aws/table-keys';
import { decodeItem } from '../../shared/chatbook/codec/item-codec';
import { CONTENT_TYPES, type ContentType } from '../../shared/chatbook/layout';
import { BufferSource, openChatbook, type ChatbookArchive } from '../../shared/chatbook/reader';
import { shareToken, type ExportJobView } from '../../shared/exports/export-service';
import type { LibraryItem, LibraryStore } from '../../shared/library/library';
import { startTestCloud, type TestCloud } from '../support/local-cloud';
import { tldwProblems } from '../support/tldw-rules';

const SHARE_SECRET = 'test-share-secret-0123456789abcdef0123456789';
const ALICE = 'alice-export';
const BOB = 'bob-export';
const CAROL = 'carol-export';
const JSON_HEADERS = { 'content-type': 'application/json' };

let cloud: TestCloud;
let library: LibraryStore;
let closeLibrary: () => void;
let s3: S3Client;
let jobs: DynamoJobStore;
let seeded: SeedResult;

before(async () => {
  cloud = await startTestCloud({ functionEnvironment: { SHARE_LINK_SECRET: SHARE_SECRET } });
  const local = localLibraryStore(endpointsOf(cloud));
  library = local.store;
  closeLibrary = local.close;
  s3 = cloud.s3;
  jobs = new DynamoJobStore(cloud.documents, cloud.resources.jobsTable);
  seeded = await seedLibrary(library, ALICE, 'small');
});

after(async () => {
  closeLibrary();
  await cloud.dispose();
});

function startExport(body: unknown, user = ALICE): Promise<Response> {
  return cloud.call('/api/v1/chatbooks/export', {
    user,
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });
}

async function jobOf(jobId: string, user = ALICE): Promise<ExportJobView> {
  const response = await cloud.call(`/api/v1/chatbooks/export/jobs/${jobId}`, { user });
  assert.equal(response.status, 200);
  return (await response.json()) as ExportJobView;
}

async function waitForEnd(jobId: string, seen: ExportJobView[] = []): Promise<ExportJobView> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const job = await jobOf(jobId);
    seen.push(job);
    if (!['pending', 'in_progress'].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`export ${jobId} did not finish`);
}

/** Downloads through the API's 302 and checks the bytes against the job's size and SHA-256. */
async function download(job: ExportJobView, user = ALICE): Promise<Buffer> {
  assert.ok(job.download_url, 'a completed job has a download url');
  const redirect = await cloud.call(job.download_url, { user, redirect: 'manual' });
  assert.equal(redirect.status, 302);
  const location = redirect.headers.get('location') ?? '';
  assert.match(location, /X-Amz-Signature=/);
  assert.match(location, /X-Amz-Expires=(\d+)/);
  assert.ok(Number(/X-Amz-Expires=(\d+)/.exec(location)?.[1]) <= 300, 'the presigned URL lives minutes');
  assert.match(decodeURIComponent(location), /response-content-disposition=attachment; filename="/);
  const object = await fetch(location);
  assert.equal(object.status, 200);
  const bytes = Buffer.from(await object.arrayBuffer());
  assert.equal(bytes.length, job.file_size_bytes);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), job.sha256);
  return bytes;
}

async function allItems(user: string, type: ContentType): Promise<LibraryItem[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await library.list(user, type, { limit: 500, cursor });
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor);
  return library.getMany(user, type, ids);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every library item of `type` is in the archive: its JSON as the library has it, its files byte for byte. */
async function assertHoldsEveryItem(archive: ChatbookArchive, expected: LibraryItem[]): Promise<void> {
  const refs = archive.manifest.content_items;
  for (const item of expected) {
    const ref = refs.find((candidate) => candidate.id === item.id && candidate.type === item.type);
    assert.ok(ref?.file_path, `${item.type} ${item.id} is in the manifest`);
    assert.equal(ref.title, item.title);
    const decoded = decodeItem(item.type, await archive.readEntry(ref.file_path), { path: ref.file_path });
    assert.ok(decoded.ok, `${item.type} ${item.id} decodes`);
    const content = decoded.item as Record<string, unknown>;
    if (item.type === 'media') {
      for (const file of item.files) {
        const artifact = (content.stored_artifacts as Record<string, unknown>[]).find(
          (a) => a.id === file.fileId,
        );
        assert.equal(artifact?.bundled, true);
        const bytes = await archive.readEntry(String(artifact.archive_path));
        assert.equal(bytes.length, file.sizeBytes);
        assert.equal(sha256(bytes), file.sha256, `media file ${file.fileId} byte for byte`);
      }
    } else if (item.type === 'conversation') {
      const paths = (content.messages as { attachments?: { file_path?: string }[] }[]).flatMap((message) =>
        (message.attachments ?? []).map((attachment) => attachment.file_path),
      );
      for (const file of item.files) {
        const path = paths.find((p) => p?.endsWith(`/${file.fileId}`));
        assert.ok(path, `attachment ${file.fileId} is referenced`);
        assert.equal(sha256(await archive.readEntry(path)), file.sha256);
      }
      const { messages: _messages, attachments_path: _path, ...rest } = content;
      const { messages: _m, attachments_path: _p, ...expectedRest } = item.content as Record<string, unknown>;
      assert.deepEqual(rest, expectedRest);
    } else {
      assert.deepEqual(content, item.content);
    }
  }
}

async function exportedObjects(user: string, jobId: string): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({
      Bucket: cloud.resources.bucket,
      Prefix: `users/${user}/chatbooks/exports/${jobId}/`,
    }),
  );
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

describe('export of each type alone, in the request', () => {
  for (const type of CONTENT_TYPES) {
    it(`exports every ${type} and the archive holds each one`, async () => {
      const response = await startExport({
        name: `Only ${type}`,
        selection: { [type]: 'all' },
        include_media: true,
      });
      assert.equal(response.status, 201);
      const job = (await response.json()) as ExportJobView;
      assert.equal(job.status, 'completed');
      assert.equal(job.total_items, seeded.counts[type]);
      assert.equal(job.processed_items, seeded.counts[type]);
      assert.equal(job.progress_percentage, 100);
      assert.ok(job.expires_at && Date.parse(job.expires_at) > Date.now());
      assert.equal(response.headers.get('location'), `/api/v1/chatbooks/export/jobs/${job.job_id}`);
      const archive = await openChatbook(new BufferSource(await download(job)));
      try {
        assert.deepEqual(await tldwProblems(archive), []);
        assert.equal(archive.manifest.content_items.length, seeded.counts[type]);
        await assertHoldsEveryItem(archive, await allItems(ALICE, type));
      } finally {
        await archive.close();
      }
    });
  }
});

describe('export of everything through the workflow', () => {
  let job: ExportJobView;
  let archive: ChatbookArchive;
  const seen: ExportJobView[] = [];

  before(async () => {
    const response = await startExport({
      name: 'Everything (async)',
      description: 'All ten types',
      author: 'Alice',
      tags: ['backup'],
      categories: ['Personal'],
      selection: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 'all'])),
      include_media: true,
      include_embeddings: true,
      async: true,
    });
    assert.equal(response.status, 202);
    const started = (await response.json()) as ExportJobView;
    assert.equal(started.status, 'pending');
    assert.equal(started.download_url, null);
    job = await waitForEnd(started.job_id, seen);
    archive = await openChatbook(new BufferSource(await download(job)));
  });
  after(async () => {
    await archive.close();
  });

  it('passes through pending, in_progress and completed, each step recorded', async () => {
    assert.equal(job.status, 'completed');
    const stored = await jobs.get({ userId: ALICE, kind: 'export', jobId: job.job_id });
    assert.deepEqual(
      stored?.events.map((event) => `${event.step}:${event.status}`),
      ['request:pending', 'prepare:in_progress', 'archive:in_progress', 'finalize:completed'],
    );
    assert.equal(job.total_items, seeded.items);
    assert.equal(job.processed_items, seeded.items);
    assert.ok(job.processed_bytes >= seeded.fileBytes, 'every file byte was read into the archive');
  });

  it('holds every item of every type, media byte for byte, and passes tldw_server rules', async () => {
    assert.deepEqual(await tldwProblems(archive), []);
    assert.equal(archive.version, '1.1.0');
    assert.equal(archive.integrity.inventoryVerifiedFiles, archive.entries.length - 1);
    for (const type of CONTENT_TYPES) await assertHoldsEveryItem(archive, await allItems(ALICE, type));
    const manifest = archive.manifest as Record<string, unknown>;
    assert.equal(manifest.name, 'Everything (async)');
    assert.equal(manifest.author, 'Alice');
    assert.deepEqual((manifest.metadata as { tags: string[] }).tags, ['backup']);
    assert.equal((manifest.configuration as { include_media: boolean }).include_media, true);
  });

  it('records relationships: conversation to character, media to embedding, document to conversation', () => {
    const kinds = new Map<string, number>();
    for (const relationship of archive.manifest.relationships) {
      kinds.set(relationship.relationship_type, (kinds.get(relationship.relationship_type) ?? 0) + 1);
    }
    assert.ok((kinds.get('uses_character') ?? 0) > 0);
    assert.equal(kinds.get('has_embedding'), seeded.counts.embedding);
    assert.equal(kinds.get('generated_from'), seeded.counts.generated_document);
    const ids = new Set(archive.manifest.content_items.map((item) => `${item.type}#${item.id}`));
    for (const relationship of archive.manifest.relationships) {
      const metadata = relationship.metadata as { source_type: string; target_type: string };
      assert.ok(ids.has(`${metadata.source_type}#${relationship.source_id}`));
    }
  });

  it('lists the job newest first, filters by status, and counts downloads', async () => {
    const response = await cloud.call('/api/v1/chatbooks/export/jobs?limit=2', { user: ALICE });
    const page = (await response.json()) as { jobs: ExportJobView[]; next_cursor: string | null };
    assert.equal(page.jobs[0]?.job_id, job.job_id);
    assert.ok(page.next_cursor);
    const next = (await (
      await cloud.call(`/api/v1/chatbooks/export/jobs?limit=2&cursor=${page.next_cursor}`, { user: ALICE })
    ).json()) as { jobs: ExportJobView[] };
    assert.ok(next.jobs.every((other) => !page.jobs.some((first) => first.job_id === other.job_id)));
    assert.ok(Date.parse(next.jobs[0]!.created_at) <= Date.parse(page.jobs[1]!.created_at));
    const failed = (await (
      await cloud.call('/api/v1/chatbooks/export/jobs?status=failed', { user: ALICE })
    ).json()) as { jobs: ExportJobView[] };
    assert.deepEqual(failed.jobs, []);
    assert.equal((await jobOf(job.job_id)).download_count, 1);
  });
});

describe('format 1.0.0 on request', () => {
  it('writes a manifest without the v1.1 keys that tldw_server 1.0 reads', async () => {
    const response = await startExport({
      name: 'Old reader',
      selection: { note: 'all', character: 'all' },
      format_version: '1.0',
    });
    assert.equal(response.status, 201);
    const job = (await response.json()) as ExportJobView;
    assert.equal(job.format_version, '1.0.0');
    const archive = await openChatbook(new BufferSource(await download(job)));
    assert.equal(archive.manifest.version, '1.0.0');
    assert.equal('file_inventory' in archive.manifest, false);
    assert.deepEqual(await tldwProblems(archive), []);
    await archive.close();
  });
});

describe('selection by ids and filters', () => {
  it('exports exactly the named items, filtered by tag and time', async () => {
    const notes = await allItems(ALICE, 'note');
    const picked = notes.slice(0, 3);
    const response = await startExport({ name: 'Three notes', selection: { note: picked.map((n) => n.id) } });
    const job = (await response.json()) as ExportJobView;
    const archive = await openChatbook(new BufferSource(await download(job)));
    assert.deepEqual(
      archive.manifest.content_items.map((item) => item.id).sort(),
      picked.map((n) => n.id).sort(),
    );
    await archive.close();

    const tagged = notes.find((note) => note.tags.length > 0)!;
    const tag = tagged.tags[0]!;
    const byTag = (await (
      await startExport({ name: 'Tagged', selection: { note: 'all' }, filters: { tags: [tag] } })
    ).json()) as ExportJobView;
    assert.equal(byTag.total_items, notes.filter((note) => note.tags.includes(tag)).length);
    const since = [...notes].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[4]!.updatedAt;
    const recent = (await (
      await startExport({ name: 'Recent', selection: { note: 'all' }, filters: { updated_since: since } })
    ).json()) as ExportJobView;
    assert.equal(recent.total_items, notes.filter((note) => note.updatedAt >= since).length);
  });

  it('refuses what it cannot export with messages a person can act on, writing no job', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ name: 'x' }, 400, /No content selected/],
      [{ name: 'x', selection: { spaceship: 'all' } }, 400, /Invalid content type: spaceship/],
      [{ name: 'bad/name', selection: { note: 'all' } }, 400, /Name contains invalid characters/],
      [{ name: '', selection: { note: 'all' } }, 400, /Name is required/],
      [{ name: 'x', selection: { note: 'all' }, format_version: '2.0.0' }, 400, /format_version/],
      [{ name: 'x', selection: { note: ['../etc'] } }, 400, /Invalid ID format/],
      [
        { name: 'x', selection: { note: 'all' }, tags: Array.from({ length: 51 }, (_, i) => `t${i}`) },
        400,
        /max 50/,
      ],
      [{ name: 'x', selection: { note: ['no-such-note'] } }, 422, /not in your library/],
      [
        { name: 'x', selection: { note: 'all' }, filters: { tags: ['no-such-tag'] } },
        422,
        /Nothing in your library/,
      ],
    ];
    const before = (await jobs.list(ALICE, 'export', { limit: 1000 })).jobs.length;
    for (const [body, status, message] of cases) {
      const response = await startExport(body);
      const error = (await response.json()) as {
        error: { code: string; message: string; details?: unknown };
      };
      assert.equal(response.status, status, JSON.stringify(body));
      assert.match(`${error.error.message} ${JSON.stringify(error.error.details ?? {})}`, message);
    }
    assert.equal((await jobs.list(ALICE, 'export', { limit: 1000 })).jobs.length, before);
  });
});

describe('a large export: sync refused, progress, cancel', () => {
  const MEDIA = 24;
  const FILE_BYTES = 5 * 1024 * 1024;

  before(async () => {
    // 120 MB of media that does not compress, so the archive step takes a few seconds.
    for (let index = 0; index < MEDIA; index++) {
      const id = `big-media-${index}`;
      const file = await library.putFile(CAROL, 'media', id, {
        fileId: 'f1',
        name: `clip-${index}.mp4`,
        mimeType: 'video/mp4',
        body: randomBytes(FILE_BYTES),
      });
      await library.put({
        userId: CAROL,
        type: 'media',
        id,
        title: `Clip ${index}`,
        tags: [],
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        version: 1,
        sizeBytes: 0,
        files: [file],
        content: {
          id,
          title: `Clip ${index}`,
          transcripts: [],
          chunks: [],
          stored_artifacts: [{ id: 'f1', original_filename: `clip-${index}.mp4` }],
        },
      });
    }
  });

  it('answers 413 to a synchronous request that is too large, pointing at async', async () => {
    const response = await startExport(
      { name: 'Big', selection: { media: 'all' }, include_media: true, async: false },
      CAROL,
    );
    assert.equal(response.status, 413);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'too_large_for_sync');
    assert.match(body.error.message, /"async": true/);
  });

  it('goes async on its own when large, shows progress that moves, and cancels mid-run', async () => {
    const response = await startExport(
      { name: 'Big', selection: { media: 'all' }, include_media: true },
      CAROL,
    );
    assert.equal(response.status, 202);
    const { job_id: jobId } = (await response.json()) as ExportJobView;
    const progress = new Set<number>();
    let running: ExportJobView | undefined;
    for (let attempt = 0; attempt < 2000 && progress.size < 2; attempt++) {
      running = await jobOf(jobId, CAROL);
      assert.ok(['pending', 'in_progress'].includes(running.status), `still running, got ${running.status}`);
      if (running.status === 'in_progress' && running.processed_bytes > 0)
        progress.add(running.processed_bytes);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(progress.size >= 2, 'processed bytes moved while the job ran');
    assert.ok(running && running.processed_items < MEDIA);

    const cancel = await cloud.call(`/api/v1/chatbooks/export/jobs/${jobId}`, {
      user: CAROL,
      method: 'DELETE',
    });
    assert.equal(cancel.status, 200);
    assert.equal(((await cancel.json()) as ExportJobView).status, 'cancelled');

    const stored = await jobs.get({ userId: CAROL, kind: 'export', jobId });
    const execution = await cloud.sfn.send(
      new DescribeExecutionCommand({ executionArn: stored?.executionArn }),
    );
    assert.notEqual(execution.status, 'SUCCEEDED');
    // The archive step notices at its next progress update, aborts the upload and removes what it wrote.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await jobOf(jobId, CAROL);
    assert.equal(after.status, 'cancelled');
    assert.equal(after.download_url, null);
    assert.deepEqual(await exportedObjects(CAROL, jobId), []);

    const again = await cloud.call(`/api/v1/chatbooks/export/jobs/${jobId}`, {
      user: CAROL,
      method: 'DELETE',
    });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'job_finished');
    const downloadCancelled = await cloud.call(`/api/v1/chatbooks/download/${jobId}`, {
      user: CAROL,
      redirect: 'manual',
    });
    assert.equal(downloadCancelled.status, 409);
  });
});

describe('downloads: expiry, share links, and other users', () => {
  let job: ExportJobView;

  before(async () => {
    job = (await (
      await startExport({ name: 'Shared notes', selection: { note: 'all' } })
    ).json()) as ExportJobView;
    assert.equal(job.status, 'completed');
  });

  it('refuses to cancel a completed export with 409', async () => {
    const response = await cloud.call(`/api/v1/chatbooks/export/jobs/${job.job_id}`, {
      user: ALICE,
      method: 'DELETE',
    });
    assert.equal(response.status, 409);
    assert.match(
      ((await response.json()) as { error: { message: string } }).error.message,
      /already completed/,
    );
    assert.equal((await jobOf(job.job_id)).status, 'completed');
  });

  it('gives another user 404 on every jobs and download route, and lists none of them', async () => {
    for (const [method, path] of [
      ['GET', `/api/v1/chatbooks/export/jobs/${job.job_id}`],
      ['DELETE', `/api/v1/chatbooks/export/jobs/${job.job_id}`],
      ['GET', `/api/v1/chatbooks/download/${job.job_id}`],
      ['GET', job.share_url ?? ''],
    ] as const) {
      const response = await cloud.call(path, { user: BOB, method, redirect: 'manual' });
      assert.equal(response.status, 404, `${method} ${path}`);
      const text = await response.text();
      assert.doesNotMatch(text, /Shared notes|X-Amz/);
    }
    const listed = (await (await cloud.call('/api/v1/chatbooks/export/jobs', { user: BOB })).json()) as {
      jobs: unknown[];
    };
    assert.deepEqual(listed.jobs, []);
    assert.equal((await jobOf(job.job_id)).status, 'completed');
  });

  it('follows a share link bound to the job and its owner, and refuses a forged or expired one', async () => {
    assert.ok(job.share_url);
    const ok = await cloud.call(job.share_url, { user: ALICE, redirect: 'manual' });
    assert.equal(ok.status, 302);
    const forged = job.share_url.replace(/token=[0-9a-f]{4}/, 'token=0000');
    assert.equal((await cloud.call(forged, { user: ALICE, redirect: 'manual' })).status, 403);
    const past = String(Math.floor(Date.now() / 1000) - 60);
    const expired = `/api/v1/chatbooks/download/${job.job_id}?exp=${past}&token=${shareToken(SHARE_SECRET, job.job_id, past, ALICE)}`;
    assert.equal((await cloud.call(expired, { user: ALICE, redirect: 'manual' })).status, 410);
    const missing = `/api/v1/chatbooks/download/${job.job_id}?exp=${past}`;
    assert.equal((await cloud.call(missing, { user: ALICE, redirect: 'manual' })).status, 403);
  });

  it('answers 400 to a malformed job id and 410 once the export has expired', async () => {
    assert.equal((await cloud.call('/api/v1/chatbooks/download/not-a-uuid', { user: ALICE })).status, 400);
    await cloud.documents.send(
      new UpdateCommand({
        TableName: cloud.resources.jobsTable,
        Key: { [KEY.partition]: userPartition(ALICE), [KEY.sort]: jobSortKey('export', job.job_id) },
        UpdateExpression: 'SET #archive.#expiresAt = :past',
        ExpressionAttributeNames: { '#archive': 'archive', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
      }),
    );
    const response = await cloud.call(`/api/v1/chatbooks/download/${job.job_id}`, {
      user: ALICE,
      redirect: 'manual',
    });
    assert.equal(response.status, 410);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'export_expired');
    const view = await jobOf(job.job_id);
    assert.equal(view.download_url, null);
    assert.equal(view.share_url, undefined);
  });
});
