// Import end to end through the local cloud over HTTP: export from one user, import into another and back with
// each strategy, tldw_server 1.0 and 1.1 chatbooks, refusals that write nothing, and isolation.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  endpointsOf,
  localLibraryStore,
  seedLibrary,
  type SeedResult,
} from '../../scripts/seed/seed-library';
import { decodeItem, encodeItem } from '../../shared/chatbook/codec/item-codec';
import { BufferSource, openChatbook } from '../../shared/chatbook/reader';
import { CONTENT_TYPES, isContentType, type ContentType } from '../../shared/chatbook/layout';
import type { ExportJobView } from '../../shared/exports/export-service';
import type { ImportJobView } from '../../shared/imports/import-service';
import type { LibraryItem, LibraryStore } from '../../shared/library/library';
import { SAMPLES } from '../support/chatbook-samples';
import { startTestCloud, type TestCloud } from '../support/local-cloud';
import { forgeZip, inventoryRecord, tldwManifest } from '../unit/chatbook/reader/zip-forge';

const ALICE = 'alice-import';
const BOB = 'bob-import';
const CAROL = 'carol-import';

let cloud: TestCloud;
let library: LibraryStore;
let closeLibrary: () => void;
let s3: S3Client;
let seeded: SeedResult;
let chatbook: Buffer;

function post(path: string, user: string, body: unknown) {
  return cloud.post(path, user, body);
}

function upload(user: string, bytes: Buffer): Promise<string> {
  return cloud.upload(user, bytes);
}

async function importAs(
  user: string,
  bytes: Buffer,
  options: Record<string, unknown>,
): Promise<ImportJobView> {
  const uploadId = await upload(user, bytes);
  const response = await post('/api/v1/chatbooks/import', user, { upload_id: uploadId, ...options });
  const body = (await response.json()) as ImportJobView;
  assert.equal(response.status, 201, JSON.stringify(body));
  return body;
}

async function report(user: string, jobId: string) {
  const response = await cloud.call(`/api/v1/chatbooks/import/jobs/${jobId}/report?limit=1000`, { user });
  assert.equal(response.status, 200);
  return (
    (await response.json()) as {
      items: {
        type: ContentType;
        source_id: string;
        title: string;
        outcome: string;
        library_id: string | null;
      }[];
    }
  ).items;
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

async function counts(user: string): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const type of CONTENT_TYPES) result[type] = (await allItems(user, type)).length;
  return result;
}

/** Content without what an import changes by design: ids, links to other items' ids, file references. */
function comparable(item: LibraryItem): unknown {
  const {
    id: _id,
    character_id: _c,
    conversation_id: _d,
    source: _s,
    stored_artifacts: _a,
    attachments_path: _p,
    messages,
    ...rest
  } = item.content as Record<string, unknown>;
  return {
    ...rest,
    ...(Array.isArray(messages)
      ? { messages: (messages as Record<string, unknown>[]).map(({ attachments: _x, ...m }) => m) }
      : {}),
  };
}

/**
 * What a chatbook holds, independent of ids: per type, each item's comparable content with its links named by the
 * linked item's title; and the SHA-256 of every file that is not an item.
 */
async function contentsOf(bytes: Buffer): Promise<{ items: Record<string, string[]>; files: string[] }> {
  const archive = await openChatbook(new BufferSource(bytes));
  try {
    const decoded = new Map<string, { type: ContentType; content: Record<string, unknown> }>();
    const itemPaths = new Set<string>();
    for (const ref of archive.manifest.content_items) {
      if (typeof ref.file_path !== 'string' || !isContentType(ref.type)) continue;
      itemPaths.add(ref.file_path);
      const result = decodeItem(ref.type, await archive.readEntry(ref.file_path), { id: ref.id });
      assert.ok(result.ok, `${ref.type} ${ref.id} decodes`);
      decoded.set(`${ref.type}#${ref.id}`, {
        type: ref.type,
        content: result.item,
      });
    }
    const titleOf = (type: ContentType, id: unknown) => {
      const content = decoded.get(`${type}#${String(id).replace(/^media:/, '')}`)?.content;
      return content ? String(content.title ?? content.name) : `missing ${type} ${String(id)}`;
    };
    const items: Record<string, string[]> = {};
    for (const { type, content } of decoded.values()) {
      const links = {
        ...(content.character_id != null ? { character: titleOf('character', content.character_id) } : {}),
        ...(content.conversation_id != null
          ? { conversation: titleOf('conversation', content.conversation_id) }
          : {}),
        ...(type === 'embedding' ? { media: titleOf('media', content.id) } : {}),
      };
      (items[type] ??= []).push(
        JSON.stringify({ content: comparable({ content } as unknown as LibraryItem), links }),
      );
    }
    for (const list of Object.values(items)) list.sort();
    const files: string[] = [];
    for (const entry of archive.entries) {
      if (entry.name.endsWith('/') || entry.name === 'manifest.json' || entry.name === 'README.md') continue;
      if (itemPaths.has(entry.name)) continue;
      files.push(
        createHash('sha256')
          .update(await archive.readEntry(entry.name))
          .digest('hex'),
      );
    }
    return { items, files: files.sort() };
  } finally {
    await archive.close();
  }
}

async function exportAll(user: string, name: string): Promise<Buffer> {
  const response = await post('/api/v1/chatbooks/export', user, {
    name,
    selection: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 'all'])),
    include_media: true,
    include_embeddings: true,
    async: false,
  });
  const job = (await response.json()) as ExportJobView;
  assert.equal(response.status, 201, JSON.stringify(job));
  const redirect = await cloud.call(job.download_url ?? '', { user, redirect: 'manual' });
  return Buffer.from(await (await fetch(redirect.headers.get('location') ?? '')).arrayBuffer());
}

before(async () => {
  // Small batches, so an import of the small seed runs as several ImportBatch steps.
  cloud = await startTestCloud({ functionEnvironment: { IMPORT_BATCH_SIZE: '25' } });
  const local = localLibraryStore(endpointsOf(cloud));
  library = local.store;
  closeLibrary = local.close;
  s3 = cloud.s3;
  seeded = await seedLibrary(library, ALICE, 'small');
  chatbook = await exportAll(ALICE, 'Alice everything');
});

after(async () => {
  closeLibrary();
  await cloud.dispose();
});

describe('import into another user, strategy by strategy', () => {
  let first: ImportJobView;

  before(async () => {
    first = await importAs(BOB, chatbook, { strategy: 'skip' });
  });

  it('imports every item of every type, with files byte for byte, links remapped and provenance', async () => {
    assert.equal(first.status, 'completed');
    assert.equal(first.counts.imported, seeded.items);
    assert.equal(first.counts.failed, 0);
    assert.deepEqual(await counts(BOB), seeded.counts);
    for (const type of CONTENT_TYPES) {
      const theirs = await allItems(ALICE, type);
      const mine = await allItems(BOB, type);
      for (const original of theirs) {
        const copy = mine.find((item) => item.provenance?.original_id === original.id);
        assert.ok(copy?.provenance, `${type} ${original.id} was imported`);
        // An embedding's title names its media, whose id is new here.
        if (type !== 'embedding') assert.equal(copy.title, original.title);
        assert.equal(copy.provenance.import_job_id, first.job_id);
        assert.equal(copy.provenance.source_chatbook, 'Alice everything');
        assert.deepEqual(comparable(copy), comparable(original));
        assert.deepEqual(
          copy.files.map((file) => [file.fileId, file.sizeBytes, file.sha256]).sort(),
          original.files.map((file) => [file.fileId, file.sizeBytes, file.sha256]).sort(),
        );
      }
    }
    const characters = new Set((await allItems(BOB, 'character')).map((item) => item.id));
    const linked = (await allItems(BOB, 'conversation')).filter(
      (item) => (item.content as { character_id?: unknown }).character_id != null,
    );
    assert.ok(linked.length > 0);
    for (const conversation of linked) {
      assert.ok(characters.has(String((conversation.content as { character_id: unknown }).character_id)));
    }
    const media = new Set((await allItems(BOB, 'media')).map((item) => item.id));
    for (const embedding of await allItems(BOB, 'embedding'))
      assert.ok(media.has(embedding.id.replace(/^media:/, '')));
  });

  it('skip leaves every existing item and writes nothing', async () => {
    const before = await counts(BOB);
    const job = await importAs(BOB, chatbook, { strategy: 'skip' });
    assert.equal(job.counts.skipped, seeded.items);
    assert.equal(job.counts.imported, 0);
    assert.deepEqual(await counts(BOB), before);
    const items = await report(BOB, job.job_id);
    assert.equal(items.length, seeded.items);
    assert.deepEqual(
      items.filter((item) => !(item.outcome === 'skipped' && item.library_id)),
      [],
    );
  });

  it('rename adds each item again as "<name> (1)"', async () => {
    const job = await importAs(BOB, chatbook, {
      strategy: 'rename',
      selection: { note: 'all', prompt: 'all' },
    });
    assert.equal(job.counts.renamed, seeded.counts.note + seeded.counts.prompt);
    const notes = await allItems(BOB, 'note');
    assert.equal(notes.length, seeded.counts.note * 2);
    for (const original of await allItems(ALICE, 'note')) {
      assert.ok(
        notes.some((note) => note.title === `${original.title} (1)`),
        original.title,
      );
    }
  });

  it('overwrite replaces content and keeps ids; merge adds what is missing and keeps what differs', async () => {
    const [note] = (await allItems(BOB, 'note')).filter((item) => !item.title.endsWith(' (1)'));
    assert.ok(note);
    const edited = { ...note, content: { ...note.content, content: 'edited by Bob', tags: ['bob-only'] } };
    assert.ok(await library.put({ ...edited, version: note.version + 1 }, note.version));
    const merged = await importAs(BOB, chatbook, {
      strategy: 'merge',
      selection: { note: [note.provenance?.original_id] },
    });
    assert.equal(merged.counts.merged, 1);
    const afterMerge = await library.get(BOB, 'note', note.id);
    assert.equal((afterMerge?.content as { content: string }).content, 'edited by Bob');
    const original = await library.get(ALICE, 'note', note.provenance?.original_id ?? '');
    for (const tag of ['bob-only', ...(original?.tags ?? [])]) assert.ok(afterMerge?.tags.includes(tag), tag);

    const overwritten = await importAs(BOB, chatbook, {
      strategy: 'overwrite',
      selection: { note: [note.provenance?.original_id] },
    });
    assert.equal(overwritten.counts.overwritten, 1);
    const afterOverwrite = await library.get(BOB, 'note', note.id);
    assert.equal(afterOverwrite?.id, note.id);
    assert.equal(
      (afterOverwrite.content as { content: string }).content,
      (original?.content as { content: string }).content,
    );
  });
});

describe('import as a job, through the workflow', () => {
  async function waitForEnd(user: string, jobId: string): Promise<ImportJobView> {
    for (let attempt = 0; attempt < 1200; attempt++) {
      const job = (await (
        await cloud.call(`/api/v1/chatbooks/import/jobs/${jobId}`, { user })
      ).json()) as ImportJobView;
      if (!['pending', 'in_progress'].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`import ${jobId} did not finish`);
  }

  it('runs Validate, Plan, a batch per range in order, and Finalize, landing every item once', async () => {
    const user = 'dave-import';
    const uploadId = await upload(user, chatbook);
    const response = await post('/api/v1/chatbooks/import', user, { upload_id: uploadId, async: true });
    assert.equal(response.status, 202);
    const started = (await response.json()) as ImportJobView;
    assert.equal(started.status, 'pending');
    const job = await waitForEnd(user, started.job_id);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.counts.imported, seeded.items);
    assert.equal(job.processed_items, seeded.items);
    assert.deepEqual(await counts(user), seeded.counts);
    const stored = (
      await cloud.documents.send(
        new GetCommand({
          TableName: cloud.resources.jobsTable,
          Key: { pk: `USER#${user}`, sk: `JOB#import#${started.job_id}` },
        }),
      )
    ).Item as { events: { step: string; status: string }[] };
    const batches = Math.ceil(seeded.items / 25);
    assert.deepEqual(
      stored.events.map((event) => event.step),
      [
        'request',
        'validate',
        'plan',
        ...Array.from(
          { length: batches },
          (_, i) => `import_batch:${i * 25}-${Math.min(seeded.items, (i + 1) * 25)}`,
        ),
        'finalize',
      ],
    );
    const characters = new Set((await allItems(user, 'character')).map((item) => item.id));
    for (const conversation of await allItems(user, 'conversation')) {
      const link = (conversation.content as { character_id?: string | null }).character_id;
      if (link != null) assert.ok(characters.has(link));
    }
    // The plan and the identities the batches passed on are temporary: Finalize removes them.
    const temp = await s3.send(
      new ListObjectsV2Command({
        Bucket: cloud.resources.bucket,
        Prefix: `users/${user}/chatbooks/temp/imports/${started.job_id}/`,
      }),
    );
    assert.deepEqual(temp.Contents ?? [], []);
  });

  it('cancels a running import: no further batch runs, and it says how many items were processed', async () => {
    const user = 'erin-import';
    const uploadId = await upload(user, chatbook);
    const started = (await (
      await post('/api/v1/chatbooks/import', user, { upload_id: uploadId, async: true })
    ).json()) as ImportJobView;
    const cancel = await cloud.call(`/api/v1/chatbooks/import/jobs/${started.job_id}`, {
      user,
      method: 'DELETE',
    });
    assert.equal(cancel.status, 200);
    assert.equal(((await cancel.json()) as ImportJobView).status, 'cancelled');
    await cloud.idle();
    const ended = (await (
      await cloud.call(`/api/v1/chatbooks/import/jobs/${started.job_id}`, { user })
    ).json()) as ImportJobView;
    assert.equal(ended.status, 'cancelled');
    const landed = Object.values(await counts(user)).reduce((sum, n) => sum + n, 0);
    assert.ok(landed < seeded.items, `${landed} of ${seeded.items} landed`);
    assert.equal((await report(user, started.job_id)).length, landed);
  });
});

describe('import back into the same user', () => {
  it('finds every item already there with skip, and changes nothing', async () => {
    const job = await importAs(ALICE, chatbook, { strategy: 'skip' });
    assert.equal(job.counts.skipped, seeded.items);
    assert.deepEqual(await counts(ALICE), seeded.counts);
  });

  it('a round trip export → import → export gives the same content, links and file bytes', async () => {
    const user = 'erin-import';
    const job = await importAs(user, chatbook, {});
    assert.equal(job.counts.imported, seeded.items);
    const again = await exportAll(user, 'Erin everything');
    const [before, after] = [await contentsOf(chatbook), await contentsOf(again)];
    assert.deepEqual(after.items, before.items);
    assert.deepEqual(after.files, before.files);
    assert.ok(before.files.length > 0);
  });
});

describe('tldw_server chatbooks', () => {
  for (const version of ['1.0.0', '1.1.0'] as const) {
    it(`imports a tldw ${version} chatbook with every type`, async () => {
      const files = CONTENT_TYPES.map((type) => {
        const encoded = encodeItem(type, SAMPLES[type]);
        return {
          type,
          id: (SAMPLES[type] as { id: string }).id,
          path: encoded.path,
          data: Buffer.from(encoded.body),
        };
      });
      const manifest = tldwManifest(
        version,
        files.map((file) => ({ id: file.id, type: file.type, file_path: file.path })),
        files.map((file) => ({ path: file.path, data: file.data })),
      );
      const zip = forgeZip([
        { name: 'manifest.json', data: JSON.stringify(manifest), method: 0 },
        ...files.map((file) => ({ name: file.path, data: file.data })),
      ]);
      const user = `${CAROL}-${version}`;
      const job = await importAs(user, zip, {});
      assert.equal(job.counts.failed, 0, JSON.stringify(await report(user, job.job_id)));
      assert.equal(job.counts.imported, CONTENT_TYPES.length);
      for (const type of CONTENT_TYPES) assert.equal((await allItems(user, type)).length, 1, type);
      const conversation = (await allItems(user, 'conversation'))[0];
      const character = (await allItems(user, 'character'))[0];
      assert.equal((conversation?.content as { character_id: string }).character_id, character?.id);
      assert.ok(inventoryRecord);
    });
  }
});

describe('refusals', () => {
  it('an archive that fails validation writes nothing and leaves no job behind', async () => {
    const user = `${CAROL}-bad`;
    const broken = Buffer.from(chatbook);
    const middle = Math.floor(broken.length / 2);
    broken.writeUInt8(broken.readUInt8(middle) ^ 0xff, middle);
    const uploadId = await upload(user, broken);
    const response = await post('/api/v1/chatbooks/import', user, { upload_id: uploadId, strategy: 'skip' });
    assert.equal(response.status, 400);
    assert.deepEqual(await counts(user), Object.fromEntries(CONTENT_TYPES.map((type) => [type, 0])));
    const jobs = (await (await cloud.call('/api/v1/chatbooks/import/jobs', { user })).json()) as {
      jobs: unknown[];
    };
    assert.deepEqual(jobs.jobs, []);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: cloud.resources.bucket, Prefix: `users/${user}/library/` }),
    );
    assert.equal(listed.KeyCount ?? 0, 0);
    const unknownStrategy = await post('/api/v1/chatbooks/import', user, {
      upload_id: uploadId,
      strategy: 'replace',
    });
    assert.equal(unknownStrategy.status, 400);
  });

  it("gives 404 for another user's upload id and job id on every import route", async () => {
    const alicesUpload = await upload(ALICE, chatbook);
    const imported = await post('/api/v1/chatbooks/import', BOB, { upload_id: alicesUpload });
    assert.equal(imported.status, 404);
    const alicesJobs = (await (
      await cloud.call('/api/v1/chatbooks/import/jobs', { user: ALICE })
    ).json()) as {
      jobs: ImportJobView[];
    };
    const jobId = alicesJobs.jobs[0]?.job_id ?? '';
    for (const [method, path] of [
      ['GET', `/api/v1/chatbooks/import/jobs/${jobId}`],
      ['GET', `/api/v1/chatbooks/import/jobs/${jobId}/report`],
      ['DELETE', `/api/v1/chatbooks/import/jobs/${jobId}`],
    ] as const) {
      const response = await cloud.call(path, { user: BOB, method });
      assert.equal(response.status, 404, `${method} ${path}`);
    }
    const own = await cloud.call(`/api/v1/chatbooks/import/jobs/${jobId}`, { user: ALICE, method: 'DELETE' });
    assert.equal(own.status, 409);
    assert.equal(createHash('sha256').update(chatbook).digest('hex').length, 64);
  });
});
