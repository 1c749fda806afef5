import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContentType } from '../../../../shared/chatbook/layout';
import {
  decodeBase64Vector,
  encodeBase64Vector,
  embeddingShapeOf,
} from '../../../../shared/chatbook/schema/embedding';
import { ITEM_SCHEMAS, itemIdOf, type ItemByType } from '../../../../shared/chatbook/schema/items';
import { formatIssues } from '../../../../shared/chatbook/schema/common';

function read<T extends ContentType>(type: T, input: unknown): ItemByType[T] {
  const result = ITEM_SCHEMAS[type].safeParse(input);
  if (!result.success) assert.fail(`${type}: ${formatIssues(result.error).join('; ')}`);
  return result.data;
}

function problems(type: ContentType, input: unknown): string[] {
  const result = ITEM_SCHEMAS[type].safeParse(input);
  if (result.success) assert.fail(`${type}: expected a failure`);
  return formatIssues(result.error);
}

describe('conversation', () => {
  it('reads tldw legacy keys for the title, role, content, timestamp and parent', () => {
    const conversation = read('conversation', {
      id: 5,
      conversation_title: 'Old chat',
      character_id: 1,
      attachments_path: null,
      messages: [
        { id: 10, sender: 'user', message: 'hi', created_at: '2024-01-01T00:00:00', parentId: 9, mood: 'ok' },
        { author: 'assistant', text: 'yo', parent_message_id: '10' },
        { from: 'system', content: 'c', timestamp: null },
      ],
    });
    assert.deepEqual(conversation, {
      id: '5',
      name: 'Old chat',
      character_id: '1',
      attachments_path: null,
      messages: [
        {
          id: '10',
          role: 'user',
          content: 'hi',
          timestamp: '2024-01-01T00:00:00',
          parent_id: '9',
          mood: 'ok',
        },
        { role: 'assistant', content: 'yo', parent_id: '10' },
        { role: 'system', content: 'c', timestamp: null },
      ],
    });
  });

  it('prefers the canonical key and keeps the other legacy one as an unknown field', () => {
    const conversation = read('conversation', { id: '1', name: 'Canonical', title: 'Legacy', messages: [] });
    assert.equal(conversation.name, 'Canonical');
    assert.equal(conversation.title, 'Legacy');
  });

  it('falls back to "Untitled", role user and empty content like tldw', () => {
    const conversation = read('conversation', { id: '1', name: '', messages: [{}] });
    assert.equal(conversation.name, 'Untitled');
    assert.deepEqual(conversation.messages, [{ role: 'user', content: '' }]);
  });

  it('keeps attachments, citations and the rag fields', () => {
    const message = {
      id: 'm1',
      role: 'assistant',
      content: 'answer',
      timestamp: '2024-01-01T00:00:00',
      attachments: [
        {
          type: 'image',
          mime_type: 'image/png',
          file_path: 'content/conversations/conversation_1_assets/m1_image_primary.png',
          bundled: true,
          primary: true,
        },
        { type: 'image', mime_type: 'image/jpeg', file_path: null, bundled: false, size_bytes: '9999999' },
      ],
      citations: [
        {
          id: 3,
          source_type: 'media',
          title: 'T',
          score: '0.9',
          excerpt: 'e',
          url: 'u',
          page_number: 2,
          chunk_id: 'c',
        },
      ],
      formal_citations: [{ style: 'apa' }],
      rag_settings: { top_k: 5 },
      rag_generated_answer: { text: 'a' },
      rag_search_query: 'q',
    };
    const [read_] = read('conversation', { id: '1', name: 'x', messages: [message] }).messages;
    assert.deepEqual(read_, {
      ...message,
      attachments: [message.attachments[0], { ...message.attachments[1], size_bytes: 9999999 }],
      citations: [{ ...message.citations[0], id: '3', score: 0.9 }],
    });
  });

  it('names the path of a bad message field', () => {
    assert.deepEqual(
      problems('conversation', { id: '1', messages: [{ role: 'user' }, { role: { x: 1 } }] }),
      ['messages[1].role: expected a string'],
    );
  });
});

describe('note', () => {
  it('reads keywords as tags and coerces the id', () => {
    assert.deepEqual(read('note', { id: 42, title: 'T', keywords: ['a', 'b'], content: 'body' }), {
      id: '42',
      title: 'T',
      tags: ['a', 'b'],
      content: 'body',
    });
  });

  it('requires a title', () => {
    assert.deepEqual(problems('note', { id: '1', content: 'x' }), ['title: required']);
  });
});

describe('character', () => {
  it('keeps the whole card row and coerces the id', () => {
    const row = {
      id: 3,
      name: 'Aria',
      description: 'd',
      personality: 'p',
      alternate_greetings: '["hi"]',
      extensions: { depth_prompt: { depth: 4 } },
      image: null,
      version: 2,
    };
    assert.deepEqual(read('character', row), { ...row, id: '3' });
  });

  it('requires a non-blank name (the conflict key)', () => {
    assert.deepEqual(problems('character', { id: 1 }), ['name: required']);
    assert.deepEqual(problems('character', { id: 1, name: '  ' }), ['name: must not be empty']);
  });
});

describe('world_book', () => {
  it('reads the legacy nested object and tolerant entry fields', () => {
    const book = read('world_book', {
      world_book: { id: 7, name: 'Old World', scan_depth: '3', enabled: 1 },
      entries: [
        {
          keywords: 'dragon, fire',
          content: 'Dragons breathe fire',
          priority: '100',
          enabled: 1,
          case_sensitive: 0,
          regex_match: false,
          whole_word_match: 'true',
          metadata: '{"k":1}',
          extra: 'kept',
        },
      ],
    });
    assert.deepEqual(book, {
      id: '7',
      name: 'Old World',
      scan_depth: 3,
      enabled: true,
      world_book: { id: '7', name: 'Old World', scan_depth: 3, enabled: true },
      entries: [
        {
          keywords: ['dragon', 'fire'],
          content: 'Dragons breathe fire',
          priority: 100,
          enabled: true,
          case_sensitive: false,
          regex_match: false,
          whole_word_match: true,
          metadata: { k: 1 },
          extra: 'kept',
        },
      ],
    });
  });

  it('reads tldw’s flattened shape as is', () => {
    const input = {
      name: 'Test World',
      description: 'd',
      scan_depth: 3,
      token_budget: 500,
      recursive_scanning: false,
      enabled: true,
      entries: [],
      world_book: {
        id: '7',
        name: 'Test World',
        description: 'd',
        scan_depth: 3,
        token_budget: 500,
        recursive_scanning: false,
        enabled: true,
      },
    };
    assert.deepEqual(read('world_book', input), { ...input, id: '7' });
  });
});

describe('dictionary', () => {
  it('reads every legacy entry key and normalizes type and probability', () => {
    const dictionary = read('dictionary', {
      id: 2,
      name: 'Slang',
      is_active: 1,
      entries: [
        { pattern: 'brb', content: 'be right back', is_regex: false, probability: 50, group_name: 'chat' },
        { key: '\\bty\\b', replacement: 'thank you', is_regex: 1, probability: 0.3, max_replacements: 0 },
        {
          key_pattern: 'x',
          replacement: 'y',
          type: 'Regex',
          timed_effects: { sticky: 2 },
          enabled: '0',
          case_sensitive: true,
        },
        { key_pattern: 'p', probability: '', max_replacements: '' },
      ],
    });
    assert.deepEqual(dictionary, {
      id: '2',
      name: 'Slang',
      is_active: true,
      entries: [
        {
          key_pattern: 'brb',
          replacement: 'be right back',
          type: 'literal',
          probability: 0.5,
          group: 'chat',
        },
        {
          key_pattern: '\\bty\\b',
          replacement: 'thank you',
          type: 'regex',
          probability: 0.3,
          max_replacements: 0,
        },
        {
          key_pattern: 'x',
          replacement: 'y',
          type: 'regex',
          timed_effects: { sticky: 2 },
          enabled: false,
          case_sensitive: true,
        },
        { key_pattern: 'p', replacement: '', type: 'literal' },
      ],
    });
  });

  it('refuses a probability outside 0..100 and an unknown entry type', () => {
    assert.deepEqual(
      problems('dictionary', {
        name: 'd',
        entries: [
          { key: 'a', probability: 150 },
          { key: 'b', type: 'glob' },
        ],
      }),
      [
        'entries[0].probability: must be between 0 and 1 (or 0 and 100)',
        'entries[1].type: expected "literal" or "regex"',
      ],
    );
  });
});

describe('prompt', () => {
  it('reads title/description, keywords text, and defaults the format to legacy', () => {
    assert.deepEqual(
      read('prompt', {
        id: 4,
        title: 'Summarize',
        description: 'd',
        author: null,
        user_prompt: 'u',
        keywords: 'a, b',
        prompt_schema_version: '2',
      }),
      {
        id: '4',
        name: 'Summarize',
        details: 'd',
        author: null,
        user_prompt: 'u',
        keywords: ['a', 'b'],
        prompt_schema_version: 2,
        prompt_format: 'legacy',
      },
    );
  });
});

describe('media', () => {
  it('reads transcript and chunk legacy keys, numeric strings and artifacts', () => {
    const media = read('media', {
      id: 42,
      title: 'Talk',
      type: 'video',
      vector_processing: 0,
      transcripts: [
        { id: 1, text: 'hello', model: 'whisper-1' },
        { content: 'second', whisper_model: 'large-v3' },
      ],
      chunks: [
        { chunk_text: 'c1', start_char: '0', end_char: 10, chunk_type: 'text', metadata: '{"page":1}' },
      ],
      stored_artifacts: [
        {
          id: 9,
          uuid: 'u',
          file_type: 'original',
          original_filename: 'talk.mp4',
          file_size: '2048',
          mime_type: 'video/mp4',
          checksum: 'abc',
          bundled: true,
          pointer_only: false,
          archive_path: 'content/media/files/media_42/file_9.mp4',
        },
      ],
    });
    assert.deepEqual(media, {
      id: '42',
      title: 'Talk',
      type: 'video',
      vector_processing: 0,
      transcripts: [
        { id: '1', transcription: 'hello', whisper_model: 'whisper-1' },
        { transcription: 'second', whisper_model: 'large-v3' },
      ],
      chunks: [{ text: 'c1', start_char: 0, end_char: 10, chunk_type: 'text', metadata: { page: 1 } }],
      stored_artifacts: [
        {
          id: '9',
          uuid: 'u',
          file_type: 'original',
          original_filename: 'talk.mp4',
          file_size: 2048,
          mime_type: 'video/mp4',
          checksum: 'abc',
          bundled: true,
          pointer_only: false,
          archive_path: 'content/media/files/media_42/file_9.mp4',
        },
      ],
    });
  });

  it('keeps null apart from absent', () => {
    const media = read('media', {
      id: '1',
      title: 't',
      url: null,
      transcripts: [{ transcription: 'x', whisper_model: null }],
    });
    assert.equal(media.url, null);
    assert.equal('author' in media, false);
    assert.equal(media.transcripts[0]?.whisper_model, null);
  });

  it('refuses a number field that is not a number', () => {
    assert.deepEqual(problems('media', { title: 't', chunks: [{ text: 'x', start_char: 'abc' }] }), [
      'chunks[0].start_char: expected a number or null',
    ]);
  });
});

describe('embedding', () => {
  it('reads tldw’s media vector shape', () => {
    const vector = encodeBase64Vector([0.5, -1, 2]);
    const input = { id: 'media:42', source: { media_id: 42, media_uuid: 'u' }, encoding: 'base64', vector };
    const item = read('embedding', input);
    assert.equal(embeddingShapeOf(item), 'media_vector');
    assert.deepEqual(item, { ...input, source: { media_id: '42', media_uuid: 'u' } });
    assert.deepEqual(decodeBase64Vector(vector), [0.5, -1, 2]);
  });

  it('reads tldw’s collection shape', () => {
    const input = {
      embedding_set_id: 'docs',
      source_hash: 'h',
      collection_metadata: { model: 'm' },
      item_count: 1,
      truncated: false,
      chunks: [{ id: 'c1', document: 'text', metadata: { media_id: 1 }, embedding: [0.1, 0.2] }],
    };
    const item = read('embedding', input);
    assert.equal(embeddingShapeOf(item), 'collection');
    assert.deepEqual(item, input);
    assert.equal(itemIdOf('embedding', item), 'collection:docs');
  });

  it('reads our vector form and checks its dimensions', () => {
    const item = read('embedding', {
      id: 'e1',
      source: { type: 'media', id: 42 },
      model: 'm',
      vector: [1, 2, 3],
    });
    assert.deepEqual(item, {
      id: 'e1',
      source: { type: 'media', id: '42' },
      model: 'm',
      vector: [1, 2, 3],
      dimensions: 3,
    });
    assert.deepEqual(
      problems('embedding', { id: 'e1', source: { type: 'media', id: '1' }, dimensions: 4, vector: [1] }),
      ['dimensions: is 4 but the vector has 1 values'],
    );
  });
});

describe('generated_document', () => {
  it('defaults the type to summary, coerces ids and reads "" numbers as absent', () => {
    assert.deepEqual(
      read('generated_document', {
        id: 8,
        title: 'Brief',
        content: 'c',
        conversation_id: 5,
        generation_time_ms: '',
        token_count: '120',
        provider: 'openai',
      }),
      {
        id: '8',
        title: 'Brief',
        content: 'c',
        conversation_id: '5',
        token_count: 120,
        provider: 'openai',
        document_type: 'summary',
      },
    );
  });
});

describe('evaluation', () => {
  it('decodes JSON columns and keeps every run (never capped)', () => {
    const runs = Array.from({ length: 500 }, (_, index) => ({
      id: index,
      config: '{"temperature":0}',
      status: 'completed',
      results: { score: index },
    }));
    const evaluation = read('evaluation', {
      id: 'ev1',
      name: 'QA',
      eval_spec: '{"metric":"f1"}',
      metadata: null,
      runs,
    });
    assert.deepEqual(evaluation.eval_spec, { metric: 'f1' });
    assert.equal(evaluation.metadata, null);
    assert.equal(evaluation.runs.length, 500);
    assert.deepEqual(evaluation.runs[499], {
      id: '499',
      config: { temperature: 0 },
      status: 'completed',
      results: { score: 499 },
    });
  });
});
