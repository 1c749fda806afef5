// The import engine over in-memory stores: order, idempotence (a batch run twice writes nothing twice) and links.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferSource, openChatbook } from '../../../shared/chatbook/reader';
import { buildExportArchive } from '../../../shared/exports/archive';
import { exportRequestSchema, toExportSpec } from '../../../shared/exports/export-request';
import { planExport } from '../../../shared/exports/plan';
import {
  ImportIdentities,
  importItems,
  planImport,
  type ImportOptions,
} from '../../../shared/imports/import-items';
import { MemoryImportRecords } from '../../support/memory-import-records';
import { SAMPLES } from '../../support/chatbook-samples';
import { MemoryLibraryStore } from '../../support/memory-library-store';

const FROM = 'alice';
const TO = 'bob';
const OPTIONS: ImportOptions = { strategy: 'skip', includeMedia: true, includeEmbeddings: true };

async function chatbookOfSamples() {
  const source = new MemoryLibraryStore();
  for (const type of ['conversation', 'character', 'note'] as const) {
    const content = SAMPLES[type];
    await source.put({
      userId: FROM,
      type,
      id: String(content.id),
      title: type === 'note' ? SAMPLES.note.title : (content as { name: string }).name,
      tags: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
      sizeBytes: 0,
      files: [],
      content,
    });
  }
  const spec = toExportSpec(
    exportRequestSchema.parse({
      name: 'Samples',
      selection: { conversation: 'all', character: 'all', note: 'all' },
    }),
  );
  const plan = await planExport(source, FROM, spec);
  const built = buildExportArchive({
    store: source,
    userId: FROM,
    jobId: 'export-1',
    spec,
    plan,
    now: new Date(),
  });
  const chunks: Buffer[] = [];
  for await (const chunk of built.stream) chunks.push(chunk as Buffer);
  await built.result;
  return openChatbook(new BufferSource(Buffer.concat(chunks)));
}

describe('import engine', () => {
  it('imports characters before the conversations that point at them, and remaps the link', async () => {
    const archive = await chatbookOfSamples();
    const { items } = planImport(archive, OPTIONS);
    assert.deepEqual(
      items.map((item) => item.type),
      ['character', 'conversation', 'note'],
    );
    const library = new MemoryLibraryStore();
    const records = new MemoryImportRecords();
    const env = {
      userId: TO,
      jobId: 'job-1',
      now: new Date(),
      library,
      records,
      source: { name: 'Samples', exportId: 'export-1' },
    };
    const results = (
      await importItems(
        archive,
        items,
        { start: 0, end: items.length },
        OPTIONS,
        env,
        new ImportIdentities(library, TO, 'job-1'),
      )
    ).records;
    assert.deepEqual(
      results.map((record) => record.outcome),
      ['imported', 'imported', 'imported'],
    );
    const character = results[0]!;
    const conversation = await library.get(TO, 'conversation', results[1]!.targetId ?? '');
    assert.equal((conversation?.content as { character_id: string }).character_id, character.targetId);
    await archive.close();
  });

  it('writes nothing twice when a batch runs again, even after a crash before its records were written', async () => {
    const archive = await chatbookOfSamples();
    const { items } = planImport(archive, OPTIONS);
    const library = new MemoryLibraryStore();
    const records = new MemoryImportRecords();
    const env = {
      userId: TO,
      jobId: 'job-2',
      now: new Date(),
      library,
      records,
      source: { name: 'Samples', exportId: null },
    };
    const first = (
      await importItems(
        archive,
        items,
        { start: 0, end: items.length },
        OPTIONS,
        env,
        new ImportIdentities(library, TO, 'job-2'),
      )
    ).records;
    const itemsAfterFirst = [...library.items.keys()].sort();
    const second = (
      await importItems(
        archive,
        items,
        { start: 0, end: items.length },
        OPTIONS,
        env,
        new ImportIdentities(library, TO, 'job-2'),
      )
    ).records;
    assert.deepEqual(second, first);
    assert.deepEqual([...library.items.keys()].sort(), itemsAfterFirst);
    // A crash after the library writes but before the records: the rerun finds its own items, not conflicts.
    records.pages.clear();
    const third = (
      await importItems(
        archive,
        items,
        { start: 0, end: items.length },
        OPTIONS,
        env,
        new ImportIdentities(library, TO, 'job-2'),
      )
    ).records;
    assert.deepEqual(
      third.map((record) => [record.outcome, record.targetId]),
      first.map((record) => [record.outcome, record.targetId]),
    );
    assert.deepEqual([...library.items.keys()].sort(), itemsAfterFirst);
    await archive.close();
  });
});
