import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../../shared/errors';
import { CONTENT_TYPES, type ContentType } from '../../../../shared/chatbook/layout';
import { decodeItem, encodeItem, idFromItemPath, itemPathFor } from '../../../../shared/chatbook/codec';
import type { DecodeItemResult } from '../../../../shared/chatbook/codec';
import { SAMPLES } from '../../../support/chatbook-samples';

function decoded<T>(result: DecodeItemResult<T>): { item: T; warnings: string[] } {
  if (!result.ok) assert.fail(`expected ok, got: ${result.message}`);
  return result;
}

function refused<T>(result: DecodeItemResult<T>): string {
  if (result.ok) assert.fail('expected item_invalid');
  assert.equal(result.code, 'item_invalid');
  return result.message;
}

const EXPECTED_PATHS: Record<ContentType, string> = {
  conversation: 'content/conversations/conversation_1.json',
  note: 'content/notes/note_42.md',
  character: 'content/characters/character_3.json',
  world_book: 'content/world_books/world_book_7.json',
  dictionary: 'content/dictionaries/dictionary_2.json',
  prompt: 'content/prompts/prompt_4.json',
  media: 'content/media/media_42.json',
  embedding: 'content/embeddings/embedding_media_42.json',
  generated_document: 'content/generated_documents/document_8.json',
  evaluation: 'content/evaluations/evaluation_ev1.json',
};

describe('item codec round trip', () => {
  for (const type of CONTENT_TYPES) {
    it(`${type}: encode then decode gives back every field, unknown ones included`, () => {
      const encoded = encodeItem(type, SAMPLES[type]);
      assert.equal(encoded.path, EXPECTED_PATHS[type]);
      assert.equal(encoded.mediaType, type === 'note' ? 'text/markdown' : 'application/json');
      const { item, warnings } = decoded(decodeItem(type, Buffer.from(encoded.body, 'utf8')));
      assert.deepEqual(item, SAMPLES[type]);
      assert.deepEqual(warnings, []);
      // Once normalized, encoding is stable byte for byte (key order is the schema's, then unknown keys).
      const again = encodeItem(type, item).body;
      const reread = decoded(decodeItem(type, again)).item;
      assert.equal(encodeItem(type, reread).body, again);
    });
  }

  it('writes JSON with a 2-space indent', () => {
    assert.equal(encodeItem('character', { id: '1', name: 'A' }).body, '{\n  "id": "1",\n  "name": "A"\n}');
  });
});

describe('note files', () => {
  it('writes tldw’s shape: plain id, title quoted only when needed, blank line, body', () => {
    const plain = encodeItem('note', {
      id: '42',
      title: 'RAG notes',
      created_at: '2025-06-01T12:00:00',
      content: 'Body',
    });
    assert.equal(plain.body, '---\nid: 42\ntitle: RAG notes\ncreated_at: 2025-06-01T12:00:00\n---\n\nBody');
    const quoted = encodeItem('note', { id: '42', title: 'Title: with colon', content: 'Body' });
    assert.equal(quoted.body, '---\nid: 42\ntitle: "Title: with colon"\n---\n\nBody');
  });

  it('reads a tldw note', () => {
    const text =
      '---\nid: 42\ntitle: "Title: with colon"\ncreated_at: 2025-06-01T12:00:00\n---\n\nThe body\nsecond line';
    assert.deepEqual(decoded(decodeItem('note', text)).item, {
      id: '42',
      title: 'Title: with colon',
      created_at: '2025-06-01T12:00:00',
      content: 'The body\nsecond line',
    });
  });

  it('round-trips titles with colons, quotes, newlines and unicode, and ids that only look numeric', () => {
    for (const title of [
      'a: b',
      "it's",
      'say "hi"',
      '- dash',
      '#hash',
      'multi\nline',
      '日本語 ✓ émoji 🎉',
      'true',
      '123',
      ' padded ',
    ]) {
      for (const id of ['7', '007', 'abc-1', '123456789012345678901']) {
        const note = { id, title, content: 'x' };
        const { body } = encodeItem('note', note);
        assert.deepEqual(
          decoded(decodeItem('note', body)).item,
          note,
          `title ${JSON.stringify(title)}, id ${id}`,
        );
      }
    }
  });

  it('without front matter: the whole text is the body, the title comes from the id', () => {
    const fromPath = decoded(decodeItem('note', 'Just text', { path: 'content/notes/note_17.md' }));
    assert.deepEqual(fromPath.item, { id: '17', title: 'Imported Note 17', content: 'Just text' });
    assert.deepEqual(fromPath.warnings, ['front matter: missing; title set from the id']);
    assert.deepEqual(decoded(decodeItem('note', 'Just text')).item, {
      id: 'untitled',
      title: 'Imported Note untitled',
      content: 'Just text',
    });
  });

  it('with broken YAML: falls back to a line scan and warns', () => {
    const text = '---\nid: 5\ntitle: "Broken: yes"\ntags: [unclosed\n---\n\nBody';
    const { item, warnings } = decoded(decodeItem('note', text));
    assert.equal(item.id, '5');
    assert.equal(item.title, 'Broken: yes');
    assert.equal(item.content, 'Body');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^front matter: not valid YAML \(.+\); read line by line$/);
  });

  it('reads keywords as tags, CRLF line ends, and no title as "Imported Note <id>"', () => {
    const { item, warnings } = decoded(
      decodeItem('note', '---\r\nid: 9\r\nkeywords: [a, b]\r\n---\r\n\r\nBody'),
    );
    assert.deepEqual(item, { id: '9', title: 'Imported Note 9', tags: ['a', 'b'], content: 'Body' });
    assert.deepEqual(warnings, ['title: missing in front matter; set from the id']);
  });

  it('refuses alias bombs and custom tags safely', () => {
    const bomb = [
      '---',
      'a: &a [x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b]',
      'title: t',
      'id: 1',
      '---',
      '',
      'x',
    ].join('\n');
    const bombed = decoded(decodeItem('note', bomb));
    assert.equal(bombed.item.title, 't');
    assert.match(bombed.warnings[0] ?? '', /^front matter: not valid YAML/);
    const tagged = decoded(decodeItem('note', '---\nid: 1\ntitle: !!js/function "x"\n---\n\nx'));
    assert.equal(typeof tagged.item.title, 'string');
  });
});

describe('decode failures', () => {
  it('refuses non-UTF-8 bytes', () => {
    assert.equal(
      refused(decodeItem('prompt', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))),
      'prompt item: not valid UTF-8',
    );
    assert.equal(refused(decodeItem('note', Buffer.from([0xc3, 0x28]))), 'note item: not valid UTF-8');
  });

  it('refuses JSON that is not an object, and invalid JSON, in a short message', () => {
    assert.equal(refused(decodeItem('media', '[1,2]')), 'media item: expected a JSON object, got an array');
    assert.equal(refused(decodeItem('media', 'null')), 'media item: expected a JSON object, got null');
    assert.match(
      refused(decodeItem('media', `{"title": "${'x'.repeat(10_000)}`)),
      /^media item: not valid JSON \(/,
    );
    assert.ok(refused(decodeItem('media', `{"title": "${'x'.repeat(10_000)}`)).length < 200);
  });

  it('names the path of a schema problem', () => {
    assert.equal(
      refused(
        decodeItem('conversation', '{"id": "1", "messages": [{"role": "user"}, {"content": {"a": 1}}]}'),
      ),
      'conversation item: messages[1].content: expected a string',
    );
  });

  it('accepts a UTF-8 byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id": 1, "name": "A"}')]);
    assert.deepEqual(decoded(decodeItem('character', bytes)).item, { id: '1', name: 'A' });
  });
});

describe('ids and paths', () => {
  it('takes a missing id from the manifest or the file name', () => {
    assert.equal(decoded(decodeItem('prompt', '{"name": "p"}', { id: 'p9' })).item.id, 'p9');
    assert.equal(
      decoded(decodeItem('prompt', '{"name": "p"}', { path: 'content/prompts/prompt_12.json' })).item.id,
      '12',
    );
    assert.equal(decoded(decodeItem('prompt', '{"id": 3, "name": "p"}', { id: 'other' })).item.id, '3');
  });

  it('names embedding files by source like tldw', () => {
    assert.equal(itemPathFor('embedding', 'media:42'), 'content/embeddings/embedding_media_42.json');
    assert.equal(itemPathFor('embedding', 'collection:a/b'), 'content/embeddings/collection_a_b.json');
    assert.equal(itemPathFor('embedding', 'e1'), 'content/embeddings/embedding_e1.json');
    const collection = { embedding_set_id: 'docs', chunks: [] };
    assert.equal(encodeItem('embedding', collection).path, 'content/embeddings/collection_docs.json');
  });

  it('reads ids back from file names', () => {
    assert.equal(idFromItemPath('note', 'content/notes/note_42.md'), '42');
    assert.equal(idFromItemPath('generated_document', 'content/generated_documents/document_8.json'), '8');
    assert.equal(idFromItemPath('world_book', 'content/world_books/world_book_7.json'), '7');
    assert.equal(idFromItemPath('embedding', 'content/embeddings/embedding_media_3.json'), 'media:3');
    assert.equal(idFromItemPath('embedding', 'content/embeddings/collection_docs.json'), 'collection:docs');
    assert.equal(idFromItemPath('prompt', 'content/prompts/other.json'), undefined);
  });

  it('refuses ids that would escape their folder', () => {
    for (const id of ['../x', 'a/b', 'a\\b', '..', 'a\u0000b']) {
      assert.throws(
        () => encodeItem('prompt', { id, name: 'p', prompt_format: 'legacy' }),
        ValidationError,
        id,
      );
    }
    assert.throws(() => encodeItem('character', { name: 'no id' }), /needs an id/);
  });
});

describe('hostile keys', () => {
  it('never turns a "__proto__" key into a prototype', () => {
    const json = '{"id": 1, "name": "A", "extensions": {"__proto__": {"polluted": true}, "ok": 1}}';
    const { item } = decoded(decodeItem('character', json));
    const extensions = item.extensions as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(extensions), Object.prototype);
    assert.equal((extensions as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);

    const note = decoded(
      decodeItem('note', '---\nid: 1\ntitle: t\n__proto__: {polluted: true}\n---\n\nx'),
    ).item;
    assert.equal(Object.getPrototypeOf(note), Object.prototype);
    assert.equal((note as { polluted?: unknown }).polluted, undefined);
    const scanned = decoded(decodeItem('note', '---\nid: 1\ntitle: t\n__proto__: x\nbad: [\n---\n\nx')).item;
    assert.equal(Object.getPrototypeOf(scanned), Object.prototype);
  });
});
