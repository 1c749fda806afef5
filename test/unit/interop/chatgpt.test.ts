// ChatGPT exports → conversation items: the whole mapping tree with its branches, the active branch, system
// messages, citations, code, images from the ZIP; and the import engine reading the converted archive unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationItem, ConversationMessage } from '../../../shared/chatbook/schema/conversation';
import {
  ImportIdentities,
  importItems,
  planImport,
  type ImportOptions,
} from '../../../shared/imports/import-items';
import {
  CHATGPT_IMAGE,
  chatGptConversation,
  chatGptExportZip,
  chatGptSimpleConversation,
  chatGptSplitExportZip,
  jsonBytes,
} from '../../support/interop-fixtures';
import { MemoryImportRecords } from '../../support/memory-import-records';
import { MemoryLibraryStore } from '../../support/memory-library-store';
import { byId, openAndDecode } from './helpers';

function message(conversation: ConversationItem, id: string): ConversationMessage {
  return byId(conversation.messages, id);
}

describe('ChatGPT export ZIP', () => {
  it('lists one conversation item per conversation, with a manifest that says where they came from', async () => {
    const { format, archive, failures, items } = await openAndDecode(chatGptExportZip());
    assert.equal(format, 'chatgpt_zip');
    assert.deepEqual(failures, []);
    assert.equal(archive.manifest.version, '1.1.0');
    assert.equal(archive.manifest.name, 'ChatGPT export');
    assert.match(archive.manifest.description, /ChatGPT data export: 2 items/);
    assert.deepEqual(
      archive.manifest.content_items.map((ref) => [ref.type, ref.id, ref.title, ref.file_path]),
      [
        [
          'conversation',
          'conv-photo',
          'Photo question',
          'content/conversations/conversation_conv-photo.json',
        ],
        ['conversation', 'conv-simple', 'Hello', 'content/conversations/conversation_conv-simple.json'],
      ],
    );
    assert.deepEqual(
      items.conversation.map((c) => c.id),
      ['conv-photo', 'conv-simple'],
    );
  });

  it('keeps every branch with its parent links, drops the empty system node and re-parents its child', async () => {
    const { items } = await openAndDecode(chatGptExportZip());
    const conversation = byId(items.conversation, 'conv-photo');
    assert.deepEqual(
      conversation.messages.map((m) => [m.id, m.parent_id, m.role]),
      [
        ['system', null, 'system'],
        ['user-1', 'system', 'user'],
        ['answer-1', 'user-1', 'assistant'],
        ['answer-2', 'user-1', 'assistant'],
        ['user-2', 'answer-2', 'user'],
        ['answer-3', 'user-2', 'assistant'],
      ],
    );
    assert.equal(conversation.name, 'Photo question');
    assert.equal(conversation.created_at, '2024-06-01T10:00:00.500Z');
    assert.equal(conversation.updated_at, '2024-06-01T10:01:30.250Z');
  });

  it('marks the active branch (current_node up to the root) and records the current message', async () => {
    const { items } = await openAndDecode(chatGptExportZip());
    const conversation = byId(items.conversation, 'conv-photo');
    assert.deepEqual(
      conversation.messages.filter((m) => m.is_active_branch === true).map((m) => m.id),
      ['system', 'user-1', 'answer-2', 'user-2', 'answer-3'],
    );
    assert.equal(message(conversation, 'answer-1').is_active_branch, false);
    const metadata = conversation.metadata as Record<string, unknown>;
    assert.equal(metadata.current_message_id, 'answer-3');
    assert.equal(metadata.source_format, 'chatgpt');
    assert.deepEqual(metadata.chatgpt, {
      moderation_results: [],
      plugin_ids: null,
      conversation_template_id: null,
      gizmo_id: 'g-custom',
      is_archived: false,
      safe_urls: ['https://example.com/teal'],
      default_model_slug: 'gpt-4o-mini',
    });
  });

  it('keeps the system message, its flags and the models (the default one when a message has none)', async () => {
    const { items } = await openAndDecode(chatGptExportZip());
    const conversation = byId(items.conversation, 'conv-photo');
    const system = message(conversation, 'system');
    assert.equal(system.content, 'Answer briefly.');
    assert.equal(system.timestamp, '2024-06-01T10:00:01.000Z');
    assert.deepEqual((system.chatgpt as Record<string, unknown>).metadata, { is_user_system_message: true });
    assert.equal(message(conversation, 'answer-1').model, 'gpt-4o');
    assert.equal(message(conversation, 'answer-2').model, 'gpt-4o-mini');
    assert.equal(message(conversation, 'user-1').model, undefined);
  });

  it('maps citations and keeps code with its language', async () => {
    const { items } = await openAndDecode(chatGptExportZip());
    const conversation = byId(items.conversation, 'conv-photo');
    assert.deepEqual(message(conversation, 'answer-2').citations, [
      {
        source_type: 'webpage',
        title: 'Teal',
        url: 'https://example.com/teal',
        excerpt: 'Teal is a colour.',
        start_ix: 14,
        end_ix: 17,
      },
    ]);
    const code = message(conversation, 'answer-3');
    assert.equal(code.content, 'print("teal")');
    assert.deepEqual((code.chatgpt as Record<string, unknown>).content, {
      content_type: 'code',
      language: 'python',
      text: 'print("teal")',
    });
    assert.equal((code.chatgpt as Record<string, unknown>).content_type, 'code');
  });

  it('attaches the image from the ZIP to its message, at a chatbook asset path', async () => {
    const { archive, items } = await openAndDecode(chatGptExportZip());
    const user = message(byId(items.conversation, 'conv-photo'), 'user-1');
    assert.equal(user.content, 'What is in this picture?');
    const path = 'content/conversations/conversation_conv-photo_assets/user-1_image_1.png';
    assert.deepEqual(user.attachments, [
      {
        type: 'image',
        mime_type: 'image/png',
        file_path: path,
        bundled: true,
        size_bytes: CHATGPT_IMAGE.length,
        name: 'photo.png',
        width: 8,
        height: 8,
        source_pointer: 'file-service://file-IMG123',
      },
    ]);
    assert.ok(archive.hasEntry(path));
    assert.ok((await archive.readEntry(path)).equals(CHATGPT_IMAGE));
    const streamed: Buffer[] = [];
    for await (const chunk of archive.openEntry(path)) streamed.push(chunk as Buffer);
    assert.ok(Buffer.concat(streamed).equals(CHATGPT_IMAGE));
    assert.equal(
      archive.entries.find((entry) => entry.name === path)?.uncompressedSize,
      CHATGPT_IMAGE.length,
    );
  });

  it('lists a file the export lacks without content, with a warning', async () => {
    const conversation = chatGptConversation();
    const zip = jsonBytes([conversation]);
    const { archive, items } = await openAndDecode(zip);
    const user = message(byId(items.conversation, 'conv-photo'), 'user-1');
    const [attachment] = user.attachments ?? [];
    assert.ok(attachment);
    assert.equal(attachment.bundled, false);
    assert.equal(attachment.file_path, null);
    assert.deepEqual(archive.warnings, [
      'Conversation "Photo question": 1 file(s) its messages refer to are not in the export; they are listed without content.',
    ]);
  });

  it('reads the split form (one JSON per conversation) into the same items', async () => {
    const whole = await openAndDecode(chatGptExportZip());
    const split = await openAndDecode(chatGptSplitExportZip());
    assert.deepEqual(split.items, whole.items);
  });

  it('gives conversations without an id a stable one and a title from the first question', async () => {
    const anonymous = chatGptSimpleConversation();
    delete anonymous.id;
    delete anonymous.conversation_id;
    anonymous.title = null;
    const first = await openAndDecode(jsonBytes([anonymous]));
    const second = await openAndDecode(jsonBytes([anonymous]));
    const conversation = first.items.conversation[0]!;
    assert.match(conversation.id, /^chatgpt-[0-9a-f]{20}$/);
    assert.equal(second.items.conversation[0]!.id, conversation.id);
    assert.equal(conversation.name, 'Hi');
  });
});

describe('the import engine on a converted ChatGPT export', () => {
  it('plans and imports the conversations and stores the image as the message’s file', async () => {
    const { archive } = await openAndDecode(chatGptExportZip());
    const options: ImportOptions = { strategy: 'skip', includeMedia: true, includeEmbeddings: true };
    const { items } = planImport(archive, options);
    assert.deepEqual(
      items.map((item) => [item.type, item.sourceId]),
      [
        ['conversation', 'conv-photo'],
        ['conversation', 'conv-simple'],
      ],
    );
    const library = new MemoryLibraryStore();
    const env = {
      userId: 'bob',
      jobId: 'job-chatgpt',
      now: new Date('2026-01-01T00:00:00Z'),
      library,
      records: new MemoryImportRecords(),
      source: { name: archive.manifest.name, exportId: null },
    };
    const { records } = await importItems(
      archive,
      items,
      { start: 0, end: items.length },
      options,
      env,
      new ImportIdentities(library, 'bob', 'job-chatgpt'),
    );
    assert.deepEqual(
      records.map((record) => record.outcome),
      ['imported', 'imported'],
    );
    const stored = await library.get('bob', 'conversation', records[0]!.targetId!);
    assert.ok(stored);
    assert.deepEqual(
      stored.files.map((file) => [file.fileId, file.mimeType, file.sizeBytes]),
      [['user-1_image_1.png', 'image/png', CHATGPT_IMAGE.length]],
    );
    const user = stored.content.messages.find((m) => m.id === 'user-1');
    assert.equal(user?.attachments?.[0]?.file_id, 'user-1_image_1.png');
    assert.equal(stored.content.messages.length, 6);
  });
});
