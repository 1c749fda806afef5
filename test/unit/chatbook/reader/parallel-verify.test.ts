// The validation pass with a worker thread (inflateWorker: true) must accept, keep and reject exactly as the
// inline pass does: same items and counts, same rejection codes and entry indexes, same precedence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isArchiveRejection } from '../../../../shared/chatbook/reader';
import type { ArchiveRejectionCode, OpenChatbookOptions } from '../../../../shared/chatbook/reader';
import { assertRejected, open } from './helpers';
import { chatbookEntries, forgeZip, inventoryRecord, sha256Hex, tldwManifest } from './zip-forge';
import type { ChatbookFile, ForgeEntry } from './zip-forge';

/** The worker with its work handed over before the manifest is parsed, the worker after it, and no worker. */
const MODES: readonly (OpenChatbookOptions & { name: string })[] = [
  { name: 'worker', inflateWorker: true },
  { name: 'worker after the manifest', inflateWorker: true, workerPrefetchBytes: 0 },
  { name: 'inline', inflateWorker: false },
];

const WORDS =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa'.split(
    ' ',
  );

/** 900 notes of varied sizes (some empty, some past the 8 KiB slab limit), half of them stored. */
function noteFiles(count = 900): ChatbookFile[] {
  const files: ChatbookFile[] = [];
  for (let i = 0; i < count; i++) {
    const size = i % 97 === 0 ? 20_000 + i : i % 11 === 0 ? 0 : 200 + ((i * 131) % 3_000);
    // Words picked by a multiplicative hash: compressible like text, far from the 100:1 zip-bomb ratio.
    let text = `note ${i}\n`;
    for (let w = 0; text.length < size; w++)
      text += `${WORDS[Math.imul(w + i * 7_919, 2_654_435_761) >>> 28]} `;
    files.push({ path: `content/notes/note_${i}.md`, data: Buffer.from(text.slice(0, size)) });
  }
  return files;
}

function notesManifest(version: '1.0.0' | '1.1.0', files: readonly ChatbookFile[]): Record<string, unknown> {
  const items = files.map((file, i) => ({ id: String(i), type: 'note', file_path: file.path }));
  return tldwManifest(version, items, files);
}

/** The chatbook's forge entries; `change(i)` alters file i's entry (entry i + 1: the manifest comes first). */
function notesZip(
  files: readonly ChatbookFile[],
  manifest: unknown,
  change: (index: number, entry: ForgeEntry) => ForgeEntry = (_, entry) => entry,
): Buffer {
  const [manifestEntry, ...rest] = chatbookEntries(manifest, files);
  const entries = rest.map((entry, i) => change(i, i % 2 === 0 ? { ...entry, method: 0 } : entry));
  return forgeZip([manifestEntry!, ...entries]);
}

/** Small windows, so that the pass spans many reads and many worker jobs. */
const SMALL_WINDOWS: OpenChatbookOptions = { readAheadBytes: 64 * 1024 };

async function rejection(
  zip: Buffer,
  options: OpenChatbookOptions,
): Promise<{ code: string; details: unknown }> {
  try {
    await open(zip, options);
  } catch (error) {
    assert.ok(isArchiveRejection(error), `expected an archive rejection, got ${String(error)}`);
    return { code: error.code, details: error.details };
  }
  assert.fail('the archive was accepted');
}

/** Every pass rejects with `code`, the same details, and (when given) at entry `entryIndex`. */
async function assertBothReject(
  zip: Buffer,
  code: ArchiveRejectionCode,
  entryIndex?: number,
  options: OpenChatbookOptions = {},
): Promise<void> {
  const answers = [];
  for (const { name: _name, ...mode } of MODES) {
    await assertRejected(zip, code, { ...SMALL_WINDOWS, ...options, ...mode });
    answers.push(await rejection(zip, { ...SMALL_WINDOWS, ...options, ...mode }));
  }
  for (const answer of answers.slice(1))
    assert.deepEqual(answer, answers[0], 'the worker and the inline pass answer alike');
  if (entryIndex !== undefined)
    assert.equal((answers[0]!.details as { entryIndex?: number }).entryIndex, entryIndex);
}

describe('validation on a worker thread', () => {
  it('gives the same items, counts and verified digests as the inline pass, whatever the cache budget', async () => {
    const files = noteFiles();
    const zip = notesZip(files, notesManifest('1.1.0', files));
    for (const mode of MODES) {
      for (const itemCacheBytes of [undefined, 0, 100_000]) {
        const label = `${mode.name}, cache ${itemCacheBytes}`;
        const archive = await open(zip, {
          ...SMALL_WINDOWS,
          itemCacheBytes,
          inflateWorker: mode.inflateWorker,
        });
        assert.equal(archive.integrity.verifiedFiles, files.length + 1, label);
        assert.equal(archive.integrity.inventoryVerifiedFiles, files.length, label);
        let index = 0;
        for await (const item of archive.items()) {
          assert.equal(item.path, files[index]!.path, label);
          assert.ok(item.bytes.equals(files[index]!.data), `${label}: item ${index}`);
          index++;
        }
        assert.equal(index, files.length, label);
      }
    }
  });

  it('rejects a CRC that lies, at that entry', async () => {
    const files = noteFiles();
    const zip = notesZip(files, notesManifest('1.0.0', files), (i, entry) =>
      i === 500 ? { ...entry, central: { crc32: 1234 }, local: { crc32: 1234 } } : entry,
    );
    await assertBothReject(zip, 'crc_mismatch', 501);
  });

  it('rejects data longer or shorter than declared', async () => {
    const files = noteFiles();
    const declared = (size: number) => (i: number, entry: ForgeEntry) =>
      i === 301
        ? { ...entry, central: { uncompressedSize: size }, local: { uncompressedSize: size } }
        : entry;
    const length = files[301]!.data.length;
    await assertBothReject(
      notesZip(files, notesManifest('1.0.0', files), declared(length - 10)),
      'size_mismatch',
      302,
    );
    await assertBothReject(
      notesZip(files, notesManifest('1.0.0', files), declared(length + 10)),
      'size_mismatch',
      302,
    );
  });

  it('rejects deflate data that cannot be inflated', async () => {
    const files = noteFiles();
    const zip = notesZip(files, notesManifest('1.0.0', files), (i, entry) =>
      i === 777 ? { ...entry, method: 8, compressed: Buffer.alloc(64, 0xff) } : entry,
    );
    await assertBothReject(zip, 'crc_mismatch', 778);
  });

  it('names the first damaged entry in file order when several are', async () => {
    const files = noteFiles();
    const zip = notesZip(files, notesManifest('1.0.0', files), (i, entry) =>
      i === 40 || i === 850 ? { ...entry, central: { crc32: 99 }, local: { crc32: 99 } } : entry,
    );
    await assertBothReject(zip, 'crc_mismatch', 41);
  });

  it('catches an inventory digest that lies', async () => {
    const files = noteFiles();
    const manifest = notesManifest('1.1.0', files);
    const inventory = manifest.file_inventory as Record<string, unknown>[];
    inventory[640] = inventoryRecord(files[640]!, { sha256: sha256Hex(Buffer.from('something else')) });
    await assertBothReject(notesZip(files, manifest), 'inventory_mismatch', 641);
  });

  it('checks a digest the worker was not asked for (an inventory key spelled with escapes)', async () => {
    const files = noteFiles(2_100);
    const manifest = notesManifest('1.1.0', files);
    const inventory = manifest.file_inventory as Record<string, unknown>[];
    inventory[1_500] = inventoryRecord(files[1_500]!, { sha256: sha256Hex(Buffer.from('not it')) });
    // "file\u005finventory" parses to file_inventory, though the text never spells the key out.
    const text = JSON.stringify(manifest).replace('"file_inventory"', '"file\\u005finventory"');
    const [, ...rest] = chatbookEntries(manifest, files);
    const zip = forgeZip([{ name: 'manifest.json', data: Buffer.from(text), method: 0 }, ...rest]);
    // Kept from validation (hashed then), and not kept (inflated again to be hashed).
    for (const itemCacheBytes of [undefined, 0])
      await assertBothReject(zip, 'inventory_mismatch', 1_501, { itemCacheBytes });
  });

  it('still reports the manifest first when item data is damaged too', async () => {
    const files = noteFiles();
    const manifest = notesManifest('1.0.0', files);
    (manifest.content_items as Record<string, unknown>[]).push({
      id: 'x',
      type: 'note',
      title: 'gone',
      file_path: 'content/notes/missing.md',
    });
    const damaged = notesZip(files, manifest, (i, entry) =>
      i === 3 ? { ...entry, central: { crc32: 5 }, local: { crc32: 5 } } : entry,
    );
    await assertBothReject(damaged, 'missing_item_file');
    const badHeader = notesZip(files, { version: '1.0.0' }, (i, entry) =>
      i === 3 ? { ...entry, local: { method: entry.method === 0 ? 8 : 0 } } : entry,
    );
    await assertBothReject(badHeader, 'manifest_invalid');
  });
});
