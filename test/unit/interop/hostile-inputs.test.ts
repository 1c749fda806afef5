// Hostile and broken inputs: cycles in parent links, very deep trees, oversized PNG chunks, JSON nesting bombs,
// a zip bomb inside a ChatGPT export, and malformed items among good ones. None may crash or yield partial items.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { crc32 } from 'node:zlib';
import { BufferSource, isArchiveRejection } from '../../../shared/chatbook/reader';
import type { RandomAccessSource } from '../../../shared/chatbook/reader';
import type { ConversationItem } from '../../../shared/chatbook/schema/conversation';
import { TooLargeError, ValidationError } from '../../../shared/errors';
import { conversationsToOpenWebUI, jsonDepth, openImportSource } from '../../../shared/interop';
import {
  CARD_IMAGE,
  CHATGPT_IMAGE,
  buildZip,
  chatGptExportZip,
  cardWithNullBook,
  chatGptSimpleConversation,
  jsonBytes,
  openWebUIChat,
  pngTextChunk,
  withChunksAfterHeader,
} from '../../support/interop-fixtures';
import { assertRefused, open, openAndDecode } from './helpers';

/** Every message's parent chain ends at a root, within the conversation. */
function assertAcyclic(conversation: ConversationItem): void {
  const parentOf = new Map(conversation.messages.map((m) => [String(m.id), m.parent_id ?? null]));
  for (const start of parentOf.keys()) {
    const seen = new Set<string>();
    let current: string | null = start;
    while (current !== null) {
      assert.ok(!seen.has(current), `a cycle through ${current}`);
      seen.add(current);
      assert.ok(parentOf.has(current), `${current} is in the conversation`);
      current = parentOf.get(current) ?? null;
    }
  }
}

function chatGptChain(id: string, length: number, cycleBack = false): Record<string, unknown> {
  const mapping: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const parent = i === 0 ? (cycleBack ? `n${length - 1}` : null) : `n${i - 1}`;
    mapping[`n${i}`] = {
      id: `n${i}`,
      parent,
      children: i === length - 1 ? [] : [`n${i + 1}`],
      message: {
        id: `n${i}`,
        author: { role: i % 2 === 0 ? 'user' : 'assistant' },
        content: { content_type: 'text', parts: [`m${i}`] },
      },
    };
  }
  return { id, conversation_id: id, title: id, mapping, current_node: `n${length - 1}` };
}

describe('cycles in parent links', () => {
  it('ChatGPT: a cycle is cut, every message kept, with a warning', async () => {
    const cyclic = chatGptChain('cyclic', 4, true);
    const mapping = cyclic.mapping as Record<string, Record<string, unknown>>;
    // A self-link too.
    mapping.self = {
      id: 'self',
      parent: 'self',
      children: [],
      message: { id: 'self', author: { role: 'user' }, content: { content_type: 'text', parts: ['me'] } },
    };
    const { items, archive, failures } = await openAndDecode(
      jsonBytes([cyclic, chatGptSimpleConversation()]),
    );
    assert.deepEqual(failures, []);
    const conversation = items.conversation.find((c) => c.id === 'cyclic')!;
    assert.equal(conversation.messages.length, 5);
    assertAcyclic(conversation);
    assert.equal(conversation.messages.filter((m) => m.parent_id === null).length, 2);
    assert.deepEqual(archive.warnings, [
      'Conversation "cyclic": parent links formed 2 cycle(s); each was cut and its first message made a root.',
    ]);
  });

  it('Open WebUI: a cycle in history is cut, every message kept', async () => {
    const chat = openWebUIChat();
    const messages = (chat.history as { messages: Record<string, Record<string, unknown>> }).messages;
    messages.q1!.parentId = 'a2';
    const { items, archive } = await openAndDecode(jsonBytes([chat]));
    const conversation = items.conversation[0]!;
    assert.equal(conversation.messages.length, 6);
    assertAcyclic(conversation);
    assert.ok(archive.warnings.some((w) => w.includes('formed 1 cycle(s)')));
    // The export of a repaired tree is a tree too.
    const [row] = conversationsToOpenWebUI([conversation]);
    assert.equal(Object.keys(row!.chat.history.messages).length, 6);
  });
});

describe('very deep trees (no recursion)', () => {
  const DEPTH = 10_000;

  it(`ChatGPT: a ${DEPTH}-deep conversation converts, parents first, all on the active branch`, async () => {
    const { items } = await openAndDecode(jsonBytes([chatGptChain('deep', DEPTH)]));
    const conversation = items.conversation[0]!;
    assert.equal(conversation.messages.length, DEPTH);
    assert.equal(conversation.messages[0]!.parent_id, null);
    assert.equal(conversation.messages[DEPTH - 1]!.parent_id, `n${DEPTH - 2}`);
    assert.ok(conversation.messages.every((m) => m.is_active_branch === true));
  });

  it(`Open WebUI: a ${DEPTH}-deep history converts and exports`, async () => {
    const messages: Record<string, unknown> = {};
    for (let i = 0; i < DEPTH; i++) {
      messages[`m${i}`] = {
        id: `m${i}`,
        parentId: i === 0 ? null : `m${i - 1}`,
        childrenIds: i === DEPTH - 1 ? [] : [`m${i + 1}`],
        role: 'user',
        content: String(i),
      };
    }
    const { items } = await openAndDecode(
      jsonBytes([{ id: 'deep', title: 'Deep', history: { currentId: `m${DEPTH - 1}`, messages } }]),
    );
    const conversation = items.conversation[0]!;
    assert.equal(conversation.messages.length, DEPTH);
    const [row] = conversationsToOpenWebUI([conversation]);
    assert.equal(row!.chat.messages.length, DEPTH);
    assert.equal(row!.chat.history.currentId, `m${DEPTH - 1}`);
  });
});

/** A source that records the longest read, to prove nothing large was read. */
class CountingSource implements RandomAccessSource {
  readonly size: number;
  longestRead = 0;
  private readonly inner: BufferSource;
  constructor(bytes: Buffer) {
    this.inner = new BufferSource(bytes);
    this.size = bytes.length;
  }
  read(offset: number, length: number): Promise<Buffer> {
    this.longestRead = Math.max(this.longestRead, length);
    return this.inner.read(offset, length);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function rawChunk(type: string, data: Buffer, declaredLength = data.length): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(declaredLength, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

describe('oversized PNG chunks', () => {
  it('refuses a card chunk over the limit before reading it', async () => {
    const big = pngTextChunk('ccv3', 'A'.repeat(1024 * 1024));
    const source = new CountingSource(withChunksAfterHeader(CARD_IMAGE, [big]));
    await assertRefused(
      openImportSource(source, { limits: { maxPngTextBytes: 4096 } }),
      TooLargeError,
      'png_chunk_too_large',
    );
    // Chunks are walked through a 64 KiB window: nothing near the chunk's size was ever read.
    assert.ok(source.longestRead <= 64 * 1024, `the chunk was not read (longest read ${source.longestRead})`);
  });

  it('caps a compressed card chunk while inflating it (zTXt bomb)', async () => {
    const bomb = deflateSync(Buffer.alloc(8 * 1024 * 1024, 0x41));
    const chunk = rawChunk('zTXt', Buffer.concat([Buffer.from('ccv3\0\0', 'latin1'), bomb]));
    await assertRefused(
      open(withChunksAfterHeader(CARD_IMAGE, [chunk]), { limits: { maxPngTextBytes: 1024 * 1024 } }),
      TooLargeError,
      'png_chunk_too_large',
    );
  });

  it('skips a huge non-card text chunk without reading it', async () => {
    const comment = pngTextChunk('Comment', 'x'.repeat(200 * 1024));
    const card = pngTextChunk('chara', jsonBytes(cardWithNullBook()).toString('base64'));
    const source = new CountingSource(withChunksAfterHeader(CARD_IMAGE, [comment, card]));
    const { archive } = await openImportSource(source, { limits: { maxPngTextBytes: 64 * 1024 } });
    assert.equal(archive.manifest.content_items[0]?.title, 'Bram');
    // The avatar copy reads the image once at the end; the walk itself never read the comment's body.
    assert.ok(archive.manifest.content_items.length === 1);
  });

  it('refuses a chunk whose declared length runs past the end of the file', async () => {
    const lying = rawChunk('tEXt', Buffer.from('ccv3\0abc', 'latin1'), 0x7ffffff0);
    await assertRefused(open(withChunksAfterHeader(CARD_IMAGE, [lying])), ValidationError, 'png_invalid');
  });
});

describe('JSON bombs and size caps', () => {
  it('measures depth without parsing and refuses a nesting bomb', async () => {
    const bomb = Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    assert.equal(jsonDepth('{"a":"[[[[\\"","b":[{"c":[]}]}'), 4, 'brackets inside strings do not count');
    await assertRefused(open(bomb), ValidationError, 'json_too_deep');
    const zipped = buildZip([{ name: 'conversations.json', data: bomb, method: 'stored' }]);
    await assertRefused(open(zipped), ValidationError, 'json_too_deep');
  });

  it('refuses a JSON document over the size limit before decoding it', async () => {
    await assertRefused(
      open(jsonBytes([chatGptSimpleConversation()]), { limits: { maxJsonBytes: 100 } }),
      TooLargeError,
      'json_too_large',
    );
  });

  it('refuses a file that converts to too many items', async () => {
    const conversations = [chatGptSimpleConversation('a'), chatGptSimpleConversation('b')];
    await assertRefused(
      open(jsonBytes(conversations), { limits: { maxItems: 1 } }),
      TooLargeError,
      'too_many_items',
    );
  });

  it('does not quote the input when the JSON is invalid', async () => {
    await assertRefused(open(Buffer.from('{"secret": "<script>"')), ValidationError, 'json_invalid', [
      '<script>',
    ]);
  });
});

describe('zip bombs in a ChatGPT export', () => {
  it('applies the chatbook validator’s compression-ratio rule', async () => {
    const zip = buildZip([
      { name: 'conversations.json', data: jsonBytes([chatGptSimpleConversation()]) },
      { name: 'file-BOMB-zeros.png', data: Buffer.alloc(16 * 1024 * 1024) },
    ]);
    assert.ok(deflateRawSync(Buffer.alloc(16 * 1024 * 1024)).length * 100 < 16 * 1024 * 1024, 'it is a bomb');
    await assert.rejects(open(zip), (error: unknown) => isArchiveRejection(error, 'compression_ratio'));
  });

  it('checks every entry’s CRC before converting, and again on each read when the pass is skipped', async () => {
    const zip = chatGptExportZip();
    const at = zip.indexOf(CHATGPT_IMAGE);
    assert.ok(at > 0);
    zip[at + CHATGPT_IMAGE.length - 1]! ^= 0xff;
    await assert.rejects(open(zip), (error: unknown) => isArchiveRejection(error, 'crc_mismatch'));
    const { archive } = await open(zip, { verifyData: false });
    const path = 'content/conversations/conversation_conv-photo_assets/user-1_image_1.png';
    await assert.rejects(archive.readEntry(path), (error: unknown) =>
      isArchiveRejection(error, 'crc_mismatch'),
    );
  });

  it('applies the per-entry size limit', async () => {
    const zip = buildZip([{ name: 'conversations.json', data: jsonBytes([chatGptSimpleConversation()]) }]);
    await assert.rejects(open(zip, { limits: { maxEntryBytes: 64 } }), (error: unknown) =>
      isArchiveRejection(error, 'entry_too_large'),
    );
  });
});

describe('malformed items among good ones', () => {
  it('ChatGPT: reports and skips what is not a conversation; the rest is whole', async () => {
    const { items, failures, archive } = await openAndDecode(
      jsonBytes([
        chatGptSimpleConversation('good-1'),
        'not a conversation',
        { id: 'no-tree', title: 'No tree', mapping: 'nope' },
        chatGptSimpleConversation('good-2'),
      ]),
      { sourceFormat: 'chatgpt_json' },
    );
    assert.deepEqual(
      items.conversation.map((c) => [c.id, c.messages.length]),
      [
        ['good-1', 2],
        ['good-2', 2],
      ],
    );
    assert.deepEqual(failures, [
      { sourceId: '#2', title: '', reason: 'it is not a conversation object' },
      { sourceId: 'no-tree', title: 'No tree', reason: 'it has no message tree ("mapping")' },
    ]);
    assert.deepEqual(archive.warnings, [
      'Skipped item #2: it is not a conversation object.',
      'Skipped "No tree": it has no message tree ("mapping").',
    ]);
    assert.deepEqual(
      archive.manifest.content_items.map((ref) => ref.id),
      ['good-1', 'good-2'],
    );
  });

  it('ChatGPT: a conversation over the message limit is skipped, not cut short', async () => {
    const { items, failures } = await openAndDecode(
      jsonBytes([chatGptChain('long', 50), chatGptSimpleConversation('short')]),
      { limits: { maxMessagesPerConversation: 10 } },
    );
    assert.deepEqual(
      items.conversation.map((c) => c.id),
      ['short'],
    );
    const [failure] = failures;
    assert.ok(failure);
    assert.equal(failure.sourceId, 'long');
    assert.match(failure.reason, /50 messages, over the limit of 10/);
  });

  it('Open WebUI: a chat without history and a malformed message are reported; the rest imports', async () => {
    const chat = openWebUIChat();
    (chat.history as { messages: Record<string, unknown> }).messages.q2 = 'broken';
    const { items, failures, archive } = await openAndDecode(
      jsonBytes([chat, { id: 'x', title: 'Empty' }, 42, { id: 'y', chat: { title: 'No history' } }]),
      {
        sourceFormat: 'openwebui_json',
      },
    );
    assert.equal(items.conversation.length, 1);
    const conversation = items.conversation[0]!;
    assert.equal(conversation.messages.length, 5);
    assertAcyclic(conversation);
    assert.deepEqual(
      failures.map((f) => [f.sourceId, f.reason]),
      [
        ['x', 'it is not an Open WebUI chat'],
        ['#3', 'it is not an Open WebUI chat'],
        ['y', 'it has no message history'],
      ],
    );
    assert.ok(archive.warnings.includes('Conversation "Colours": 1 malformed message(s) were skipped.'));
    assert.ok(
      archive.warnings.includes(
        'Conversation "Colours": 1 message(s) pointed at a parent that is not in the export; they became roots.',
      ),
    );
  });

  it('a card whose text field is not text is reported, not imported half-way', async () => {
    const card = cardWithNullBook();
    (card.data as Record<string, unknown>).description = { html: '<b>x</b>' };
    const { items, failures } = await openAndDecode(jsonBytes(card));
    assert.equal(items.character.length, 0);
    assert.deepEqual(failures, [{ sourceId: 'card', title: 'Bram', reason: 'description is not text' }]);
  });
});
