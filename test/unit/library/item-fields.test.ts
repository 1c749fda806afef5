import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTENT_TYPES, type ContentType } from '../../../shared/chatbook/layout';
import { ITEM_SCHEMAS, type ItemByType } from '../../../shared/chatbook/schema/items';
import { tagsOf, titleOf } from '../../../shared/library/item-fields';
import { SAMPLES } from '../../support/chatbook-samples';

/** Any object as an item of a type (the functions read plain records; the schemas are tested elsewhere). */
const item = <T extends ContentType>(_type: T, record: Record<string, unknown>) => record as ItemByType[T];

describe('titleOf', () => {
  it('reads each sample the way the library lists it', () => {
    const titles = Object.fromEntries(CONTENT_TYPES.map((type) => [type, titleOf(type, SAMPLES[type])]));
    assert.deepEqual(titles, {
      conversation: 'Trip: planning "v2" ✈',
      note: 'Title: with colon',
      character: 'Aria',
      world_book: 'World',
      dictionary: 'Slang',
      prompt: 'Summarize',
      media: 'Talk',
      embedding: 'Embedding of 42',
      generated_document: 'Brief',
      evaluation: 'QA',
    });
  });

  it('prefers title for notes, media and generated documents, name for the others', () => {
    const both = { name: 'The name', title: 'The title' };
    for (const type of ['note', 'media', 'generated_document'] as const) {
      assert.equal(titleOf(type, item(type, both)), 'The title', type);
    }
    for (const type of [
      'conversation',
      'character',
      'world_book',
      'dictionary',
      'prompt',
      'evaluation',
    ] as const) {
      assert.equal(titleOf(type, item(type, both)), 'The name', type);
    }
  });

  it('falls back to the other field, then to Untitled, skipping blanks and non-strings', () => {
    assert.equal(titleOf('note', item('note', { title: '  ', name: 'Named' })), 'Named');
    assert.equal(titleOf('character', item('character', { name: '', title: 'Titled' })), 'Titled');
    assert.equal(titleOf('prompt', item('prompt', { name: 7, title: null })), 'Untitled');
    assert.equal(titleOf('evaluation', item('evaluation', {})), 'Untitled');
    // Kept as written, surrounding spaces included.
    assert.equal(titleOf('note', item('note', { title: ' Spaced ' })), ' Spaced ');
  });

  it('names an embedding by its title, its set, its source, its id, in that order', () => {
    const e = (record: Record<string, unknown>) => titleOf('embedding', item('embedding', record));
    assert.equal(e({ id: 'x', title: 'Mine', embedding_set_id: 'set', source: { media_id: '42' } }), 'Mine');
    assert.equal(e({ id: 'x', embedding_set_id: 'set', source: { media_id: '42' } }), 'set');
    assert.equal(e({ id: 'x', source: { media_id: 42 } }), 'Embedding of 42');
    assert.equal(e({ id: 'x', source: { type: 'media', id: '9' } }), 'Embedding of 9');
    assert.equal(e({ id: 'media:3', source: {} }), 'media:3');
    assert.equal(e({}), 'Embedding');
    assert.equal(e({ id: 'x', name: 'ignored for embeddings' }), 'x');
  });

  it('reads titles from parsed items, coerced values included', () => {
    const note = ITEM_SCHEMAS.note.parse({ id: 1, title: 2024 });
    assert.equal(titleOf('note', note), '2024');
    const prompt = ITEM_SCHEMAS.prompt.parse({ title: 'Legacy title' });
    assert.equal(titleOf('prompt', prompt), 'Legacy title');
    const conversation = ITEM_SCHEMAS.conversation.parse({ id: 'c', messages: [] });
    assert.equal(titleOf('conversation', conversation), 'Untitled');
  });
});

describe('tagsOf', () => {
  it('reads each sample', () => {
    const tags = Object.fromEntries(CONTENT_TYPES.map((type) => [type, tagsOf(type, SAMPLES[type])]));
    assert.deepEqual(tags, {
      conversation: [],
      note: ['rag', 'ünïcode'],
      character: [],
      world_book: [],
      dictionary: [],
      prompt: ['a'],
      media: [],
      embedding: [],
      generated_document: [],
      evaluation: [],
    });
  });

  it('joins tags and keywords in order, once each, trimmed, without blanks or non-strings', () => {
    const record = { tags: ['b', ' a ', '', 'b', 3, null], keywords: ['a', 'c', '   '] };
    for (const type of CONTENT_TYPES) {
      assert.deepEqual(tagsOf(type, item(type, record)), ['b', 'a', 'c'], type);
    }
  });

  it('gives none when the fields are absent or not lists', () => {
    assert.deepEqual(tagsOf('note', item('note', {})), []);
    assert.deepEqual(tagsOf('note', item('note', { tags: 'a,b', keywords: { a: 1 } })), []);
    assert.deepEqual(tagsOf('media', item('media', { tags: null })), []);
  });

  it('reads keyword columns once the schema has split them', () => {
    const media = ITEM_SCHEMAS.media.parse({ title: 'Talk', keywords: 'x, y,  z' });
    assert.deepEqual(tagsOf('media', media), ['x', 'y', 'z']);
    const note = ITEM_SCHEMAS.note.parse({ id: 'n', title: 'N', keywords: '["k1", "k2"]' });
    assert.deepEqual(tagsOf('note', note), ['k1', 'k2']);
  });
});
