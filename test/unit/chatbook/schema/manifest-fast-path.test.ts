import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contentItemRefSchema,
  fileInventoryEntrySchema,
  parseManifest,
} from '../../../../shared/chatbook/schema/manifest';
import { fastContentItem, fastInventoryEntry } from '../../../../shared/chatbook/schema/manifest-fast-path';

const digest = `sha256:${'ab'.repeat(32)}`;

const canonicalItems: unknown[] = [
  {
    id: '42',
    type: 'note',
    title: 'RAG notes',
    description: null,
    created_at: null,
    updated_at: null,
    tags: [],
    metadata: {},
    file_path: 'content/notes/note_42.md',
    checksum: null,
  },
  {
    id: 'c1',
    type: 'conversation',
    title: 'T',
    description: 'd',
    created_at: '2025-01-01T00:00:00Z',
    updated_at: 1700000000,
    tags: ['a', 'b'],
    metadata: { nested: { x: 1 } },
    file_path: null,
    checksum: digest,
    extra: [1, 2],
  },
  { id: 'x', type: 'explainer_session', title: '' },
  { extra_first: true, id: 'm', type: 'media', title: 'M', tags: null, metadata: null },
];
const otherItems: unknown[] = [
  { id: 42, type: 'note', title: 'numeric id' },
  { id: '1', type: 'note', title: 7 },
  { id: '1', type: 'note', title: 'T', tags: 'a, b' },
  { id: '', type: 'note', title: 'empty id' },
  { id: '1', type: 'note', title: 'T', description: 5 },
  { type: 'note', title: 'no id' },
  'not an object',
];

const canonicalInventory: unknown[] = [
  {
    path: 'README.md',
    media_type: 'text/markdown',
    size_bytes: 312,
    integrity: { status: 'verified', algorithm: 'sha256', value: digest },
    role: 'readme',
    content_item_ids: [],
  },
  {
    path: 'content/x.json',
    media_type: 'application/json',
    size_bytes: 0,
    integrity: { status: 'unsupported', algorithm: null, value: null, note: 'n' },
    role: 'payload',
    content_item_ids: ['1'],
    extra: 'kept',
  },
];
const otherInventory: unknown[] = [
  {
    path: 'a',
    media_type: '',
    size_bytes: 1,
    integrity: { status: 'verified', algorithm: 'sha256', value: digest },
    role: 'payload',
  },
  {
    path: 'a',
    media_type: 'x',
    size_bytes: '12',
    integrity: { status: 'verified', algorithm: 'sha256', value: digest },
    role: 'payload',
  },
  { path: 'a', media_type: 'x', size_bytes: 1, integrity: null, role: 'payload' },
  { path: 'a', media_type: 'x', size_bytes: -1, integrity: { status: 'verified' }, role: 'payload' },
  { media_type: 'x', size_bytes: 1, integrity: { status: 'verified' }, role: 'payload' },
];

describe('the manifest fast path', () => {
  it('takes canonical content items and returns exactly what the schema returns, key order included', () => {
    for (const element of canonicalItems) {
      const fast = fastContentItem(element);
      assert.ok(fast, JSON.stringify(element));
      assert.equal(JSON.stringify(fast), JSON.stringify(contentItemRefSchema.parse(element)));
    }
  });

  it('takes canonical inventory entries and returns exactly what the schema returns', () => {
    for (const element of canonicalInventory) {
      const fast = fastInventoryEntry(element);
      assert.ok(fast, JSON.stringify(element));
      assert.equal(JSON.stringify(fast), JSON.stringify(fileInventoryEntrySchema.parse(element)));
    }
  });

  it('leaves everything that needs coercion or a message to the schema', () => {
    for (const element of otherItems)
      assert.equal(fastContentItem(element), undefined, JSON.stringify(element));
    for (const element of otherInventory)
      assert.equal(fastInventoryEntry(element), undefined, JSON.stringify(element));
  });

  it('gives parseManifest the same result as the schema alone, for good and bad elements alike', () => {
    const manifest = (items: unknown[], inventory: unknown[]) => ({
      version: '1.1.0',
      name: 'n',
      description: '',
      content_items: items,
      file_inventory: inventory,
    });
    const good = parseManifest(
      manifest([...canonicalItems, otherItems[0], otherItems[2]], [...canonicalInventory, otherInventory[1]]),
    );
    assert.ok(good.success);
    assert.equal(good.manifest.content_items[4]?.id, '42');
    assert.deepEqual(good.manifest.content_items[5]?.tags, ['a', 'b']);
    assert.equal(good.manifest.file_inventory?.[2]?.size_bytes, 12);

    const bad = parseManifest(
      manifest([canonicalItems[0], otherItems[3], otherItems[5]], [otherInventory[4]]),
    );
    if (bad.success) assert.fail('a manifest with invalid elements must be refused');
    assert.equal(bad.code, 'manifest_invalid');
    assert.ok(
      bad.issues.some((issue) => issue.startsWith('content_items[1].id')),
      bad.issues.join('\n'),
    );
    assert.ok(
      bad.issues.some((issue) => issue.startsWith('content_items[2].id')),
      bad.issues.join('\n'),
    );
    assert.ok(
      bad.issues.some((issue) => issue.startsWith('file_inventory[0].path')),
      bad.issues.join('\n'),
    );
  });
});
