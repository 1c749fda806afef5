// The conflict-resolution core of import: identity, the four strategies, merge rules per type, references.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTENT_TYPES, type ContentType } from '../../../shared/chatbook/layout';
import { encodeBase64Vector } from '../../../shared/chatbook/schema/embedding';
import { ITEM_SCHEMAS, type ItemByType } from '../../../shared/chatbook/schema/items';
import {
  IMPORT_STRATEGIES,
  identityKeyOf,
  mergeContent,
  referencesOf,
  resolveImport,
  withReferences,
  type ImportDecision,
  type ImportStrategy,
} from '../../../shared/imports/resolve';
import { titleOf } from '../../../shared/library/item-fields';
import { SAMPLES } from '../../support/chatbook-samples';

type Json = Record<string, unknown>;

/** Any object as an item of a type; `resolve` checks every result against the type's schema. */
const item = <T extends ContentType>(_type: T, record: Json) => record as ItemByType[T];
const sample = <T extends ContentType>(type: T, fields: Json = {}) =>
  item(type, { ...SAMPLES[type], ...fields });

function assertValid<T extends ContentType>(type: T, content: ItemByType[T]): void {
  const parsed = ITEM_SCHEMAS[type].safeParse(content);
  assert.ok(parsed.success, `${type}: ${JSON.stringify(parsed.error?.issues)}`);
}

/** resolveImport, with every outcome checked against the type's schema. */
function resolve<T extends ContentType>(
  type: T,
  incoming: ItemByType[T],
  options: {
    existing?: ItemByType[T];
    strategy?: ImportStrategy;
    taken?: readonly string[];
    prefix?: string;
  } = {},
): ImportDecision<T> {
  const existing = options.existing;
  const taken = new Set(options.taken ?? []);
  if (existing) taken.add(identityKeyOf(type, existing));
  const decision = resolveImport({
    type,
    incoming,
    existing: existing ? { id: String((existing as Json).id), content: existing } : undefined,
    strategy: options.strategy ?? 'skip',
    takenKeys: taken,
    prefix: options.prefix,
  });
  assertValid(type, decision.content);
  return decision;
}

function merge<T extends ContentType>(type: T, existing: ItemByType[T], incoming: ItemByType[T]) {
  return resolve(type, incoming, { existing, strategy: 'merge' });
}

/** Merging the merged result's own incoming item again finds nothing new. */
function assertIdempotent<T extends ContentType>(type: T, merged: ItemByType[T], incoming: ItemByType[T]) {
  const again = merge(type, merged, incoming);
  assert.equal(again.action, 'skipped', type);
  assert.equal(again.reason, 'nothing new to merge', type);
  assert.deepEqual(again.content, merged, type);
}

/** An id for the incoming copy: another library's, except an embedding's, which is its identity. */
const otherId = (type: ContentType) => (type === 'embedding' ? 'media:42' : 'ext-9');

const SKIP_REASONS: Record<ContentType, string> = {
  conversation: 'a conversation named "Trip: planning "v2" ✈" already exists',
  note: 'a note named "Title: with colon" already exists',
  character: 'a character named "Aria" already exists',
  world_book: 'a world book named "World" already exists',
  dictionary: 'a dictionary named "Slang" already exists',
  prompt: 'a prompt named "Summarize" already exists',
  media: 'a media item named "Talk" already exists',
  embedding: 'an embedding with id "media:42" already exists',
  generated_document: 'a generated document named "Brief" already exists',
  evaluation: 'an evaluation named "QA" already exists',
};

describe('identityKeyOf', () => {
  it('is the normalized title, or an embedding id', () => {
    const keys = Object.fromEntries(CONTENT_TYPES.map((type) => [type, identityKeyOf(type, SAMPLES[type])]));
    assert.deepEqual(keys, {
      conversation: 'trip: planning "v2" ✈',
      note: 'title: with colon',
      character: 'aria',
      world_book: 'world',
      dictionary: 'slang',
      prompt: 'summarize',
      media: 'talk',
      embedding: 'media:42',
      generated_document: 'brief',
      evaluation: 'qa',
    });
  });

  it('ignores case, surrounding whitespace and Unicode composition', () => {
    const composed = identityKeyOf('note', sample('note', { title: 'Café Notes' }));
    const decomposed = identityKeyOf('note', sample('note', { title: '  CAFE\u0301 notes\t' }));
    assert.equal(composed, 'café notes');
    assert.equal(decomposed, composed);
    assert.notEqual(identityKeyOf('note', sample('note', { title: 'Cafe notes' })), composed);
  });

  it('reads the field each type keeps its title in', () => {
    assert.equal(identityKeyOf('media', sample('media', { title: 'T', name: 'N' })), 't');
    assert.equal(identityKeyOf('prompt', sample('prompt', { title: 'T', name: 'N' })), 'n');
  });

  it('matches embeddings by id and collections by set, exactly', () => {
    assert.equal(identityKeyOf('embedding', sample('embedding', { id: 'media:ABC' })), 'media:ABC');
    const collection = item('embedding', { id: 'collection:x', embedding_set_id: 'Docs', chunks: [] });
    assert.equal(identityKeyOf('embedding', collection), 'collection:Docs');
  });

  it('matches evaluations and generated documents by title, not id', () => {
    const decision = resolve('evaluation', sample('evaluation', { id: 'other', name: ' qa ' }), {
      existing: SAMPLES.evaluation,
    });
    assert.equal(decision.action, 'skipped');
    const doc = resolve('generated_document', sample('generated_document', { id: '8', title: 'Other' }), {
      existing: undefined,
      taken: ['brief'],
    });
    assert.equal(doc.action, 'imported');
  });
});

describe('resolveImport without a conflict', () => {
  for (const type of CONTENT_TYPES) {
    it(`imports a ${type} as is under every strategy`, () => {
      const incoming = sample(type, { id: otherId(type) });
      for (const strategy of IMPORT_STRATEGIES) {
        const decision = resolve(type, incoming, { strategy, taken: ['unrelated', 'media:7'] });
        assert.deepEqual(decision, {
          action: 'imported',
          content: incoming,
          identityKey: identityKeyOf(type, SAMPLES[type]),
          notes: [],
        });
      }
    });
  }
});

describe('resolveImport on a conflict', () => {
  /** The library's sample, and another library's copy with an unknown field and another creation time. */
  function conflict<T extends ContentType>(type: T) {
    const existing: ItemByType[T] = SAMPLES[type];
    const existingId = String((existing as Json).id);
    const incoming = sample(type, {
      id: otherId(type),
      imported_only: 'yes',
      created_at: '2030-01-01T00:00:00',
    });
    return { existing, existingId, incoming };
  }

  for (const type of CONTENT_TYPES) {
    const { existing, existingId, incoming } = conflict(type);

    it(`skip leaves the existing ${type}`, () => {
      assert.deepEqual(resolve(type, incoming, { existing, strategy: 'skip' }), {
        action: 'skipped',
        content: existing,
        targetId: existingId,
        identityKey: identityKeyOf(type, existing),
        reason: SKIP_REASONS[type],
        notes: [],
      });
    });

    it(`overwrite replaces the ${type} but keeps its id and created_at`, () => {
      const decision = resolve(type, incoming, { existing, strategy: 'overwrite' });
      const expected: Json = { ...incoming, id: existingId };
      const created = (existing as Json).created_at;
      if (created !== undefined) expected.created_at = created;
      if (type === 'world_book') expected.world_book = { id: existingId, name: 'World', scan_depth: 3 };
      assert.equal(decision.action, 'overwritten');
      assert.equal(decision.targetId, existingId);
      assert.deepEqual(decision.content, expected);
      assert.equal((decision.content as Json).imported_only, 'yes');
      assert.deepEqual(decision.notes, []);
    });

    it(`merge adds what only the incoming ${type} has, once`, () => {
      const decision = merge(type, existing, incoming);
      assert.equal(decision.action, 'merged');
      assert.equal(decision.targetId, existingId);
      // A creation time only the incoming item has is added; an existing one is kept, without a note.
      const created = (existing as Json).created_at ?? '2030-01-01T00:00:00';
      assert.deepEqual(decision.content, { ...existing, imported_only: 'yes', created_at: created });
      assert.deepEqual(decision.notes, []);
      assertIdempotent(type, decision.content, incoming);
    });

    it(`merge of the same ${type} has nothing new`, () => {
      assert.deepEqual(merge(type, existing, sample(type, { id: otherId(type) })), {
        action: 'skipped',
        content: existing,
        targetId: existingId,
        identityKey: identityKeyOf(type, existing),
        reason: 'nothing new to merge',
        notes: [],
      });
    });
  }

  for (const type of CONTENT_TYPES.filter((t) => t !== 'embedding')) {
    const { existing, incoming } = conflict(type);
    it(`rename gives the ${type} the first free "(N)" title`, () => {
      const decision = resolve(type, incoming, { existing, strategy: 'rename' });
      const title = `${titleOf(type, existing)} (1)`;
      assert.equal(decision.action, 'renamed');
      assert.equal(decision.targetId, undefined);
      assert.equal(titleOf(type, decision.content), title);
      assert.equal(decision.identityKey, identityKeyOf(type, decision.content));
      assert.equal(decision.identityKey, `${identityKeyOf(type, existing)} (1)`);
      const field = ['note', 'media', 'generated_document'].includes(type) ? 'title' : 'name';
      assert.deepEqual(decision.content, { ...incoming, [field]: title, ...nestedName(type, title) });
    });
  }

  function nestedName(type: ContentType, title: string): Json {
    return type === 'world_book' ? { world_book: { id: '7', name: title, scan_depth: 3 } } : {};
  }

  it('rename skips numbers taken in the library', () => {
    const decision = resolve('note', sample('note', { title: 'Plan' }), {
      existing: sample('note', { title: 'plan' }),
      strategy: 'rename',
      taken: ['plan (1)', 'PLAN (2)'.toLowerCase(), 'plan (4)'],
    });
    assert.equal(decision.content.title, 'Plan (3)');
    assert.equal(decision.identityKey, 'plan (3)');
  });

  it('rename skips names taken earlier in the same import', () => {
    const taken = new Set(['plan']);
    const titles: string[] = [];
    for (const id of ['a', 'b', 'c']) {
      const decision = resolveImport({
        type: 'note',
        incoming: sample('note', { id, title: ' Plan ' }),
        strategy: 'rename',
        takenKeys: taken,
      });
      assertValid('note', decision.content);
      taken.add(decision.identityKey);
      titles.push(decision.content.title);
      assert.equal(decision.action, 'renamed');
    }
    assert.deepEqual(titles, ['Plan (1)', 'Plan (2)', 'Plan (3)']);
    assert.deepEqual([...taken], ['plan', 'plan (1)', 'plan (2)', 'plan (3)']);
  });

  it('a name taken earlier in this import, with no library item, is skipped or renamed', () => {
    const incoming = sample('character', { id: 'x' });
    const skipped = resolve('character', incoming, { strategy: 'skip', taken: ['aria'] });
    assert.deepEqual(skipped, {
      action: 'skipped',
      content: incoming,
      identityKey: 'aria',
      reason: 'a character named "Aria" already exists',
      notes: [],
    });
    for (const [strategy, verb] of [
      ['overwrite', 'overwritten'],
      ['merge', 'merged'],
    ] as const) {
      const decision = resolve('character', incoming, { strategy, taken: ['aria'] });
      assert.equal(decision.action, 'renamed');
      assert.equal(decision.content.name, 'Aria (1)');
      assert.deepEqual(decision.notes, [
        `a character named "Aria" came earlier in this chatbook; renamed instead of ${verb}`,
      ]);
    }
  });

  it('refuses an existing item of another identity', () => {
    assert.throws(
      () =>
        resolveImport({
          type: 'note',
          incoming: SAMPLES.note,
          existing: { id: 'n', content: sample('note', { title: 'Other' }) },
          strategy: 'skip',
          takenKeys: new Set(),
        }),
      /does not have the incoming item's identity/,
    );
  });
});

describe('resolveImport with a prefix', () => {
  it('prefixes the title before looking for a conflict', () => {
    const decision = resolve('character', SAMPLES.character, { prefix: '[Imported] ', taken: ['aria'] });
    assert.equal(decision.action, 'imported');
    assert.equal(decision.content.name, '[Imported] Aria');
    assert.equal(decision.identityKey, '[imported] aria');
    assert.equal(SAMPLES.character.name, 'Aria');
  });

  it('conflicts with an item that already has the prefixed title', () => {
    const existing = sample('note', { title: '[imported] title: WITH colon' });
    const skipped = resolve('note', SAMPLES.note, { existing, prefix: '[Imported] ' });
    assert.equal(skipped.reason, 'a note named "[Imported] Title: with colon" already exists');
    const renamed = resolve('note', SAMPLES.note, { existing, prefix: '[Imported] ', strategy: 'rename' });
    assert.equal(renamed.content.title, '[Imported] Title: with colon (1)');
  });

  it("keeps a world book's nested name in step", () => {
    const decision = resolve('world_book', SAMPLES.world_book, { prefix: 'X ' });
    assert.equal(decision.content.name, 'X World');
    assert.deepEqual(decision.content.world_book, { id: '7', name: 'X World', scan_depth: 3 });
  });

  it('leaves embeddings alone (their identity is their id)', () => {
    const decision = resolve('embedding', SAMPLES.embedding, { prefix: '[Imported] ' });
    assert.deepEqual(decision.content, SAMPLES.embedding);
  });
});

describe('embeddings on a conflict', () => {
  const collection = item('embedding', {
    id: 'collection:docs',
    embedding_set_id: 'docs',
    item_count: 2,
    chunks: [
      { id: 'c1', document: 'one', embedding: [0.1, 0.2] },
      { id: 'c2', document: 'two', embedding: [0.3, 0.4] },
    ],
  });

  it('rename cannot give a media item a second vector: skipped', () => {
    const decision = resolve('embedding', SAMPLES.embedding, {
      existing: SAMPLES.embedding,
      strategy: 'rename',
    });
    assert.equal(decision.action, 'skipped');
    assert.equal(
      decision.reason,
      'an embedding with id "media:42" already exists; an embedding is renamed only with its media',
    );
  });

  it('rename gives a collection the first free "-N" set', () => {
    const decision = resolve('embedding', collection, {
      existing: collection,
      strategy: 'rename',
      taken: ['collection:docs-1'],
    });
    assert.equal(decision.action, 'renamed');
    assert.equal(decision.identityKey, 'collection:docs-2');
    assert.deepEqual(decision.content, {
      ...collection,
      id: 'collection:docs-2',
      embedding_set_id: 'docs-2',
    });
  });

  it('merge keeps a media vector and notes a different one', () => {
    const incoming = sample('embedding', { vector: encodeBase64Vector([1]), model: 'm' });
    const decision = merge('embedding', SAMPLES.embedding, incoming);
    assert.equal(decision.action, 'skipped');
    assert.equal(decision.reason, 'nothing new to merge');
    assert.deepEqual(decision.content, SAMPLES.embedding);
    assert.deepEqual(decision.notes, ['kept existing vector; imported differs']);
  });

  it('merge adds fields to a media vector when the vectors are equal', () => {
    const decision = merge('embedding', SAMPLES.embedding, sample('embedding', { model: 'm', extra: 2 }));
    assert.equal(decision.action, 'merged');
    assert.deepEqual(decision.content, { ...SAMPLES.embedding, model: 'm' });
    assert.deepEqual(decision.notes, ['kept existing extra; imported differs']);
  });

  it('merge unions collection chunks by id', () => {
    const incoming = item('embedding', {
      id: 'collection:docs',
      embedding_set_id: 'docs',
      item_count: 2,
      source_hash: 'h',
      chunks: [
        { id: 'c2', document: 'TWO', embedding: [0.3, 0.4] },
        { id: 'c3', document: 'three', embedding: [0.5, 0.6] },
      ],
    });
    const decision = merge('embedding', collection, incoming);
    assert.equal(decision.action, 'merged');
    assert.deepEqual(decision.content, {
      ...collection,
      item_count: 3,
      source_hash: 'h',
      chunks: [
        ...((collection as Json).chunks as Json[]),
        { id: 'c3', document: 'three', embedding: [0.5, 0.6] },
      ],
    });
    assert.deepEqual(decision.notes, ['kept existing chunk c2; imported differs']);
    assertIdempotent('embedding', decision.content, incoming);
  });

  it('merge keeps an embedding of another shape whole', () => {
    const vectorForm = item('embedding', {
      id: 'media:42',
      source: { type: 'media', id: '42' },
      vector: [1],
    });
    const decision = merge('embedding', SAMPLES.embedding, vectorForm);
    assert.equal(decision.action, 'skipped');
    assert.deepEqual(decision.notes, ['kept existing embedding; imported has a different shape']);
  });
});

describe('merge per type', () => {
  it('conversation: messages unioned by id, then role/content/timestamp, ordered by time', () => {
    const existing = item('conversation', {
      id: '1',
      name: 'Trip',
      character_id: '3',
      messages: [
        { id: 'm1', role: 'user', content: 'Hi', timestamp: '2025-06-01T12:00:01Z' },
        { id: 'm2', parent_id: 'm1', role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'no id', timestamp: '2025-06-01T12:02:00Z' },
      ],
    });
    const incoming = item('conversation', {
      id: '77',
      name: 'trip',
      character_id: '9',
      branch_labels: { m2: 'main' },
      messages: [
        { id: 'm0', role: 'system', content: 'Be brief', timestamp: '2025-06-01T11:59:00Z' },
        { id: 'm1', role: 'user', content: 'Hi', timestamp: '2025-06-01T12:00:01Z' },
        { id: 'm2', parent_id: 'm1', role: 'assistant', content: 'Hello!' },
        { id: 'n7', role: 'user', content: 'no id', timestamp: '2025-06-01T12:02:00Z' },
        { id: 'n8', parent_id: 'n7', role: 'assistant', content: 'reply' },
        { role: 'user', content: 'Hi', timestamp: '2025-06-01T12:00:01Z' },
        { role: 'user', content: 'late', timestamp: '2025-06-01T13:00:00Z' },
      ],
    });
    const decision = merge('conversation', existing, incoming);
    assert.equal(decision.action, 'merged');
    assert.deepEqual(decision.content, {
      id: '1',
      name: 'Trip',
      character_id: '3',
      branch_labels: { m2: 'main' },
      messages: [
        { id: 'm0', role: 'system', content: 'Be brief', timestamp: '2025-06-01T11:59:00Z' },
        { id: 'm1', role: 'user', content: 'Hi', timestamp: '2025-06-01T12:00:01Z' },
        { id: 'm2', parent_id: 'm1', role: 'assistant', content: 'Hello' },
        { id: 'n7', role: 'user', content: 'no id', timestamp: '2025-06-01T12:02:00Z' },
        { id: 'n8', parent_id: 'n7', role: 'assistant', content: 'reply' },
        { role: 'user', content: 'late', timestamp: '2025-06-01T13:00:00Z' },
      ],
    });
    assert.deepEqual(decision.notes, [
      'kept existing name; imported differs',
      'kept existing character_id; imported differs',
      'kept existing message m2; imported differs',
    ]);
    assertIdempotent('conversation', decision.content, incoming);
  });

  it('conversation: nothing new keeps the existing order untouched', () => {
    const existing = item('conversation', {
      id: '1',
      name: 'Trip',
      messages: [
        { id: 'b', role: 'user', content: 'later', timestamp: '2025-06-02T00:00:00Z' },
        { id: 'a', role: 'user', content: 'earlier', timestamp: '2025-06-01T00:00:00Z' },
      ],
    });
    const incoming = item('conversation', {
      ...existing,
      messages: [...(existing.messages as Json[])].reverse(),
    });
    assert.equal(merge('conversation', existing, incoming).action, 'skipped');
  });

  it('note: tags unioned without case duplicates; kept differences noted; unknown fields added', () => {
    const existing = sample('note', { tags: ['rag', 'Ideas'] });
    const incoming = sample('note', {
      id: '99',
      tags: [' RAG ', 'new', 'ideas', 'Cafe\u0301'],
      content: 'other body',
      pinned: false,
      created_at: '2020-01-01T00:00:00',
      updated_at: '2031-01-01T00:00:00',
      color: 'red',
    });
    const decision = merge('note', existing, incoming);
    assert.equal(decision.action, 'merged');
    assert.deepEqual(decision.content, {
      ...existing,
      tags: ['rag', 'Ideas', 'new', 'Cafe\u0301'],
      color: 'red',
    });
    assert.deepEqual(decision.notes, [
      'kept existing content; imported differs',
      'kept existing pinned; imported differs',
    ]);
    assertIdempotent('note', decision.content, incoming);
  });

  it('note: fills a field the existing one has no value for; an incoming field without one adds nothing', () => {
    const existing = sample('note', { tags: null, folder: '' });
    const incoming = sample('note', { tags: ['x'], folder: 'Work', pinned: null, extra: '' });
    const decision = merge('note', existing, incoming);
    assert.deepEqual(decision.content, { ...existing, tags: ['x'], folder: 'Work' });
    assert.deepEqual(decision.notes, []);
  });

  it('character: tags unioned, extensions merged key by key, description kept', () => {
    const existing = sample('character', { tags: ['a'], extensions: { x: 1, deep: { k: 1 } } });
    const incoming = sample('character', {
      id: '55',
      description: 'Another guide',
      tags: ['b'],
      extensions: { x: 2, y: 3, deep: { k: 2, l: 4 } },
      alternate_greetings: ['yo'],
    });
    const decision = merge('character', existing, incoming);
    assert.deepEqual(decision.content, {
      ...existing,
      tags: ['a', 'b'],
      extensions: { x: 1, deep: { k: 1, l: 4 }, y: 3 },
    });
    assert.deepEqual(decision.notes, [
      'kept existing description; imported differs',
      'kept existing alternate_greetings; imported differs',
      'kept existing extensions.x; imported differs',
      'kept existing extensions.deep.k; imported differs',
    ]);
    assertIdempotent('character', decision.content, incoming);
  });

  it('world_book: entries unioned by uid or keywords; the nested legacy object stays', () => {
    const existing = sample('world_book', {
      entries: [
        { keywords: ['Dragon', 'fire'], content: 'Fire' },
        { uid: 5, keywords: ['elf'], content: 'Elves' },
      ],
    });
    const incoming = sample('world_book', {
      id: '70',
      description: 'now described',
      world_book: { id: '70', name: 'World' },
      entries: [
        { keywords: ['FIRE', ' dragon'], content: 'Hot' },
        { uid: 5, keywords: ['elves'], content: 'Elves' },
        { uid: 6, keywords: ['elf'], content: 'Elves' },
        { keywords: ['orc'], content: 'Orcs' },
      ],
    });
    const decision = merge('world_book', existing, incoming);
    assert.deepEqual(decision.content, {
      ...existing,
      description: 'now described',
      entries: [
        { keywords: ['Dragon', 'fire'], content: 'Fire' },
        { uid: 5, keywords: ['elf'], content: 'Elves' },
        { uid: 6, keywords: ['elf'], content: 'Elves' },
        { keywords: ['orc'], content: 'Orcs' },
      ],
    });
    assert.deepEqual(decision.notes, [
      'kept existing entry "Dragon, fire"; imported differs',
      'kept existing entry uid 5; imported differs',
    ]);
    assertIdempotent('world_book', decision.content, incoming);
  });

  it('dictionary: entries unioned by key_pattern', () => {
    const incoming = sample('dictionary', {
      is_active: false,
      entries: [
        { key_pattern: 'brb', replacement: 'BRB', type: 'literal' },
        { key_pattern: 'afk', replacement: 'away', type: 'literal' },
      ],
    });
    const decision = merge('dictionary', SAMPLES.dictionary, incoming);
    assert.deepEqual(decision.content, {
      ...SAMPLES.dictionary,
      entries: [...SAMPLES.dictionary.entries, { key_pattern: 'afk', replacement: 'away', type: 'literal' }],
    });
    assert.deepEqual(decision.notes, [
      'kept existing is_active; imported differs',
      'kept existing entry "brb"; imported differs',
    ]);
    assertIdempotent('dictionary', decision.content, incoming);
  });

  it('prompt: keywords unioned, body kept', () => {
    const incoming = sample('prompt', { keywords: ['a', 'b'], system_prompt: 'S2', user_prompt: null });
    const decision = merge('prompt', SAMPLES.prompt, incoming);
    assert.deepEqual(decision.content, { ...SAMPLES.prompt, keywords: ['a', 'b'] });
    assert.deepEqual(decision.notes, ['kept existing system_prompt; imported differs']);
  });

  it('media: transcripts, chunks and artifacts unioned; keywords and metadata too', () => {
    const existing = sample('media', {
      keywords: ['talk'],
      chunks: [
        { id: 'k1', text: 'alpha', start_char: 0, end_char: 5 },
        { text: 'beta', start_char: 6, end_char: 10 },
      ],
      stored_artifacts: [{ id: '9', checksum: 'aaa', original_filename: 'talk.mp4' }],
    });
    const incoming = sample('media', {
      id: '4242',
      keywords: ['video'],
      safe_metadata: { k: 'v', lang: 'en' },
      transcripts: [
        { id: '1', transcription: 'hello again' },
        { id: '77', transcription: 'hello', whisper_model: 'large-v3', language: 'en' },
        { id: '78', transcription: 'bonjour' },
      ],
      chunks: [
        { id: 'k1', text: 'ALPHA', start_char: 0, end_char: 5 },
        { text: 'beta', start_char: 6, end_char: 10 },
        { text: 'beta', start_char: 10, end_char: 14 },
      ],
      stored_artifacts: [
        { id: '31', checksum: 'aaa', original_filename: 'talk.mp4' },
        { id: '32', checksum: 'bbb', original_filename: 'slides.pdf' },
      ],
    });
    const decision = merge('media', existing, incoming);
    assert.deepEqual(decision.content, {
      ...existing,
      keywords: ['talk', 'video'],
      safe_metadata: { k: 'v', lang: 'en' },
      transcripts: [...SAMPLES.media.transcripts, { id: '78', transcription: 'bonjour' }],
      chunks: [...(existing.chunks as Json[]), { text: 'beta', start_char: 10, end_char: 14 }],
      stored_artifacts: [
        { id: '9', checksum: 'aaa', original_filename: 'talk.mp4' },
        { id: '32', checksum: 'bbb', original_filename: 'slides.pdf' },
      ],
    });
    assert.deepEqual(decision.notes, [
      'kept existing transcript 1; imported differs',
      'kept existing chunk k1; imported differs',
      'kept existing stored artifact 9; imported differs',
    ]);
    assertIdempotent('media', decision.content, incoming);
  });

  it('generated_document: metadata merged, content kept', () => {
    const incoming = sample('generated_document', {
      id: '80',
      content: 'other',
      metadata: { subtype: 'y', source: 'chat' },
    });
    const decision = merge('generated_document', SAMPLES.generated_document, incoming);
    assert.deepEqual(decision.content, {
      ...SAMPLES.generated_document,
      metadata: { subtype: 'x', source: 'chat' },
    });
    assert.deepEqual(decision.notes, [
      'kept existing content; imported differs',
      'kept existing metadata.subtype; imported differs',
    ]);
  });

  it('evaluation: runs unioned by id or run_id; eval_spec kept whole', () => {
    const existing = sample('evaluation', {
      runs: [{ run_id: 'r1', status: 'completed' }, { id: 'r2', status: 'failed' }, { status: 'odd' }],
    });
    const incoming = sample('evaluation', {
      id: 'ev9',
      eval_spec: { metric: 'em', threshold: 0.5 },
      runs: [
        { id: 'r1', status: 'completed' },
        { run_id: 'r2', status: 'completed' },
        { run_id: 'r3', status: 'running' },
        { status: 'odd' },
        { status: 'other' },
      ],
    });
    const decision = merge('evaluation', existing, incoming);
    assert.deepEqual(decision.content, {
      ...existing,
      runs: [
        { run_id: 'r1', status: 'completed' },
        { id: 'r2', status: 'failed' },
        { status: 'odd' },
        { run_id: 'r3', status: 'running' },
        { status: 'other' },
      ],
    });
    assert.deepEqual(decision.notes, [
      'kept existing eval_spec; imported differs',
      'kept existing run r1; imported differs',
      'kept existing run r2; imported differs',
    ]);
    assertIdempotent('evaluation', decision.content, incoming);
  });

  it('mergeContent leaves its inputs untouched and shares nothing with them', () => {
    const existing = structuredClone(SAMPLES.media);
    const incoming = sample('media', { safe_metadata: { k: 'v', n: { deep: 1 } } });
    const before = structuredClone(incoming);
    const result = mergeContent('media', existing, incoming);
    assert.equal(result.changed, true);
    assert.deepEqual(existing, SAMPLES.media);
    assert.deepEqual(incoming, before);
    ((result.content.safe_metadata as Json).n as Json).deep = 2;
    assert.deepEqual(incoming, before);
  });

  it('a "__proto__" field is kept as data', () => {
    const incoming = item(
      'note',
      JSON.parse('{"id":"1","title":"Title: with colon","__proto__":{"x":1}}') as Json,
    );
    const result = mergeContent('note', SAMPLES.note, incoming);
    assert.deepEqual(Object.getPrototypeOf(result.content), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(result.content, '__proto__')?.value, { x: 1 });
  });
});

describe('referencesOf and withReferences', () => {
  it('lists the references of each type that has them', () => {
    const found = Object.fromEntries(CONTENT_TYPES.map((type) => [type, referencesOf(type, SAMPLES[type])]));
    assert.deepEqual(found, {
      conversation: [{ field: 'character_id', type: 'character', id: '3' }],
      note: [],
      character: [],
      world_book: [],
      dictionary: [],
      prompt: [],
      media: [],
      embedding: [{ field: 'source.media_id', type: 'media', id: '42' }],
      generated_document: [{ field: 'conversation_id', type: 'conversation', id: '1' }],
      evaluation: [],
    });
    const vectorForm = item('embedding', { id: 'v', source: { type: 'media', id: '5' }, vector: [1] });
    assert.deepEqual(referencesOf('embedding', vectorForm), [{ field: 'source.id', type: 'media', id: '5' }]);
    assert.deepEqual(referencesOf('conversation', sample('conversation', { character_id: null })), []);
  });

  const map = {
    character: new Map([['3', 'char-new']]),
    conversation: new Map([['1', 'conv-new']]),
    media: new Map([
      ['42', 'media-new'],
      ['5', 'm5'],
    ]),
  };

  it('rewrites each reference from the map, and a media embedding id with its media', () => {
    const conversation = withReferences('conversation', SAMPLES.conversation, map);
    assert.deepEqual(conversation, { ...SAMPLES.conversation, character_id: 'char-new' });
    assert.equal(SAMPLES.conversation.character_id, '3');
    assert.deepEqual(withReferences('generated_document', SAMPLES.generated_document, map), {
      ...SAMPLES.generated_document,
      conversation_id: 'conv-new',
    });
    const embedding = withReferences('embedding', SAMPLES.embedding, map);
    assert.deepEqual(embedding, {
      ...SAMPLES.embedding,
      id: 'media:media-new',
      source: { media_id: 'media-new', media_uuid: 'u' },
    });
    assertValid('embedding', embedding);
    const vectorForm = item('embedding', { id: 'v', source: { type: 'media', id: '5' }, vector: [1] });
    assert.deepEqual(withReferences('embedding', vectorForm, map), {
      id: 'v',
      source: { type: 'media', id: 'm5' },
      vector: [1],
    });
  });

  it('leaves references the map does not know', () => {
    assert.deepEqual(
      withReferences('conversation', SAMPLES.conversation, { conversation: map.conversation }),
      SAMPLES.conversation,
    );
    assert.deepEqual(withReferences('note', SAMPLES.note, map), SAMPLES.note);
  });
});
