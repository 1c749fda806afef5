// Open WebUI chat exports both ways: the history tree (both wrapper shapes) into conversation items, and
// conversations out as the current export shape, round-tripping the tree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationItem } from '../../../shared/chatbook/schema/conversation';
import { conversationsToOpenWebUI } from '../../../shared/interop';
import { chatGptExportZip, jsonBytes, openWebUIChat, openWebUIExport } from '../../support/interop-fixtures';
import { byId, openAndDecode } from './helpers';

/** The tree of a conversation as the tests compare it. */
function treeOf(conversation: ConversationItem) {
  return {
    messages: conversation.messages.map((m) => [m.id, m.parent_id, m.role, m.content, m.timestamp]),
    active: conversation.messages.filter((m) => m.is_active_branch === true).map((m) => m.id),
    current: (conversation.metadata as Record<string, unknown>).current_message_id,
  };
}

const EXPECTED_TREE = {
  messages: [
    ['q1', null, 'user', 'Name a colour.', '2024-06-03T07:33:20.000Z'],
    ['a1', 'q1', 'assistant', 'Teal.', '2024-06-03T07:33:21.000Z'],
    ['q2', 'a1', 'user', 'Another?', '2024-06-03T07:33:22.000Z'],
    ['a2', 'q2', 'assistant', 'Ochre.', '2024-06-03T07:33:23.000Z'],
    ['q2b', 'a1', 'user', 'Another one, warmer?', '2024-06-03T07:33:24.000Z'],
    ['a2b', 'q2b', 'assistant', 'Vermilion.', '2024-06-03T07:33:25.000Z'],
  ],
  active: ['q1', 'a1', 'q2b', 'a2b'],
  current: 'a2b',
};

describe('Open WebUI import', () => {
  for (const wrapped of [true, false]) {
    it(`keeps the history tree and currentId (${wrapped ? 'with' : 'without'} the row wrapper)`, async () => {
      const { format, items, failures } = await openAndDecode(openWebUIExport({ wrapped }));
      assert.equal(format, 'openwebui_json');
      assert.deepEqual(failures, []);
      assert.equal(items.conversation.length, 1);
      const conversation = items.conversation[0]!;
      assert.equal(conversation.id, 'owui-chat-1');
      assert.equal(conversation.name, 'Colours');
      assert.deepEqual(treeOf(conversation), EXPECTED_TREE);
    });
  }

  it('keeps Open WebUI’s own message fields and the row and chat fields for the way back', async () => {
    const { items } = await openAndDecode(openWebUIExport({ wrapped: true }));
    const conversation = items.conversation[0]!;
    const answer = byId(conversation.messages, 'a1');
    assert.equal(answer.model, 'llama3:8b');
    assert.deepEqual(answer.openwebui, { modelName: 'Llama 3', done: true, info: { eval_count: 3 } });
    assert.deepEqual(byId(conversation.messages, 'a2b').openwebui, {
      done: true,
      output: [{ type: 'reasoning', content: [{ type: 'output_text', text: 'warm colours' }], duration: 1 }],
    });
    const kept = (conversation.metadata as Record<string, Record<string, unknown>>).openwebui!;
    assert.equal(kept.wrapped, true);
    assert.deepEqual(kept.row, {
      user_id: 'user-7',
      share_id: null,
      archived: false,
      pinned: true,
      meta: { tags: ['art'] },
      folder_id: 'folder-2',
    });
    assert.deepEqual(kept.chat, {
      models: ['llama3:8b'],
      params: { temperature: 0.7 },
      tags: [],
      timestamp: 1_717_400_000_000,
      files: [],
    });
    assert.equal(conversation.created_at, '2024-06-03T07:33:20.000Z');
    assert.equal(conversation.updated_at, '2024-06-03T07:33:25.000Z');
  });

  it('bundles images inlined as data URLs as message files', async () => {
    const chat = openWebUIChat();
    const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
    const history = chat.history as { messages: Record<string, Record<string, unknown>> };
    history.messages.q1!.files = [{ type: 'image', url: `data:image/png;base64,${png.toString('base64')}` }];
    const { archive, items } = await openAndDecode(jsonBytes([chat]));
    const q1 = byId(items.conversation[0]!.messages, 'q1');
    const path = 'content/conversations/conversation_owui-chat-1_assets/q1_image_1.png';
    assert.deepEqual(q1.attachments, [
      { type: 'image', mime_type: 'image/png', file_path: path, bundled: true, size_bytes: png.length },
    ]);
    assert.ok((await archive.readEntry(path)).equals(png));
    assert.deepEqual((q1.openwebui as Record<string, unknown>).files, [
      { type: 'image', url: null, bundled_as: 'q1_image_1.png' },
    ]);
    // On the way out, the caller who holds the file gives its data URL back.
    const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
    const [row] = conversationsToOpenWebUI(items.conversation, {
      dataUrlFor: (_conversation, attachment) => (attachment.file_path === path ? dataUrl : undefined),
    });
    assert.deepEqual(row?.chat.history.messages.q1?.files, [{ type: 'image', url: dataUrl }]);
    assert.deepEqual(conversationsToOpenWebUI(items.conversation)[0]?.chat.history.messages.q1?.files, [
      { type: 'image', url: null },
    ]);
  });

  it('reads an old export that has only the flat message list', async () => {
    const { items } = await openAndDecode(
      jsonBytes([
        {
          title: 'Old',
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
          ],
        },
      ]),
      { sourceFormat: 'openwebui_json' },
    );
    assert.deepEqual(
      items.conversation[0]!.messages.map((m) => [m.id, m.parent_id, m.content, m.is_active_branch]),
      [
        ['m1', null, 'a', true],
        ['m2', 'm1', 'b', true],
      ],
    );
  });
});

describe('Open WebUI export', () => {
  it('writes the current shape: row wrapper, history with parentId/childrenIds/currentId, flat active branch', async () => {
    const { items } = await openAndDecode(openWebUIExport({ wrapped: false }));
    const [row] = conversationsToOpenWebUI(items.conversation, { userId: 'u1' });
    assert.ok(row);
    assert.equal(row.id, 'owui-chat-1');
    assert.equal(row.user_id, 'u1');
    assert.equal(row.title, 'Colours');
    assert.equal(row.created_at, 1_717_400_000);
    assert.deepEqual(
      [row.share_id, row.archived, row.pinned, row.folder_id, row.meta],
      [null, false, false, null, {}],
    );
    const { chat } = row;
    assert.equal(chat.history.currentId, 'a2b');
    assert.deepEqual(chat.history.messages.a1, {
      modelName: 'Llama 3',
      done: true,
      info: { eval_count: 3 },
      id: 'a1',
      parentId: 'q1',
      childrenIds: ['q2', 'q2b'],
      role: 'assistant',
      content: 'Teal.',
      timestamp: 1_717_400_001,
      model: 'llama3:8b',
    });
    assert.deepEqual(
      chat.messages.map((m) => m.id),
      ['q1', 'a1', 'q2b', 'a2b'],
    );
    assert.deepEqual(chat.models, ['llama3:8b']);
    assert.equal(chat.title, 'Colours');
  });

  it('round trips: conversations → Open WebUI JSON → import gives the same tree and fields', async () => {
    const first = await openAndDecode(openWebUIExport({ wrapped: true }));
    const exported = jsonBytes(conversationsToOpenWebUI(first.items.conversation));
    const second = await openAndDecode(exported);
    assert.equal(second.format, 'openwebui_json');
    assert.deepEqual(second.items.conversation, first.items.conversation);
  });

  it('round trips a ChatGPT conversation’s tree through Open WebUI', async () => {
    const { items } = await openAndDecode(chatGptExportZip());
    const source = byId(items.conversation, 'conv-photo');
    const [row] = conversationsToOpenWebUI([source]);
    assert.equal(row?.chat.history.currentId, 'answer-3');
    const back = await openAndDecode(jsonBytes([row]));
    const conversation = back.items.conversation[0]!;
    assert.deepEqual(
      conversation.messages.map((m) => [
        m.id,
        m.parent_id,
        m.role,
        m.content,
        m.timestamp,
        m.is_active_branch,
      ]),
      source.messages.map((m) => [
        m.id,
        m.parent_id,
        m.role,
        m.content,
        // Open WebUI keeps whole seconds.
        new Date(Math.floor(Date.parse(String(m.timestamp)) / 1000) * 1000).toISOString(),
        m.is_active_branch,
      ]),
    );
  });

  it('chains a conversation without parent links (a plain list) message after message', () => {
    const [row] = conversationsToOpenWebUI([
      {
        id: 'c1',
        name: 'Plain',
        messages: [
          { role: 'user', content: 'one' },
          { role: 'assistant', content: 'two' },
        ],
      },
    ]);
    assert.deepEqual(
      Object.values(row!.chat.history.messages).map((m) => [m.id, m.parentId, m.childrenIds]),
      [
        ['m1', null, ['m2']],
        ['m2', 'm1', []],
      ],
    );
    assert.equal(row!.chat.history.currentId, 'm2');
  });
});
