// The export's pure parts: request validation, planning and archive building, over an in-memory library.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { BufferSource, openChatbook } from '../../../shared/chatbook/reader';
import { writeChatbook } from '../../../shared/chatbook/writer';
import { ExportStopped, buildExportArchive } from '../../../shared/exports/archive';
import { exportRequestSchema, toExportSpec, type ExportSpec } from '../../../shared/exports/export-request';
import { archiveFileName } from '../../../shared/exports/export-service';
import { estimateManifestBytes, planExport } from '../../../shared/exports/plan';
import { UnprocessableError } from '../../../shared/errors';
import type { LibraryItem } from '../../../shared/library/library';
import { MemoryLibraryStore } from '../../support/memory-library-store';
import { tldwProblems } from '../../support/tldw-rules';

const USER = 'u1';

function spec(overrides: Partial<ExportSpec> = {}): ExportSpec {
  return {
    ...toExportSpec(exportRequestSchema.parse({ name: 'Test', selection: { note: 'all' } })),
    ...overrides,
  };
}

async function note(
  store: MemoryLibraryStore,
  id: string,
  overrides: Partial<LibraryItem> = {},
): Promise<void> {
  const title = overrides.title ?? `Note ${id}`;
  await store.put({
    userId: USER,
    type: 'note',
    id,
    title,
    tags: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    sizeBytes: 0,
    files: [],
    content: { id, title, content: `Body of ${id}` },
    ...overrides,
  });
}

async function toBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('export request', () => {
  it('defaults to format 1.1.0, no media, no embeddings, and lets the size decide sync or async', () => {
    const parsed = spec();
    assert.equal(parsed.formatVersion, '1.1.0');
    assert.equal(parsed.includeMedia, false);
    assert.equal(parsed.includeEmbeddings, false);
    assert.equal(parsed.async, undefined);
    assert.deepEqual(parsed.selection, { note: 'all' });
  });

  it("accepts tldw's keys: content_selections, async_mode and format 1.0", () => {
    const parsed = toExportSpec(
      exportRequestSchema.parse({
        name: 'x',
        content_selections: { prompt: ['1', '2'] },
        async_mode: true,
        format_version: '1.0',
      }),
    );
    assert.deepEqual(parsed.selection, { prompt: ['1', '2'] });
    assert.equal(parsed.async, true);
    assert.equal(parsed.formatVersion, '1.0.0');
  });

  it('refuses unsafe names, unknown types, an empty id list, reversed time ranges and unknown keys', () => {
    for (const body of [
      { name: 'a<b', selection: { note: 'all' } },
      { name: 'x', selection: { notes: 'all' } },
      { name: 'x', selection: { note: [] } },
      {
        name: 'x',
        selection: { note: 'all' },
        filters: { updated_since: '2026-02-01T00:00:00Z', updated_until: '2026-01-01T00:00:00Z' },
      },
      { name: 'x', selection: { note: 'all' }, surprise: true },
      { name: 'x'.repeat(256), selection: { note: 'all' } },
      { name: 'x', selection: { note: 'all' }, categories: Array.from({ length: 21 }, (_, i) => `c${i}`) },
    ]) {
      assert.equal(exportRequestSchema.safeParse(body).success, false, JSON.stringify(body).slice(0, 80));
    }
  });

  it('names the download after the export, without path or shell characters', () => {
    assert.equal(archiveFileName('Trip "notes" (v2)'), 'Trip _notes_ (v2).chatbook');
    assert.equal(archiveFileName('   '), 'chatbook.chatbook');
    assert.equal(archiveFileName('Café ünïcode'), 'Café ünïcode.chatbook');
  });
});

describe('export plan', () => {
  it('lists a type selected whole, newest first, within the filters', async () => {
    const store = new MemoryLibraryStore();
    await note(store, 'a', { updatedAt: '2026-01-01T00:00:00.000Z', tags: ['x'] });
    await note(store, 'b', { updatedAt: '2026-03-01T00:00:00.000Z', tags: ['x'] });
    await note(store, 'c', { updatedAt: '2026-05-01T00:00:00.000Z' });
    const plan = await planExport(store, USER, spec({ filters: { tags: ['x'] } }));
    assert.deepEqual(
      plan.items.map((item) => item.id),
      ['b', 'a'],
    );
    assert.equal(plan.totalItems, 2);
    assert.deepEqual(plan.counts, { note: 2 });
  });

  it('names every selected id that is missing, in a 422', async () => {
    const store = new MemoryLibraryStore();
    await note(store, 'a');
    await assert.rejects(
      planExport(store, USER, spec({ selection: { note: ['a', 'ghost', 'phantom'] } })),
      (error: unknown) =>
        error instanceof UnprocessableError &&
        error.code === 'unknown_items' &&
        JSON.stringify(error.details) ===
          JSON.stringify({
            missing: [
              { type: 'note', id: 'ghost' },
              { type: 'note', id: 'phantom' },
            ],
          }),
    );
  });

  it("brings a media item's embedding along when asked, and its files only with include_media", async () => {
    const store = new MemoryLibraryStore();
    const file = await store.putFile(USER, 'media', 'm1', {
      fileId: 'f',
      name: 'a.mp3',
      mimeType: 'audio/mpeg',
      body: Buffer.alloc(1000, 7),
    });
    await store.put({
      userId: USER,
      type: 'media',
      id: 'm1',
      title: 'Talk',
      tags: [],
      createdAt: 'then',
      updatedAt: 'then',
      version: 1,
      sizeBytes: 0,
      files: [file],
      content: { id: 'm1', title: 'Talk', transcripts: [], chunks: [], stored_artifacts: [{ id: 'f' }] },
    });
    await store.put({
      userId: USER,
      type: 'embedding',
      id: 'media:m1',
      title: 'Embedding of m1',
      tags: [],
      createdAt: 'then',
      updatedAt: 'then',
      version: 1,
      sizeBytes: 0,
      files: [],
      content: { id: 'media:m1', source: { media_id: 'm1' }, encoding: 'base64', vector: 'AAAAPw==' },
    });
    const without = await planExport(store, USER, spec({ selection: { media: 'all' } }));
    assert.deepEqual(
      without.items.map((item) => [item.type, item.files.length]),
      [['media', 0]],
    );
    const withAll = await planExport(
      store,
      USER,
      spec({ selection: { media: 'all' }, includeMedia: true, includeEmbeddings: true }),
    );
    assert.deepEqual(
      withAll.items.map((item) => [item.type, item.id, item.files.length, item.related ?? false]),
      [
        ['media', 'm1', 1, false],
        ['embedding', 'media:m1', 0, true],
      ],
    );
    assert.ok(withAll.totalBytes > without.totalBytes + 999);
  });
});

describe('streamed bodies with a recorded digest', () => {
  const body = Buffer.alloc(5000, 9);
  const digest = createHash('sha256').update(body).digest('hex');
  const write = (sizeBytes: number, sha256: string) => {
    const written = writeChatbook({
      manifest: { name: 'd', content_items: [] },
      version: '1.1.0',
      entries: Readable.from([
        {
          path: 'content/media/files/media_1/file_a.bin',
          body: Readable.from([body]),
          sha256,
          sizeBytes,
        },
      ]),
    });
    written.stream.on('error', () => undefined);
    return Promise.all([toBuffer(written.stream), written.result]);
  };

  it('puts the recorded digest in the inventory without hashing again', async () => {
    const [, result] = await write(body.length, digest);
    const inventory = result.manifest.file_inventory as { path: string; integrity: { value: string } }[];
    assert.equal(
      inventory.find((record) => record.path.endsWith('file_a.bin'))?.integrity.value,
      `sha256:${digest}`,
    );
  });

  it('fails the archive when the streamed size is not the recorded one', async () => {
    await assert.rejects(write(body.length + 1, digest), /not the 5001 its digest is for/);
  });
});

describe('export archive', () => {
  it('writes a chatbook whose manifest is within the planned estimate and passes tldw rules', async () => {
    const store = new MemoryLibraryStore();
    for (let i = 0; i < 300; i++)
      await note(store, `n${i}`, {
        title: `A "quoted" title ${'é'.repeat(i % 40)}`,
        tags: ['t1', 'tag two'],
      });
    const exportSpec = spec();
    const plan = await planExport(store, USER, exportSpec);
    const built = buildExportArchive({
      store,
      userId: USER,
      jobId: 'job-1',
      spec: exportSpec,
      plan,
      now: new Date(),
    });
    const [bytes, result] = await Promise.all([toBuffer(built.stream), built.result]);
    const archive = await openChatbook(new BufferSource(bytes));
    const manifestBytes =
      archive.entries.find((entry) => entry.name === 'manifest.json')?.uncompressedSize ?? 0;
    const estimate = estimateManifestBytes(plan.items);
    assert.ok(
      manifestBytes > 0 && manifestBytes <= estimate,
      `${manifestBytes} bytes, estimated ${estimate}`,
    );
    // Close enough not to refuse exports readers would take (a 1.5x overestimate once refused 10,420 items).
    assert.ok(estimate < manifestBytes * 1.15, `estimated ${estimate} for ${manifestBytes}`);
    assert.deepEqual(await tldwProblems(archive), []);
    assert.equal(result.processedItems, 300);
    assert.equal(archive.manifest.export_id, 'job-1');
    await archive.close();
  });

  it('drops an item deleted after planning from the manifest, with a warning', async () => {
    const store = new MemoryLibraryStore();
    await note(store, 'keep');
    await note(store, 'gone');
    const exportSpec = spec();
    const plan = await planExport(store, USER, exportSpec);
    await store.delete(USER, 'note', 'gone');
    const built = buildExportArchive({
      store,
      userId: USER,
      jobId: 'j',
      spec: exportSpec,
      plan,
      now: new Date(),
    });
    const [bytes, result] = await Promise.all([toBuffer(built.stream), built.result]);
    const archive = await openChatbook(new BufferSource(bytes));
    assert.deepEqual(
      archive.manifest.content_items.map((item) => item.id),
      ['keep'],
    );
    assert.match(result.warnings.join(), /note gone was deleted while the export ran/);
    assert.deepEqual(await tldwProblems(archive), []);
    await archive.close();
  });

  it('stops when progress says the job is no longer running', async () => {
    const store = new MemoryLibraryStore();
    for (let i = 0; i < 5; i++) await note(store, `n${i}`);
    const exportSpec = spec();
    const plan = await planExport(store, USER, exportSpec);
    const built = buildExportArchive({
      store,
      userId: USER,
      jobId: 'j',
      spec: exportSpec,
      plan,
      now: new Date(),
      onProgress: () => false,
    });
    built.stream.on('error', () => undefined);
    built.stream.resume();
    await assert.rejects(built.result, ExportStopped);
  });
});
