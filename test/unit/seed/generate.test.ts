import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32, inflateSync } from 'node:zlib';
import { CONTENT_TYPES, type ContentType } from '../../../shared/chatbook/layout';
import { ITEM_SCHEMAS, type ItemByType } from '../../../shared/chatbook/schema/items';
import { decodeBase64Vector } from '../../../shared/chatbook/schema/embedding';
import { PNG_SIGNATURE } from '../../../scripts/seed/binary';
import {
  describeFile,
  generateSeed,
  planSeed,
  SEED_COUNTS,
  type SeedItem,
  type StoredFileInfo,
} from '../../../scripts/seed/generate';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const TWO_YEARS = 2 * 366 * 86_400_000;

interface Generated {
  item: SeedItem;
  stored: StoredFileInfo[];
  bodies: Buffer[];
  content: ItemByType[ContentType];
}

function generate(seed = 'test'): Generated[] {
  return [...generateSeed('small', { seed, now: NOW })].map((item) => {
    const bodies = item.files.map((file) => file.body());
    const stored = bodies.map((body, i) => ({
      fileId: item.files[i]!.fileId,
      sha256: createHash('sha256').update(body).digest('hex'),
      sizeBytes: body.length,
    }));
    return { item, stored, bodies, content: item.content(stored) };
  });
}

const small = generate();

function ofType<T extends ContentType>(
  type: T,
): { item: SeedItem; content: ItemByType[T]; bodies: Buffer[] }[] {
  return small.filter((g) => g.item.type === type) as unknown as {
    item: SeedItem;
    content: ItemByType[T];
    bodies: Buffer[];
  }[];
}

/** Walks a PNG's chunks, checking each CRC; returns the chunks. */
function pngChunks(bytes: Buffer): { type: string; data: Buffer }[] {
  assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE, 'PNG signature');
  const chunks: { type: string; data: Buffer }[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    assert.equal(
      bytes.readUInt32BE(offset + 8 + length),
      crc32(bytes.subarray(offset + 4, offset + 8 + length)),
      `CRC of ${type}`,
    );
    chunks.push({ type, data });
    offset += 12 + length;
  }
  assert.equal(offset, bytes.length, 'chunks end exactly at the end of the file');
  return chunks;
}

describe('seed generator', () => {
  it('gives the same items, content and bytes for the same seed, and different content for another', () => {
    const again = generate();
    assert.deepEqual(
      again.map((g) => [g.item.type, g.item.id, g.item.createdAt, g.item.updatedAt, g.content, g.stored]),
      small.map((g) => [g.item.type, g.item.id, g.item.createdAt, g.item.updatedAt, g.content, g.stored]),
    );
    const other = generate('another seed');
    assert.deepEqual(
      other.map((g) => g.item.id),
      small.map((g) => g.item.id),
      'ids depend on the index only',
    );
    assert.notDeepEqual(
      other.map((g) => g.content),
      small.map((g) => g.content),
    );
    assert.notEqual(
      other.find((g) => g.item.type === 'media')?.stored[0]?.sha256,
      small[0]?.stored[0]?.sha256,
    );
  });

  it('seeds every type in the small size, each item valid for its schema and shaped like a library item', () => {
    for (const type of CONTENT_TYPES) {
      const count = ofType(type).length;
      assert.equal(count, SEED_COUNTS.small[type], type);
      assert.ok(count >= 5 && count <= 15, `${type}: ${count}`);
    }
    const ids = new Set<string>();
    for (const { item, content } of small) {
      const key = `${item.type}/${item.id}`;
      assert.ok(!ids.has(key), `duplicate ${key}`);
      ids.add(key);
      assert.deepEqual(
        ITEM_SCHEMAS[item.type].parse(content),
        content,
        `${key} is its schema's parse result`,
      );
      assert.equal((content as { id?: string }).id, item.id, `${key}: content.id is the item id`);
      const created = Date.parse(item.createdAt);
      const updated = Date.parse(item.updatedAt);
      assert.equal(new Date(created).toISOString(), item.createdAt);
      assert.equal(new Date(updated).toISOString(), item.updatedAt);
      assert.ok(
        created <= updated && updated <= NOW.getTime(),
        `${key}: ${item.createdAt} .. ${item.updatedAt}`,
      );
      assert.ok(created >= NOW.getTime() - TWO_YEARS, `${key} created within two years`);
      for (const file of item.files) assert.match(file.fileId, /^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
    }
    const times = small.map((g) => Date.parse(g.item.updatedAt));
    assert.ok(
      Math.max(...times) - Math.min(...times) > 365 * 86_400_000,
      'updates spread over more than a year',
    );
  });

  it('makes files of exactly their planned size, with valid PNGs', () => {
    let pngs = 0;
    for (const { item, bodies } of small) {
      item.files.forEach((file, i) => {
        const body = bodies[i]!;
        assert.equal(body.length, file.sizeBytes, file.fileId);
        if (file.mimeType === 'image/png') {
          pngs++;
          const chunks = pngChunks(body);
          assert.deepEqual(
            chunks.map((c) => c.type),
            ['IHDR', 'IDAT', 'tEXt', 'IEND'],
          );
          const ihdr = chunks[0]!.data;
          const [width, height] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)];
          assert.ok(width >= 100 && height >= 75, `${width}x${height}`);
          assert.deepEqual([...ihdr.subarray(8)], [8, 2, 0, 0, 0], 'RGB, 8 bits, no interlace');
          assert.equal(inflateSync(chunks[1]!.data).length, (width * 3 + 1) * height);
          assert.ok(chunks[1]!.data.length > width * height * 3 * 0.9, 'noisy pixels barely compress');
        }
        if (file.mimeType === 'application/pdf') {
          assert.equal(body.toString('latin1', 0, 8), '%PDF-1.4');
          assert.match(body.toString('latin1', body.length - 40), /startxref\n\d+\n%%EOF\n$/);
        }
        if (file.mimeType === 'audio/mpeg') assert.equal(body.toString('latin1', 0, 3), 'ID3');
        if (file.mimeType === 'video/mp4') assert.equal(body.toString('latin1', 4, 8), 'ftyp');
        if (file.mimeType === 'image/jpeg') assert.deepEqual([...body.subarray(0, 3)], [0xff, 0xd8, 0xff]);
      });
    }
    assert.ok(pngs >= 5, `${pngs} PNGs`);
    const plan = planSeed('small', { seed: 'test', now: NOW });
    assert.equal(plan.items, small.length);
    assert.equal(
      plan.fileBytes,
      small.reduce((sum, g) => sum + g.bodies.reduce((s, b) => s + b.length, 0), 0),
    );
    assert.ok(plan.mediaBytes >= 5e6 && plan.mediaBytes <= 10.5e6, `${plan.mediaBytes} media bytes`);
  });

  it('builds conversations as trees with branches, images, citations and characters', () => {
    const conversations = ofType('conversation');
    let branched = 0;
    let cited = 0;
    let withImages = 0;
    const roles = new Set<string>();
    const characters = new Set(ofType('character').map((g) => g.item.id));
    const chunks = new Map(
      ofType('media').map(({ content }) => [content.id, new Set(content.chunks.map((c) => c.id))]),
    );
    for (const { item, content } of conversations) {
      const ids = new Set(content.messages.map((m) => m.id));
      const children = new Map<string, number>();
      for (const message of content.messages) {
        roles.add(message.role);
        if (message.parent_id) {
          assert.ok(ids.has(message.parent_id), `${String(message.id)}: parent in the conversation`);
          children.set(message.parent_id, (children.get(message.parent_id) ?? 0) + 1);
        }
        for (const citation of message.citations ?? []) {
          cited++;
          assert.ok(chunks.get(String(citation.chunk_id).replace(/-c\d+$/, ''))?.has(citation.chunk_id));
          assert.ok(citation.title && citation.excerpt && citation.url && typeof citation.score === 'number');
        }
        for (const attachment of message.attachments ?? []) {
          withImages++;
          const fileId = (attachment as { file_id?: string }).file_id;
          assert.ok(item.files.some((f) => f.fileId === fileId && f.mimeType === attachment.mime_type));
          assert.ok(fileId?.startsWith(`${String(message.id)}_image_`));
        }
      }
      if ([...children.values()].some((n) => n > 1)) branched++;
      if (content.character_id) assert.ok(characters.has(content.character_id), content.character_id);
    }
    assert.deepEqual([...roles].sort(), ['assistant', 'system', 'user']);
    assert.ok(branched >= conversations.length / 2, `${branched} conversations branch`);
    assert.ok(cited > 0, 'some answers cite sources');
    assert.ok(withImages >= 3, `${withImages} images`);
    assert.ok(conversations.filter((g) => g.content.character_id).length >= conversations.length / 3);
    const jpeg = conversations.flatMap((g) => g.item.files).find((f) => f.mimeType === 'image/jpeg');
    assert.match(jpeg?.fileId ?? '', /_image_1\.jpg$/);
  });

  it('links documents, embeddings and media artifacts to what exists', () => {
    const conversations = new Set(ofType('conversation').map((g) => g.item.id));
    for (const { content } of ofType('generated_document')) {
      assert.ok(conversations.has(String(content.conversation_id)), String(content.conversation_id));
      assert.ok(content.content.length > 100 && content.provider && content.model);
    }
    const media = new Map(ofType('media').map((g) => [g.item.id, g]));
    for (const { item, content } of ofType('embedding')) {
      const record = content as { source: { media_id: string }; vector: string; dimensions: number };
      assert.ok(media.has(record.source.media_id));
      assert.equal(item.id, `media:${record.source.media_id}`);
      const vector = decodeBase64Vector(record.vector)!;
      assert.equal(vector.length, record.dimensions);
      assert.ok(record.dimensions >= 384 && record.dimensions <= 1536);
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-3, 'unit vector');
    }
    for (const { item, content, bodies } of media.values()) {
      assert.deepEqual(
        content.stored_artifacts.map((a) => [a.id, a.original_filename, a.file_size, a.mime_type]),
        item.files.map((f) => [f.fileId, f.name, f.sizeBytes, f.mimeType]),
      );
      content.stored_artifacts.forEach((artifact, i) => {
        assert.equal(artifact.checksum, createHash('sha256').update(bodies[i]!).digest('hex'));
      });
      assert.ok(content.chunks.length >= 3);
      for (const chunk of content.chunks) {
        assert.equal(String(content.content).slice(chunk.start_char!, chunk.end_char!), chunk.text);
      }
      if (content.type === 'video' || content.type === 'audio')
        assert.ok(content.transcripts[0]?.whisper_model);
    }
    assert.deepEqual([...new Set([...media.values()].map((g) => g.content.type))].sort(), [
      'audio',
      'document',
      'image',
      'video',
    ]);
    for (const { content } of ofType('evaluation')) {
      assert.ok(content.runs.length >= 20);
      assert.equal(new Set(content.runs.map((run) => run.id)).size, content.runs.length);
    }
  });

  it('plans the large size at ≥ 10,000 items and ≥ 500 MB of media without making any bytes', () => {
    const started = Date.now();
    let bodies = 0;
    let items = 0;
    let mediaBytes = 0;
    for (const item of generateSeed('large', { now: NOW })) {
      items++;
      for (const file of item.files) {
        const original = file.body.bind(file);
        file.body = () => {
          bodies++;
          return original();
        };
        if (item.type === 'media') mediaBytes += file.sizeBytes;
      }
    }
    assert.equal(bodies, 0);
    const plan = planSeed('large', { now: NOW });
    assert.equal(plan.items, items);
    assert.equal(plan.mediaBytes, mediaBytes);
    assert.ok(plan.items >= 10_000, `${plan.items} items`);
    assert.ok(plan.mediaBytes >= 500 * 1024 * 1024, `${plan.mediaBytes} media bytes`);
    for (const type of CONTENT_TYPES) assert.ok(plan.counts[type] >= 100, type);
    assert.ok(Date.now() - started < 15_000, 'planning is cheap');
    const videos = [...generateSeed('large', { now: NOW })]
      .filter((item) => item.type === 'media')
      .slice(0, 6);
    for (const { files } of videos) {
      assert.equal(files[0]!.mimeType, 'video/mp4');
      assert.equal(describeFile(files[0]!).sizeBytes, files[0]!.sizeBytes);
      assert.ok(files[0]!.sizeBytes >= 1024 * 1024 && files[0]!.sizeBytes <= 8 * 1024 * 1024);
    }
  });
});
