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

/** The samples' chatbook, its plan, empty stores for the receiving user, and a run of the engine over them. */
async function engine() {
  const archive = await chatbookOfSamples();
  const { items } = planImport(archive, OPTIONS);
  const library = new MemoryLibraryStore();
  const records = new MemoryImportRecords();
  const run = (
    jobId: string,
    extra: {
      options?: ImportOptions;
      pageSize?: number;
      firstRun?: boolean;
      onPage?: (stop: number) => boolean;
    } = {},
  ) =>
    importItems(
      archive,
      items,
      { start: 0, end: items.length, pageSize: extra.pageSize },
      extra.options ?? OPTIONS,
      {
        userId: TO,
        jobId,
        now: new Date(),
        library,
        records,
        source: { name: 'Samples', exportId: 'export-1' },
        ...(extra.firstRun === undefined ? {} : { firstRun: extra.firstRun }),
      },
      new ImportIdentities(library, TO, jobId),
      extra.onPage,
    );
  const received = () => [...library.items.values()].filter((item) => item.userId === TO);
  return { archive, items, library, records, run, received };
}

describe('import engine', () => {
  it('imports characters before the conversations that point at them, and remaps the link', async () => {
    const { archive, items, library, run } = await engine();
    assert.deepEqual(
      items.map((item) => item.type),
      ['character', 'conversation', 'note'],
    );
    const results = (await run('job-1')).records;
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
    const { archive, library, records, run } = await engine();
    const first = (await run('job-2')).records;
    const itemsAfterFirst = [...library.items.keys()].sort();
    const second = (await run('job-2')).records;
    assert.deepEqual(second, first);
    assert.deepEqual([...library.items.keys()].sort(), itemsAfterFirst);
    // A crash after the library writes but before the records: the rerun finds its own items, not conflicts.
    records.pages.clear();
    const third = (await run('job-2')).records;
    assert.deepEqual(
      third.map((record) => [record.outcome, record.targetId]),
      first.map((record) => [record.outcome, record.targetId]),
    );
    assert.deepEqual([...library.items.keys()].sort(), itemsAfterFirst);
    await archive.close();
  });

  it('writes pages while the next is decided: links hold across pages, progress comes in order, a stop is clean', async () => {
    const { archive, library, records, run, received } = await engine();
    // One item a page: the character, the conversation pointing at it and the note each write on their own.
    const reached: number[] = [];
    const stopped = await run('job-3', {
      pageSize: 1,
      firstRun: true,
      onPage: (stop) => {
        reached.push(stop);
        return false;
      },
    });
    // Told to stop after the first page: the page already writing beside it finishes, nothing more starts.
    assert.equal(stopped.stopped, true);
    assert.deepEqual(reached, [1]);
    assert.equal(stopped.records.length, 2);
    const recordedPages = [...(await records.getPages(TO, 'job-3', [0, 1, 2])).keys()].sort();
    assert.deepEqual(recordedPages, [0, 1]);
    assert.equal(received().length, 2);

    const resumed = await run('job-3', {
      pageSize: 1,
      firstRun: false,
      onPage: (stop) => {
        reached.push(stop);
        return true;
      },
    });
    assert.equal(resumed.stopped, false);
    assert.deepEqual(reached.slice(1), [1, 2, 3]);
    assert.deepEqual(
      resumed.records.map((record) => record.outcome),
      ['imported', 'imported', 'imported'],
    );
    assert.equal(received().length, 3);
    const [character, conversationRecord] = resumed.records;
    const conversation = await library.get(TO, 'conversation', conversationRecord?.targetId ?? '');
    assert.equal((conversation?.content as { character_id: string }).character_id, character?.targetId);
    await archive.close();
  });

  it('finishes a page that updates before deciding the next, which links to what it updated', async () => {
    const { archive, library, run, received } = await engine();
    await run('job-4', { pageSize: 1, firstRun: true });
    // Overwrite, one item a page: the character page updates, and the conversation must point at that same item.
    const overwrite: ImportOptions = { ...OPTIONS, strategy: 'overwrite' };
    const { records: result } = await run('job-5', { pageSize: 1, firstRun: true, options: overwrite });
    assert.deepEqual(
      result.map((record) => record.outcome),
      ['overwritten', 'overwritten', 'overwritten'],
    );
    const conversation = await library.get(TO, 'conversation', result[1]?.targetId ?? '');
    assert.equal((conversation?.content as { character_id: string }).character_id, result[0]?.targetId);
    assert.equal(received().length, 3);
    await archive.close();
  });
});
