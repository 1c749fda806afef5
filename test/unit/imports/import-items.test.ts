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

  it('writes pages while the next is decided: links hold across pages, progress comes in order, a stop is clean', async () => {
    const archive = await chatbookOfSamples();
    const { items } = planImport(archive, OPTIONS);
    const library = new MemoryLibraryStore();
    const records = new MemoryImportRecords();
    const env = {
      userId: TO,
      jobId: 'job-3',
      now: new Date(),
      library,
      records,
      source: { name: 'Samples', exportId: null },
      firstRun: true,
    };
    // One item a page: the character, the conversation pointing at it and the note each write on their own.
    const range = { start: 0, end: items.length, pageSize: 1 };
    const reached: number[] = [];
    const stopped = await importItems(
      archive,
      items,
      range,
      OPTIONS,
      env,
      new ImportIdentities(library, TO, 'job-3'),
      (stop) => {
        reached.push(stop);
        return false;
      },
    );
    // Told to stop after the first page: the page already writing beside it finishes, nothing more starts.
    assert.equal(stopped.stopped, true);
    assert.deepEqual(reached, [1]);
    assert.equal(stopped.records.length, 2);
    const recordedPages = [...(await records.getPages(TO, 'job-3', [0, 1, 2])).keys()].sort();
    assert.deepEqual(recordedPages, [0, 1]);
    assert.equal([...library.items.values()].filter((item) => item.userId === TO).length, 2);

    const resumed = await importItems(
      archive,
      items,
      range,
      OPTIONS,
      { ...env, firstRun: false },
      new ImportIdentities(library, TO, 'job-3'),
      (stop) => {
        reached.push(stop);
        return true;
      },
    );
    assert.equal(resumed.stopped, false);
    assert.deepEqual(reached.slice(1), [1, 2, 3]);
    assert.deepEqual(
      resumed.records.map((record) => record.outcome),
      ['imported', 'imported', 'imported'],
    );
    assert.equal([...library.items.values()].filter((item) => item.userId === TO).length, 3);
    const [character, conversationRecord] = resumed.records;
    const conversation = await library.get(TO, 'conversation', conversationRecord?.targetId ?? '');
    assert.equal((conversation?.content as { character_id: string }).character_id, character?.targetId);
    await archive.close();
  });

  it('finishes a page that updates before deciding the next, which links to what it updated', async () => {
    const archive = await chatbookOfSamples();
    const { items } = planImport(archive, OPTIONS);
    const library = new MemoryLibraryStore();
    const records = new MemoryImportRecords();
    const first = {
      userId: TO,
      jobId: 'job-4',
      now: new Date(),
      library,
      records,
      source: { name: 'Samples', exportId: null },
      firstRun: true,
    };
    const range = { start: 0, end: items.length, pageSize: 1 };
    await importItems(archive, items, range, OPTIONS, first, new ImportIdentities(library, TO, 'job-4'));
    // Overwrite, one item a page: the character page updates, and the conversation must point at that same item.
    const overwrite: ImportOptions = { ...OPTIONS, strategy: 'overwrite' };
    const again = { ...first, jobId: 'job-5' };
    const { records: result } = await importItems(
      archive,
      items,
      range,
      overwrite,
      again,
      new ImportIdentities(library, TO, 'job-5'),
    );
    assert.deepEqual(
      result.map((record) => record.outcome),
      ['overwritten', 'overwritten', 'overwritten'],
    );
    const conversation = await library.get(TO, 'conversation', result[1]?.targetId ?? '');
    assert.equal((conversation?.content as { character_id: string }).character_id, result[0]?.targetId);
    assert.equal([...library.items.values()].filter((item) => item.userId === TO).length, 3);
    await archive.close();
  });
});
