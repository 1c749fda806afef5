// Manifest, item-file and inventory rules; items(), openEntry(), readEntry(); a real Info-ZIP archive.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openFileSource, openChatbook } from '../../../../shared/chatbook/reader';
import { assertRejected, open } from './helpers';
import {
  SAMPLE_ITEMS,
  chatbookEntries,
  forgeZip,
  inventoryRecord,
  sampleChatbook,
  sampleChatbookFiles,
  sha256Hex,
  tldwManifest,
} from './zip-forge';
import type { ChatbookFile } from './zip-forge';

const files = sampleChatbookFiles();

function chatbook(manifest: unknown, contents: readonly ChatbookFile[] = files): Buffer {
  return forgeZip(chatbookEntries(manifest, contents));
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('good chatbooks', () => {
  it('a tldw-shaped 1.0.0 chatbook: items in manifest order, fallback path for file_path null', async () => {
    const archive = await open(sampleChatbook('1.0.0'));
    assert.equal(archive.version, '1.0.0');
    assert.equal(archive.integrity.verifiedFiles, 4);
    const items = [];
    for await (const item of archive.items()) items.push(item);
    assert.deepEqual(
      items.map((item) => [item.ref.id, item.path]),
      [
        ['42', 'content/notes/note_42.md'],
        ['7', 'content/conversations/conversation_7.json'],
      ],
    );
    assert.deepEqual(items[0]!.bytes, files[1]!.data);
    assert.deepEqual(items[1]!.bytes, files[2]!.data);
    // A second pass inflates again (the cache hands each file out once).
    let again = 0;
    for await (const item of archive.items()) again += item.bytes.length;
    assert.equal(again, files[1]!.data.length + files[2]!.data.length);
  });

  it('a tldw-shaped 1.1.0 chatbook: every inventory digest verified', async () => {
    const archive = await open(sampleChatbook('1.1.0'));
    assert.equal(archive.version, '1.1.0');
    assert.equal(archive.integrity.inventoryVerifiedFiles, 3);
  });

  it('openEntry streams and CRC-checks one file; readEntry reads it; unknown paths are not found', async () => {
    const media = Buffer.alloc(3_000_000);
    for (let i = 0; i < media.length; i++) media[i] = (i * 2654435761) >>> 24;
    const withMedia = [...files, { path: 'content/media/files/media_1/file_1.mp4', data: media }];
    const archive = await open(chatbook(tldwManifest('1.0.0', SAMPLE_ITEMS), withMedia), {
      readAheadBytes: 256 * 1024,
    });
    assert.deepEqual(await collect(archive.openEntry('content/media/files/media_1/file_1.mp4')), media);
    assert.deepEqual(await archive.readEntry('README.md'), files[0]!.data);
    assert.throws(() => archive.openEntry('nope.txt'), { code: 'entry_not_found' });
  });

  it('items() gives the same bytes whether kept from validation or read again (stored, deflated, non-ASCII)', async () => {
    const many: ChatbookFile[] = [];
    const items: { id: string; type: string; file_path: string }[] = [];
    for (let i = 0; i < 300; i++) {
      const path = i % 3 === 0 ? `content/notes/nöte_${i}.md` : `content/notes/note_${i}.md`;
      // Sizes around the shared-slab limits (8 KiB, 64 KiB), some empty.
      const size = i % 50 === 0 ? 70_000 + i : i % 7 === 0 ? 0 : (i * 97) % 9_000;
      const data = Buffer.alloc(size);
      for (let b = 0; b < size; b++) data[b] = Math.imul(b + i * 65_537, 2_654_435_761) >>> 24;
      many.push({ path, data });
      items.push({ id: String(i), type: 'note', file_path: path });
    }
    const entries = chatbookEntries(tldwManifest('1.1.0', items, many), many).map((entry, index) =>
      index % 2 === 0 ? { ...entry, method: 0 } : entry,
    );
    const zip = forgeZip(entries);
    for (const itemCacheBytes of [undefined, 0, 200_000]) {
      const archive = await open(zip, { itemCacheBytes, readAheadBytes: 64 * 1024 });
      assert.equal(archive.integrity.inventoryVerifiedFiles, many.length);
      let index = 0;
      for await (const item of archive.items()) {
        assert.equal(item.path, many[index]!.path);
        assert.deepEqual(item.bytes, many[index]!.data, `item ${index} (cache ${itemCacheBytes})`);
        index++;
      }
      assert.equal(index, many.length);
    }
  });

  it('an unbundled item without a file is skipped with a warning', async () => {
    const manifest = tldwManifest('1.0.0', [
      ...SAMPLE_ITEMS,
      { id: '9', type: 'embedding', file_path: null, metadata: { bundled: false } },
    ]);
    const archive = await open(chatbook(manifest));
    let count = 0;
    for await (const _item of archive.items()) count++;
    assert.equal(count, 2);
    assert.ok(archive.warnings.some((warning) => warning.includes('not bundled')));
  });

  it('an archive written by Info-ZIP zip', { skip: !existsSync('/usr/bin/zip') }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatbook-infozip-'));
    try {
      const tree = join(dir, 'tree');
      const allFiles = [
        ...files,
        { path: 'etc/bin/usr/note.txt', data: Buffer.from('folders with scary names') },
        { path: 'content/media/files/media_1/file_1.bin', data: randomBytes(200_000) },
      ];
      for (const file of allFiles) {
        await mkdir(dirname(join(tree, file.path)), { recursive: true });
        await writeFile(join(tree, file.path), file.data);
      }
      await writeFile(
        join(tree, 'manifest.json'),
        JSON.stringify(tldwManifest('1.1.0', SAMPLE_ITEMS, allFiles)),
      );
      const zipPath = join(dir, 'book.zip');
      const result = spawnSync('zip', ['-r', '-q', '-6', zipPath, '.'], { cwd: tree });
      assert.equal(result.status, 0, result.stderr.toString());
      const archive = await openChatbook(await openFileSource(zipPath));
      assert.equal(archive.integrity.inventoryVerifiedFiles, allFiles.length);
      assert.ok(archive.entries.some((entry) => entry.isDirectory && entry.name === 'etc/'));
      await archive.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('manifest rules', () => {
  it('manifest_missing', async () => {
    await assertRejected(forgeZip([{ name: 'README.md', data: 'no manifest' }]), 'manifest_missing');
    await assertRejected(forgeZip([{ name: 'sub/manifest.json', data: '{}' }]), 'manifest_missing');
  });

  it('manifest_too_large', async () => {
    await assertRejected(sampleChatbook(), 'manifest_too_large', { limits: { maxManifestBytes: 100 } });
  });

  it('manifest_invalid: not JSON, not UTF-8, not an object, missing name', async () => {
    await assertRejected(
      forgeZip([{ name: 'manifest.json', data: '{"version": "1.0.0", ' }]),
      'manifest_invalid',
    );
    await assertRejected(
      forgeZip([{ name: 'manifest.json', data: Buffer.from([0x7b, 0xff, 0x7d]) }]),
      'manifest_invalid',
    );
    await assertRejected(forgeZip([{ name: 'manifest.json', data: '[1, 2]' }]), 'manifest_invalid');
    await assertRejected(
      forgeZip([{ name: 'manifest.json', data: '{"version": "1.0.0", "description": ""}' }]),
      'manifest_invalid',
    );
  });

  it('unsupported_version', async () => {
    const manifest = { ...tldwManifest('1.0.0', []), version: '2.0.0' };
    await assertRejected(chatbook(manifest, []), 'unsupported_version');
  });
});

describe('item files', () => {
  it('missing_item_file: an explicit file_path that names nothing', async () => {
    const manifest = tldwManifest('1.0.0', [
      { id: '1', type: 'note', file_path: 'content/notes/note_404.md' },
    ]);
    await assertRejected(chatbook(manifest), 'missing_item_file', { hostile: ['note_404'] });
  });

  it('missing_item_file: file_path null and the tldw fallback path is absent', async () => {
    const manifest = tldwManifest('1.0.0', [{ id: '5', type: 'character', file_path: null }]);
    await assertRejected(chatbook(manifest), 'missing_item_file');
  });

  it('unsafe_path: a file_path or fallback id that leaves the archive', async () => {
    for (const filePath of [
      '../../etc/passwd',
      '/etc/passwd',
      'C:\\Windows\\win.ini',
      'content\\notes\\x.md',
    ]) {
      const manifest = tldwManifest('1.0.0', [{ id: '1', type: 'note', file_path: filePath }]);
      await assertRejected(chatbook(manifest), 'unsafe_path', { hostile: [filePath] });
    }
    const manifest = tldwManifest('1.0.0', [{ id: '/../../x', type: 'note', file_path: null }]);
    await assertRejected(chatbook(manifest), 'unsafe_path');
  });
});

describe('v1.1 file_inventory', () => {
  it('inventory_mismatch: a lying sha256', async () => {
    const inventory = files.map((file, i) =>
      inventoryRecord(file, i === 1 ? { sha256: sha256Hex(Buffer.from('other')) } : {}),
    );
    const manifest = { ...tldwManifest('1.1.0', SAMPLE_ITEMS, files), file_inventory: inventory };
    await assertRejected(chatbook(manifest), 'inventory_mismatch');
  });

  it('inventory_mismatch: a lying size', async () => {
    const inventory = files.map((file, i) =>
      inventoryRecord(file, i === 2 ? { size: file.data.length + 1 } : {}),
    );
    await assertRejected(
      chatbook({ ...tldwManifest('1.1.0', SAMPLE_ITEMS, files), file_inventory: inventory }),
      'inventory_mismatch',
    );
  });

  it('inventory_mismatch: a record for a file that is not there, or outside', async () => {
    for (const path of ['content/notes/ghost.md', '../outside.md']) {
      const inventory = [
        ...files.map((file) => inventoryRecord(file)),
        inventoryRecord({ path, data: Buffer.from('x') }),
      ];
      await assertRejected(
        chatbook({ ...tldwManifest('1.1.0', SAMPLE_ITEMS, files), file_inventory: inventory }),
        'inventory_mismatch',
        {
          hostile: [path],
        },
      );
    }
  });
});
