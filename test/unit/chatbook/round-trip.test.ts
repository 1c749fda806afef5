// The format core end to end: items encoded by the codec, written by the streaming writer, validated and read
// back by the reader, decoded again. Every item, every byte and the manifest must survive.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { decodeItem, encodeItem } from '../../../shared/chatbook/codec';
import { CONTENT_TYPES, mediaFilePath, type ContentType } from '../../../shared/chatbook/layout';
import { BufferSource, openChatbook } from '../../../shared/chatbook/reader';
import { buildManifest, type ManifestVersion } from '../../../shared/chatbook/schema/manifest';
import { itemIdOf } from '../../../shared/chatbook/schema/items';
import { writeChatbook, type ChatbookEntry } from '../../../shared/chatbook/writer';
import { SAMPLES } from '../../support/chatbook-samples';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const photo = randomBytes(300_000);
const transcript = Buffer.from('word '.repeat(20_000));
const blobs: Record<string, Buffer> = {
  [mediaFilePath('m1', 'f1', '.png')]: photo,
  [mediaFilePath('m1', 'f2', '.txt')]: transcript,
};

async function roundTrip(version: ManifestVersion) {
  const encoded = CONTENT_TYPES.map((type) => ({
    type,
    id: itemIdOf(type, SAMPLES[type])!,
    ...encodeItem(type, SAMPLES[type]),
  }));
  const manifest = buildManifest(
    {
      name: 'Round trip',
      description: 'Every type',
      content_items: encoded.map(({ type, id, path }) => ({
        id,
        type,
        title: `${type} ${id}`,
        file_path: path,
      })),
      metadata: { tags: ['t'], categories: [], chatbooks_cloud: { exported_by: 'test' } },
    },
    version,
  );
  const list: ChatbookEntry[] = [
    ...encoded.map((item) => ({ path: item.path, body: item.body, contentItemIds: [item.id] })),
    ...Object.entries(blobs).map(([path, body]) => ({ path, body })),
  ];
  const { stream, result } = writeChatbook({ manifest, version, entries: Readable.from(list) });
  const bytes = await collect(stream);
  const written = await result;
  return { encoded, bytes, written };
}

describe('write then read', () => {
  for (const version of ['1.1.0', '1.0.0'] as const) {
    it(`gives back every item, every byte and the manifest (${version})`, async () => {
      const { encoded, bytes, written } = await roundTrip(version);
      assert.equal(written.archiveBytes, bytes.length);
      assert.equal(written.archiveSha256, createHash('sha256').update(bytes).digest('hex'));

      const archive = await openChatbook(new BufferSource(bytes));
      assert.equal(archive.version, version);
      assert.deepEqual(archive.warnings, []);
      assert.equal(archive.manifest.name, 'Round trip');
      assert.deepEqual(archive.manifest.metadata.chatbooks_cloud, { exported_by: 'test' });
      if (version === '1.1.0') {
        // README, ten items and two blobs, each checked against its SHA-256 in the inventory.
        assert.equal(archive.integrity.inventoryVerifiedFiles, 13);
      } else {
        assert.equal(archive.manifest.file_inventory, undefined);
      }

      const seen = new Set<ContentType>();
      for await (const item of archive.items()) {
        const type = item.ref.type as ContentType;
        const source = encoded.find((e) => e.type === type)!;
        assert.equal(item.path, source.path);
        assert.equal(item.bytes.toString('utf8'), source.body, `${type} bytes`);
        const back = decodeItem(type, item.bytes, { id: item.ref.id, path: item.path });
        if (!back.ok) assert.fail(`${type}: ${back.message}`);
        assert.deepEqual(back.item, SAMPLES[type], `${type} item`);
        seen.add(type);
      }
      assert.deepEqual([...seen].sort(), [...CONTENT_TYPES].sort());
      for (const [path, body] of Object.entries(blobs))
        assert.ok((await archive.readEntry(path)).equals(body), path);
      await archive.close();
    });
  }
});
