import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DomainError } from '../../../../shared/errors';
import { writeChatbook } from '../../../../shared/chatbook/writer';
import type { ChatbookEntry } from '../../../../shared/chatbook/writer';
import { collect, fromArray, readZip, streamOf, writeToBuffer } from './zip-read';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const text = (seed: number, bytes: number): string => {
  let out = '';
  for (let i = 0; out.length < bytes; i++)
    out += `line ${i} of item ${seed}: ${(i * 7919 + seed).toString(36)} words\n`;
  return out;
};

function mixedEntries(): { entries: ChatbookEntry[]; bodies: Map<string, Buffer> } {
  const jpg = randomBytes(40_000);
  const mp4Chunks = [randomBytes(70_000), randomBytes(5)];
  const jsonChunks = [Buffer.from('{"messages":['), Buffer.from(text(3, 30_000)), Buffer.from(']}')];
  const entries: ChatbookEntry[] = [
    { path: 'content/notes/note_1.md', body: text(1, 5000), contentItemIds: ['1'] },
    {
      path: 'content/conversations/conversation_2.json',
      body: Buffer.from(text(2, 9000)),
      contentItemIds: ['2'],
    },
    {
      path: 'content/media/files/media_3/file_1.jpg',
      body: jpg,
      modifiedAt: new Date('2024-02-03T04:05:06Z'),
    },
    { path: 'content/media/files/media_3/file_2.mp4', body: streamOf(mp4Chunks) },
    { path: 'content/conversations/conversation_4.json', body: streamOf(jsonChunks) },
    { path: 'content/notes/empty.md', body: '' },
    { path: 'rendered/note_1.html', body: '<p>hi</p>' },
    { path: 'schemas/item.json', body: '{}' },
    { path: 'extras/notes ünïcode.txt', body: 'utf-8 name' },
  ];
  const bodies = new Map<string, Buffer>([
    ['content/notes/note_1.md', Buffer.from(text(1, 5000))],
    ['content/conversations/conversation_2.json', Buffer.from(text(2, 9000))],
    ['content/media/files/media_3/file_1.jpg', jpg],
    ['content/media/files/media_3/file_2.mp4', Buffer.concat(mp4Chunks)],
    ['content/conversations/conversation_4.json', Buffer.concat(jsonChunks)],
    ['content/notes/empty.md', Buffer.alloc(0)],
    ['rendered/note_1.html', Buffer.from('<p>hi</p>')],
    ['schemas/item.json', Buffer.from('{}')],
    ['extras/notes ünïcode.txt', Buffer.from('utf-8 name')],
  ]);
  return { entries, bodies };
}

describe('writeChatbook', () => {
  it('round-trips every byte, README first, items in order, manifest last and stored', async () => {
    const { entries, bodies } = mixedEntries();
    const { archive, result } = await writeToBuffer({ entries: fromArray(entries) });
    const read = await readZip(archive);
    assert.deepEqual(
      read.map((entry) => entry.name),
      ['README.md', ...entries.map((entry) => entry.path), 'manifest.json'],
    );
    for (const entry of read) {
      const expected = bodies.get(entry.name);
      if (expected) assert.ok(entry.data.equals(expected), entry.name);
      assert.equal(entry.crc32, crc32(entry.data), entry.name);
    }
    const method = (name: string): number => read.find((entry) => entry.name === name)!.method;
    assert.equal(method('content/notes/note_1.md'), 8);
    assert.equal(method('content/conversations/conversation_4.json'), 8);
    assert.equal(method('content/media/files/media_3/file_1.jpg'), 0);
    assert.equal(method('content/media/files/media_3/file_2.mp4'), 0);
    assert.equal(method('manifest.json'), 0);
    assert.equal(result.archiveBytes, archive.length);
    assert.equal(result.archiveSha256, sha256(archive));
    assert.equal(result.entryCount, read.length);
    assert.equal(
      result.uncompressedBytes,
      read.reduce((sum, entry) => sum + entry.data.length, 0),
    );
    const manifest = JSON.parse(read.at(-1)!.data.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(manifest, result.manifest);
  });

  it('records a sorted, verified 1.1.0 file_inventory computed while streaming', async () => {
    const { entries, bodies } = mixedEntries();
    const { archive, result } = await writeToBuffer({ entries: fromArray(entries), version: '1.1.0' });
    const read = await readZip(archive);
    const manifest = JSON.parse(read.at(-1)!.data.toString('utf8')) as {
      version: string;
      file_inventory: {
        path: string;
        media_type: string;
        size_bytes: number;
        integrity: { status: string; algorithm: string; value: string };
        role: string;
        content_item_ids: string[];
      }[];
    };
    assert.equal(manifest.version, '1.1.0');
    const paths = manifest.file_inventory.map((item) => item.path);
    assert.deepEqual(paths, [...paths].sort());
    assert.equal(paths.length, read.length - 1);
    assert.ok(!paths.includes('manifest.json'));
    for (const item of manifest.file_inventory) {
      const data = read.find((entry) => entry.name === item.path)!.data;
      assert.equal(item.size_bytes, data.length, item.path);
      assert.deepEqual(item.integrity, {
        status: 'verified',
        algorithm: 'sha256',
        value: `sha256:${sha256(data)}`,
      });
      if (bodies.has(item.path)) assert.ok(bodies.get(item.path)!.equals(data));
    }
    const byPath = new Map(manifest.file_inventory.map((item) => [item.path, item]));
    assert.equal(byPath.get('README.md')!.role, 'readme');
    assert.equal(byPath.get('README.md')!.media_type, 'text/markdown');
    assert.equal(byPath.get('content/notes/note_1.md')!.role, 'payload');
    assert.deepEqual(byPath.get('content/notes/note_1.md')!.content_item_ids, ['1']);
    assert.equal(byPath.get('content/media/files/media_3/file_1.jpg')!.media_type, 'image/jpeg');
    assert.equal(byPath.get('rendered/note_1.html')!.role, 'rendered');
    assert.equal(byPath.get('schemas/item.json')!.role, 'schema');
    assert.equal(byPath.get('extras/notes ünïcode.txt')!.role, 'other');
    assert.deepEqual(result.manifest.file_inventory, manifest.file_inventory);
  });

  it('writes no file_inventory for 1.0.0 and overrides a stale version', async () => {
    const { archive } = await writeToBuffer({
      manifest: { version: '9', name: 'Old', file_inventory: ['stale'] },
      version: '1.0.0',
      entries: fromArray([{ path: 'content/notes/note_1.md', body: 'x' }]),
    });
    const manifest = JSON.parse((await readZip(archive)).at(-1)!.data.toString('utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(manifest.version, '1.0.0');
    assert.equal(manifest.name, 'Old');
    assert.ok(!('file_inventory' in manifest));
  });

  it('generates a README from the manifest, or uses the one given', async () => {
    const manifest = {
      name: 'Research Pack',
      description: 'Notes on RAG',
      content_items: [{ type: 'note' }, { type: 'note' }, { type: 'conversation' }],
    };
    const generated = await writeToBuffer({ manifest, entries: fromArray([]) });
    const readme = (await readZip(generated.archive))[0]!;
    assert.equal(readme.name, 'README.md');
    const content = readme.data.toString('utf8');
    assert.match(content, /^# Research Pack/);
    assert.match(content, /Notes on RAG/);
    assert.match(content, /- note: 2/);
    assert.match(content, /- conversation: 1/);
    const given = await writeToBuffer({ manifest, readme: '# Mine\n', entries: fromArray([]) });
    assert.equal((await readZip(given.archive))[0]!.data.toString('utf8'), '# Mine\n');
  });

  it('stores an in-memory body that would deflate beyond 100:1 (the import zip-bomb limit)', async () => {
    const zeros = Buffer.alloc(1_000_000);
    const { archive } = await writeToBuffer({
      entries: fromArray([
        { path: 'content/notes/note_1.md', body: zeros },
        { path: 'content/notes/note_2.md', body: text(9, 50_000) },
      ]),
    });
    const read = await readZip(archive);
    const bomb = read.find((entry) => entry.name === 'content/notes/note_1.md')!;
    assert.equal(bomb.method, 0);
    assert.ok(bomb.data.equals(zeros));
    const note = read.find((entry) => entry.name === 'content/notes/note_2.md')!;
    assert.equal(note.method, 8);
    assert.ok(note.uncompressedSize / note.compressedSize <= 100);
  });

  it('uses the worker pool for larger archives and still round-trips', async () => {
    const entries: ChatbookEntry[] = [];
    for (let i = 0; i < 900; i++)
      entries.push({ path: `content/notes/note_${i}.md`, body: text(i, 3000 + (i % 7) * 500) });
    entries.push({ path: 'content/media/files/media_1/file_1.png', body: randomBytes(300_000) });
    const { archive, result } = await writeToBuffer({ entries: fromArray(entries) });
    const read = await readZip(archive);
    assert.equal(read.length, entries.length + 2);
    entries.forEach((entry, index) => {
      const got = read[index + 1]!;
      assert.equal(got.name, entry.path);
      assert.ok(
        got.data.equals(typeof entry.body === 'string' ? Buffer.from(entry.body) : (entry.body as Buffer)),
      );
    });
    assert.equal(read.filter((entry) => entry.method === 8).length, 901); // notes + README
    assert.equal(result.archiveSha256, sha256(archive));
  });

  it('hashes large stored media off-thread, in order between small entries, with a correct inventory', async () => {
    const media = [randomBytes(5 * 1024 * 1024), randomBytes(9 * 1024 * 1024 + 3)];
    const entries: ChatbookEntry[] = [
      { path: 'content/media/media_1.json', body: text(1, 2000), contentItemIds: ['1'] },
      { path: 'content/media/files/media_1/file_1.mp4', body: media[0]!, contentItemIds: ['1'] },
      { path: 'content/media/media_2.json', body: text(2, 2000), contentItemIds: ['2'] },
      { path: 'content/media/files/media_2/file_1.jpg', body: media[1]!, contentItemIds: ['2'] },
      { path: 'content/notes/note_3.md', body: text(3, 4000) },
    ];
    const { archive, result } = await writeToBuffer({ entries: fromArray(entries), version: '1.1.0' });
    const read = await readZip(archive);
    assert.deepEqual(
      read.map((entry) => entry.name),
      ['README.md', ...entries.map((entry) => entry.path), 'manifest.json'],
    );
    assert.ok(read[2]!.data.equals(media[0]!));
    assert.equal(read[2]!.method, 0);
    assert.ok(read[4]!.data.equals(media[1]!));
    const inventory = result.manifest.file_inventory as { path: string; integrity: { value: string } }[];
    for (const entry of read.slice(0, -1)) {
      const item = inventory.find((candidate) => candidate.path === entry.name)!;
      assert.equal(item.integrity.value, `sha256:${sha256(entry.data)}`, entry.name);
    }
    assert.equal(result.archiveSha256, sha256(archive));
  });

  it('switches to ZIP64 end records past 65,535 entries', async () => {
    const count = 70_000;
    async function* tiny(): AsyncGenerator<ChatbookEntry> {
      for (let i = 0; i < count; i++)
        yield await Promise.resolve({ path: `content/media/f${i}.jpg`, body: Buffer.from([i & 0xff]) });
    }
    const { archive, result } = await writeToBuffer({ entries: tiny(), version: '1.0.0' });
    assert.equal(result.entryCount, count + 2);
    assert.ok(archive.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'ZIP64 end record');
    assert.ok(archive.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07])), 'ZIP64 locator');
    const eocd = archive.subarray(archive.length - 22);
    assert.equal(eocd.readUInt16LE(10), 0xffff);
    const read = await readZip(archive, false);
    assert.equal(read.length, count + 2);
    assert.equal(read[count]!.name, `content/media/f${count - 1}.jpg`);
  });

  it('opens a body stream only when its turn comes, pulling entries one at a time', async () => {
    const events: string[] = [];
    async function* body(index: number): AsyncGenerator<Buffer> {
      events.push(`open ${index}`);
      yield await Promise.resolve(Buffer.from(text(index, 2000)));
      events.push(`end ${index}`);
    }
    async function* entries(): AsyncGenerator<ChatbookEntry> {
      for (let i = 0; i < 3; i++) {
        events.push(`pull ${i}`);
        yield await Promise.resolve({ path: `content/notes/note_${i}.md`, body: body(i) });
      }
    }
    await writeToBuffer({ entries: entries() });
    assert.deepEqual(events, [
      'pull 0',
      'open 0',
      'end 0',
      'pull 1',
      'open 1',
      'end 1',
      'pull 2',
      'open 2',
      'end 2',
    ]);
  });

  it('respects backpressure: a slow consumer does not let the writer run ahead', async () => {
    const chunk = randomBytes(1024 * 1024);
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 48; i++) {
        produced += chunk.length;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield await Promise.resolve(chunk);
      }
    }
    const { stream, result } = writeChatbook({
      manifest: { name: 'slow' },
      version: '1.1.0',
      entries: fromArray([{ path: 'content/media/files/media_1/file_1.mp4', body: body() }]),
    });
    for await (const piece of stream as AsyncIterable<Buffer>) {
      consumed += piece.length;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.equal((await result).uncompressedBytes > 48 * chunk.length, true);
    assert.ok(maxAhead <= 12 * 1024 * 1024, `writer ran ${maxAhead} bytes ahead`);
  });

  it('destroys the stream and rejects the result when a body fails', async () => {
    const failure = new Error('source went away');
    async function* body(): AsyncGenerator<Buffer> {
      yield await Promise.resolve(Buffer.from('partial'));
      throw failure;
    }
    for (const path of ['content/notes/note_1.md', 'content/media/files/media_1/file_1.mp4']) {
      const { stream, result } = writeChatbook({
        manifest: {},
        version: '1.1.0',
        entries: fromArray([{ path, body: body() }]),
      });
      await assert.rejects(collect(stream), (error) => error === failure);
      await assert.rejects(result, (error) => error === failure);
    }
  });

  it('rejects unsafe and duplicate paths with a DomainError code', async () => {
    const unsafe = [
      '/etc/passwd',
      '../up.json',
      'content/../x.md',
      'a\\b.md',
      'nul\0.md',
      '',
      'a//b.md',
      'dir/',
      'C:/x.md',
    ];
    for (const path of unsafe) {
      const { stream, result } = writeChatbook({
        manifest: {},
        version: '1.0.0',
        entries: fromArray([{ path, body: 'x' }]),
      });
      stream.on('error', () => undefined).resume();
      await assert.rejects(
        result,
        (error) => error instanceof DomainError && error.code === 'unsafe_path',
        path,
      );
    }
    for (const entries of [
      [
        { path: 'content/notes/note_1.md', body: 'a' },
        { path: 'content/notes/note_1.md', body: 'b' },
      ],
      [{ path: 'manifest.json', body: '{}' }],
      [{ path: 'README.md', body: 'mine' }],
    ]) {
      const { stream, result } = writeChatbook({
        manifest: {},
        version: '1.0.0',
        entries: fromArray(entries),
      });
      stream.on('error', () => undefined).resume();
      await assert.rejects(
        result,
        (error) => error instanceof DomainError && error.code === 'duplicate_path',
      );
    }
  });

  it('rejects the result when the consumer destroys the stream early', async () => {
    async function* endless(): AsyncGenerator<Buffer> {
      const chunk = randomBytes(1024 * 1024);
      for (;;) yield await Promise.resolve(chunk);
    }
    const { stream, result } = writeChatbook({
      manifest: {},
      version: '1.0.0',
      entries: fromArray([{ path: 'content/media/files/media_1/file_1.mp4', body: endless() }]),
    });
    stream.once('data', () => {
      (stream as unknown as { destroy: () => void }).destroy();
    });
    await assert.rejects(result);
  });

  it(
    'produces an archive that Info-ZIP `unzip -t` accepts',
    { skip: !existsSync('/usr/bin/unzip') },
    async () => {
      const { entries } = mixedEntries();
      const { archive } = await writeToBuffer({ entries: fromArray(entries) });
      const dir = await mkdtemp(join(tmpdir(), 'chatbook-writer-'));
      try {
        await writeFile(join(dir, 'book.zip'), archive);
        const run = spawnSync('/usr/bin/unzip', ['-tq', join(dir, 'book.zip')], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stdout + run.stderr);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
