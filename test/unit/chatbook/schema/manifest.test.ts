import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  V1_1_ONLY_KEYS,
  buildManifest,
  isSha256IntegrityValue,
  parseManifest,
  serializeManifest,
  type ChatbookManifest,
  type ParseManifestResult,
} from '../../../../shared/chatbook/schema/manifest';
import { TLDW_V1_0_MANIFEST, TLDW_V1_1_MANIFEST } from './fixtures';

function parsed(result: ParseManifestResult) {
  if (!result.success) assert.fail(`expected success, got ${result.code}: ${result.issues.join(' | ')}`);
  return result;
}

function failed(result: ParseManifestResult) {
  if (result.success) assert.fail('expected a failure');
  return result;
}

function withVersion(version: unknown): Record<string, unknown> {
  return { ...TLDW_V1_0_MANIFEST, version };
}

describe('parseManifest: versions', () => {
  it('accepts 1.0.0 and 1.1.0 as they are, without warnings', () => {
    const v10 = parsed(parseManifest(TLDW_V1_0_MANIFEST));
    assert.equal(v10.version, '1.0.0');
    assert.equal(v10.declaredVersion, '1.0.0');
    assert.deepEqual(v10.warnings, []);
    const v11 = parsed(parseManifest(TLDW_V1_1_MANIFEST));
    assert.equal(v11.version, '1.1.0');
    assert.equal(v11.manifest.version, '1.1.0');
    assert.deepEqual(v11.warnings, []);
  });

  it('canonicalizes the legacy "1.0" to 1.0.0 and keeps what was declared', () => {
    const result = parsed(parseManifest(withVersion('1.0')));
    assert.equal(result.version, '1.0.0');
    assert.equal(result.manifest.version, '1.0.0');
    assert.equal(result.declaredVersion, '1.0');
    assert.deepEqual(result.warnings, []);
  });

  it('reads a newer minor of major 1 as 1.1.0 with a warning', () => {
    const result = parsed(parseManifest({ ...TLDW_V1_1_MANIFEST, version: '1.2.0' }));
    assert.equal(result.version, '1.1.0');
    assert.equal(result.declaredVersion, '1.2.0');
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0] ?? '', /^version: "1\.2\.0" is newer than this reader/);
  });

  it('refuses major 2 with a clear message', () => {
    const result = failed(parseManifest(withVersion('2.0.0')));
    assert.equal(result.code, 'unsupported_version');
    assert.equal(result.issues.length, 1);
    assert.match(
      result.issues[0] ?? '',
      /^version: "2\.0\.0" is a newer major version than this reader supports/,
    );
  });

  it('refuses garbage versions, naming the path and never echoing a huge value', () => {
    const garbage = failed(parseManifest(withVersion('banana')));
    assert.equal(garbage.code, 'unsupported_version');
    assert.match(garbage.issues[0] ?? '', /^version: "banana" is not a chatbook version/);

    const huge = failed(parseManifest(withVersion('x'.repeat(10_000))));
    assert.ok((huge.issues[0] ?? '').length < 200, 'message stays short');

    const numeric = failed(parseManifest(withVersion(1)));
    assert.equal(numeric.code, 'unsupported_version');
    assert.match(numeric.issues[0] ?? '', /^version: expected a string/);

    const missing = failed(parseManifest(withVersion(undefined)));
    assert.equal(missing.code, 'manifest_invalid');
    assert.deepEqual(missing.issues, ['version: required']);
  });

  it('refuses what is not an object', () => {
    for (const input of [null, [], 'manifest', 7]) {
      const result = failed(parseManifest(input));
      assert.equal(result.code, 'manifest_invalid');
      assert.match(result.issues[0] ?? '', /^\(root\): expected a JSON object/);
    }
  });
});

describe('parseManifest: content', () => {
  it('reads a real tldw 1.0.0 manifest field for field', () => {
    const { manifest } = parsed(parseManifest(TLDW_V1_0_MANIFEST));
    assert.deepEqual(manifest, TLDW_V1_0_MANIFEST);
  });

  it('reads a real tldw 1.1.0 manifest, inventory included', () => {
    const { manifest } = parsed(parseManifest(TLDW_V1_1_MANIFEST));
    assert.equal(manifest.file_inventory?.[1]?.path, 'content/notes/note_42.md');
    assert.ok(isSha256IntegrityValue(manifest.file_inventory[1].integrity.value));
    assert.equal(manifest.compatibility?.unsupported_feature_behavior, 'warn_lossy_import');
    assert.deepEqual(manifest, TLDW_V1_1_MANIFEST);
  });

  it('keeps unknown keys at the top, in items and in metadata', () => {
    const input = {
      ...TLDW_V1_1_MANIFEST,
      future_top_level: { a: [1, 2] },
      content_items: [{ ...TLDW_V1_0_MANIFEST.content_items[0], extra_field: 'kept' }],
      metadata: { ...TLDW_V1_0_MANIFEST.metadata, chatbooks_cloud: { job: 'j1' } },
    };
    const { manifest } = parsed(parseManifest(input));
    assert.deepEqual(manifest.future_top_level, { a: [1, 2] });
    assert.equal(manifest.content_items[0]?.extra_field, 'kept');
    assert.deepEqual(manifest.metadata.chatbooks_cloud, { job: 'j1' });
  });

  it('keeps an unknown content type with a warning instead of failing', () => {
    const input = {
      ...TLDW_V1_0_MANIFEST,
      content_items: [
        ...TLDW_V1_0_MANIFEST.content_items,
        {
          id: 's1',
          type: 'explainer_session',
          title: 'Session',
          metadata: { format: 'tldw.explainer_session.v1' },
        },
      ],
    };
    const result = parsed(parseManifest(input));
    assert.equal(result.manifest.content_items[1]?.type, 'explainer_session');
    assert.deepEqual(result.warnings, [
      'content_items[1].type: unknown type "explainer_session"; the item will be skipped',
    ]);
  });

  it('coerces numeric ids to strings and fills the defaults tldw reads', () => {
    const input = {
      version: '1.0',
      name: 'Minimal',
      description: 'd',
      export_id: 99,
      content_items: [{ id: 7, type: 'conversation', title: 'Chat' }],
    };
    const { manifest } = parsed(parseManifest(input));
    assert.equal(manifest.export_id, '99');
    assert.deepEqual(manifest.content_items[0], {
      id: '7',
      type: 'conversation',
      title: 'Chat',
      description: null,
      created_at: null,
      updated_at: null,
      tags: [],
      metadata: {},
      file_path: null,
      checksum: null,
    });
    assert.equal(manifest.configuration.media_quality, 'compressed');
    assert.equal(manifest.configuration.max_file_size_mb, 100);
    assert.equal(manifest.statistics.total_notes, 0);
    assert.deepEqual(manifest.metadata, { tags: [], categories: [], language: 'en', license: null });
    assert.equal(manifest.user_info, null);
  });

  it('tolerates a missing description with a warning', () => {
    const { description: _description, ...input } = TLDW_V1_0_MANIFEST;
    const result = parsed(parseManifest(input));
    assert.equal(result.manifest.description, '');
    assert.deepEqual(result.warnings, ['description: missing (tldw requires it); read as ""']);
  });

  it('names the path of each problem in a content item', () => {
    const input = {
      ...TLDW_V1_0_MANIFEST,
      content_items: [
        { id: '1', type: 'note', title: 'ok' },
        { type: 'note', title: 'no id' },
        { id: '3', title: 'no type' },
        { id: '4', type: 'note' },
        { id: '5', type: 'note', title: 'bad tags', tags: { a: 1 } },
      ],
    };
    const result = failed(parseManifest(input));
    assert.equal(result.code, 'manifest_invalid');
    assert.deepEqual(
      result.issues.map((issue) => issue.split(':')[0]),
      ['content_items[1].id', 'content_items[2].type', 'content_items[3].title', 'content_items[4].tags'],
    );
    assert.equal(result.issues[0], 'content_items[1].id: required');
  });

  it('requires a name', () => {
    const { name: _name, ...input } = TLDW_V1_0_MANIFEST;
    assert.deepEqual(failed(parseManifest(input)).issues, ['name: required']);
  });

  it('drops v1.1 keys from a 1.0.0 manifest with a warning, fills them for 1.1.0', () => {
    const old = parsed(
      parseManifest({ ...TLDW_V1_0_MANIFEST, features_used: ['file_inventory'], file_inventory: [] }),
    );
    assert.equal('features_used' in old.manifest, false);
    assert.equal('file_inventory' in old.manifest, false);
    assert.deepEqual(old.warnings, [
      'features_used: ignored in a 1.0.0 manifest',
      'file_inventory: ignored in a 1.0.0 manifest',
    ]);

    const bare = parsed(parseManifest({ ...TLDW_V1_0_MANIFEST, version: '1.1.0' }));
    assert.deepEqual(bare.manifest.features_used, []);
    assert.deepEqual(bare.manifest.file_inventory, []);
    assert.deepEqual(bare.manifest.producer, {});
    assert.deepEqual(bare.warnings, ['file_inventory: missing in a 1.1 manifest']);
  });

  it('drops non-string feature tokens with a warning', () => {
    const result = parsed(parseManifest({ ...TLDW_V1_1_MANIFEST, features_used: ['file_inventory', 42] }));
    assert.deepEqual(result.manifest.features_used, ['file_inventory']);
    assert.deepEqual(result.warnings, ['features_used[1]: ignored, expected a string, got 42']);
  });

  it('keeps long values out of issue messages', () => {
    const result = failed(parseManifest({ ...TLDW_V1_0_MANIFEST, name: { nested: 'y'.repeat(5000) } }));
    assert.equal(result.issues.length, 1);
    assert.match(result.issues[0] ?? '', /^name: /);
    assert.ok((result.issues[0] ?? '').length < 200);
  });
});

describe('buildManifest and serializeManifest', () => {
  const draft = {
    name: 'Pack',
    description: 'Export',
    created_at: '2025-06-01T12:00:00Z',
    export_id: 'e1',
    content_items: [
      { id: '1', type: 'note', title: 'N', file_path: 'content/notes/note_1.md' },
      { id: '2', type: 'note', title: 'M' },
      { id: 'media:3', type: 'embedding', title: 'E' },
    ],
    metadata: { tags: ['t'], chatbooks_cloud: { source: 'library' } },
    features_used: ['file_inventory'],
    file_inventory: [],
  };

  it('a 1.0.0 manifest has every tldw key and none of the v1.1 ones', () => {
    const manifest = buildManifest(draft, '1.0.0');
    assert.deepEqual(Object.keys(manifest), [
      'version',
      'name',
      'description',
      'author',
      'created_at',
      'updated_at',
      'export_id',
      'content_items',
      'relationships',
      'configuration',
      'statistics',
      'metadata',
      'user_info',
    ]);
    for (const key of V1_1_ONLY_KEYS) assert.equal(key in manifest, false, key);
    assert.equal(manifest.updated_at, '2025-06-01T12:00:00Z');
    assert.equal(manifest.statistics.total_notes, 2);
    assert.equal(manifest.statistics.total_embeddings, 1);
    assert.equal(manifest.statistics.total_conversations, 0);
    assert.deepEqual(manifest.metadata, {
      tags: ['t'],
      categories: [],
      language: 'en',
      license: null,
      chatbooks_cloud: { source: 'library' },
    });
    assert.deepEqual(manifest.content_items[1], {
      id: '2',
      type: 'note',
      title: 'M',
      description: null,
      created_at: null,
      updated_at: null,
      tags: [],
      metadata: {},
      file_path: null,
      checksum: null,
    });
  });

  it('a 1.1.0 manifest always carries the v1.1 keys', () => {
    const manifest = buildManifest({ name: 'Pack' }, '1.1.0');
    assert.deepEqual(manifest.features_used, []);
    assert.deepEqual(manifest.producer, {});
    assert.deepEqual(manifest.source_instance, {});
    assert.deepEqual(manifest.compatibility, {});
    assert.deepEqual(manifest.file_inventory, []);
    assert.match(manifest.export_id ?? '', /^[0-9a-f-]{36}$/);
  });

  it('serializes with a 2-space indent and parses back to the same manifest', () => {
    const manifest: ChatbookManifest = buildManifest(draft, '1.1.0');
    const text = serializeManifest(manifest);
    assert.ok(text.startsWith('{\n  "version": "1.1.0",\n  "name": "Pack",'));
    const reread = parsed(parseManifest(JSON.parse(text)));
    assert.deepEqual(reread.manifest, manifest);
    assert.deepEqual(reread.warnings, []);
  });

  it('rebuilding a parsed tldw manifest keeps its unknown keys', () => {
    const { manifest } = parsed(parseManifest({ ...TLDW_V1_1_MANIFEST, vendor_extension: true }));
    const rebuilt = buildManifest(manifest, '1.1.0');
    assert.deepEqual(rebuilt, manifest);
  });
});
