// Files users bring from other tools, built in code: ChatGPT exports, Open WebUI chats, SillyTavern cards (PNG,
// JSON, CHARX) and lorebooks. Unit tests and the integration tests through the local cloud share them.
import { crc32, deflateRawSync } from 'node:zlib';
import { placeholderPng } from '../../shared/interop/png-card';

export interface ZipInput {
  name: string;
  data: Buffer | string;
  /** Default: deflate. */
  method?: 'stored' | 'deflate';
}

/** A plain, valid ZIP (no ZIP64, no data descriptors) of the given files. */
export function buildZip(files: readonly ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const data = typeof file.data === 'string' ? Buffer.from(file.data, 'utf8') : file.data;
    const name = Buffer.from(file.name, 'utf8');
    const stored = file.method === 'stored';
    const body = stored ? data : deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2), 'utf8');
}

// --- ChatGPT ------------------------------------------------------------------------------------------------------

/** The image a ChatGPT user uploaded, as the export's `file-IMG123-photo.png`. */
export const CHATGPT_IMAGE = placeholderPng('chatgpt image', 8);
export const CHATGPT_IMAGE_ENTRY = 'file-IMG123-photo.png';

function chatGptNode(
  id: string,
  parent: string | null,
  children: string[],
  message: Record<string, unknown> | null,
): Record<string, unknown> {
  return { id, message, parent, children };
}

function chatGptMessage(
  id: string,
  role: string,
  content: Record<string, unknown>,
  createTime: number,
  metadata: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    author: { role, name: null, metadata: {} },
    create_time: createTime,
    update_time: null,
    content,
    status: 'finished_successfully',
    end_turn: role === 'assistant' ? true : null,
    weight: 1,
    metadata,
    recipient: 'all',
  };
}

/**
 * A branched conversation: a hidden empty system node (dropped), a system message, a user message with an image,
 * two answers to it (the second a regeneration, with a web citation), then a follow-up answered with code.
 * The active branch goes through the regeneration.
 */
export function chatGptConversation(): Record<string, unknown> {
  const t = 1_717_236_000;
  return {
    title: 'Photo question',
    create_time: t + 0.5,
    update_time: t + 90.25,
    mapping: {
      'client-created-root': chatGptNode('client-created-root', null, ['hidden-system'], null),
      'hidden-system': chatGptNode(
        'hidden-system',
        'client-created-root',
        ['system'],
        chatGptMessage('hidden-system', 'system', { content_type: 'text', parts: [''] }, t, {
          is_visually_hidden_from_conversation: true,
        }),
      ),
      system: chatGptNode(
        'system',
        'hidden-system',
        ['user-1'],
        chatGptMessage('system', 'system', { content_type: 'text', parts: ['Answer briefly.'] }, t + 1, {
          is_user_system_message: true,
        }),
      ),
      'user-1': chatGptNode(
        'user-1',
        'system',
        ['answer-1', 'answer-2'],
        chatGptMessage(
          'user-1',
          'user',
          {
            content_type: 'multimodal_text',
            parts: [
              {
                content_type: 'image_asset_pointer',
                asset_pointer: 'file-service://file-IMG123',
                size_bytes: CHATGPT_IMAGE.length,
                width: 8,
                height: 8,
              },
              'What is in this picture?',
            ],
          },
          t + 10,
          {
            attachments: [
              { id: 'file-IMG123', name: 'photo.png', mime_type: 'image/png', size: CHATGPT_IMAGE.length },
            ],
          },
        ),
      ),
      'answer-1': chatGptNode(
        'answer-1',
        'user-1',
        [],
        chatGptMessage('answer-1', 'assistant', { content_type: 'text', parts: ['A square.'] }, t + 20, {
          model_slug: 'gpt-4o',
        }),
      ),
      'answer-2': chatGptNode(
        'answer-2',
        'user-1',
        ['user-2'],
        chatGptMessage(
          'answer-2',
          'assistant',
          { content_type: 'text', parts: ['A teal square [1].'] },
          t + 30,
          {
            citations: [
              {
                start_ix: 14,
                end_ix: 17,
                metadata: {
                  type: 'webpage',
                  title: 'Teal',
                  url: 'https://example.com/teal',
                  text: 'Teal is a colour.',
                },
              },
            ],
          },
        ),
      ),
      'user-2': chatGptNode(
        'user-2',
        'answer-2',
        ['answer-3'],
        chatGptMessage('user-2', 'user', { content_type: 'text', parts: ['Show it in Python.'] }, t + 40),
      ),
      'answer-3': chatGptNode(
        'answer-3',
        'user-2',
        [],
        chatGptMessage(
          'answer-3',
          'assistant',
          { content_type: 'code', language: 'python', text: 'print("teal")' },
          t + 50,
          { model_slug: 'gpt-4o' },
        ),
      ),
    },
    moderation_results: [],
    current_node: 'answer-3',
    plugin_ids: null,
    conversation_id: 'conv-photo',
    conversation_template_id: null,
    gizmo_id: 'g-custom',
    is_archived: false,
    safe_urls: ['https://example.com/teal'],
    default_model_slug: 'gpt-4o-mini',
    id: 'conv-photo',
  };
}

/** A plain two-message conversation. */
export function chatGptSimpleConversation(id = 'conv-simple', title = 'Hello'): Record<string, unknown> {
  const t = 1_717_300_000;
  return {
    title,
    create_time: t,
    update_time: t + 5,
    mapping: {
      root: chatGptNode('root', null, ['q'], null),
      q: chatGptNode(
        'q',
        'root',
        ['a'],
        chatGptMessage('q', 'user', { content_type: 'text', parts: ['Hi'] }, t),
      ),
      a: chatGptNode(
        'a',
        'q',
        [],
        chatGptMessage('a', 'assistant', { content_type: 'text', parts: ['Hello!'] }, t + 1),
      ),
    },
    current_node: 'a',
    conversation_id: id,
    id,
    default_model_slug: 'gpt-4o',
  };
}

/** A ChatGPT data export ZIP: conversations.json (the two conversations above), user.json, chat.html, the image. */
export function chatGptExportZip(
  conversations: unknown[] = [chatGptConversation(), chatGptSimpleConversation()],
): Buffer {
  return buildZip([
    { name: 'conversations.json', data: jsonBytes(conversations) },
    { name: 'user.json', data: jsonBytes({ id: 'user-1', email: 'someone@example.com' }) },
    { name: 'message_feedback.json', data: jsonBytes([]) },
    { name: 'chat.html', data: '<html><body>chats</body></html>' },
    { name: CHATGPT_IMAGE_ENTRY, data: CHATGPT_IMAGE, method: 'stored' },
  ]);
}

/** The split form: one JSON file per conversation, no conversations.json. */
export function chatGptSplitExportZip(): Buffer {
  return buildZip([
    { name: 'conversations/conv-photo.json', data: jsonBytes(chatGptConversation()) },
    { name: 'conversations/conv-simple.json', data: jsonBytes(chatGptSimpleConversation()) },
    { name: 'user.json', data: jsonBytes({ id: 'user-1' }) },
    { name: CHATGPT_IMAGE_ENTRY, data: CHATGPT_IMAGE, method: 'stored' },
  ]);
}

// --- Open WebUI ---------------------------------------------------------------------------------------------------

/**
 * A chat with a branch: the user edited their second question, so `q2` has a sibling `q2b`; the current message
 * is the answer on the edited branch.
 */
export function openWebUIChat(): Record<string, unknown> {
  const t = 1_717_400_000;
  const message = (
    id: string,
    parentId: string | null,
    childrenIds: string[],
    role: string,
    content: string,
    offset: number,
    extra: Record<string, unknown> = {},
  ) => ({ id, parentId, childrenIds, role, content, timestamp: t + offset, ...extra });
  const messages = {
    q1: message('q1', null, ['a1'], 'user', 'Name a colour.', 0, { models: ['llama3:8b'] }),
    a1: message('a1', 'q1', ['q2', 'q2b'], 'assistant', 'Teal.', 1, {
      model: 'llama3:8b',
      modelName: 'Llama 3',
      done: true,
      info: { eval_count: 3 },
    }),
    q2: message('q2', 'a1', ['a2'], 'user', 'Another?', 2),
    a2: message('a2', 'q2', [], 'assistant', 'Ochre.', 3, { model: 'llama3:8b', done: true }),
    q2b: message('q2b', 'a1', ['a2b'], 'user', 'Another one, warmer?', 4),
    a2b: message('a2b', 'q2b', [], 'assistant', 'Vermilion.', 5, {
      model: 'llama3:8b',
      done: true,
      output: [{ type: 'reasoning', content: [{ type: 'output_text', text: 'warm colours' }], duration: 1 }],
    }),
  };
  return {
    id: 'owui-chat-1',
    title: 'Colours',
    models: ['llama3:8b'],
    params: { temperature: 0.7 },
    history: { currentId: 'a2b', messages },
    messages: [messages.q1, messages.a1, messages.q2b, messages.a2b],
    tags: [],
    timestamp: t * 1000,
    files: [],
  };
}

/** An Open WebUI export: rows with the wrapper (≥ 0.6.20), or the bare chats older versions wrote. */
export function openWebUIExport(options: { wrapped: boolean }): Buffer {
  const chat = openWebUIChat();
  if (!options.wrapped) return jsonBytes([chat]);
  return jsonBytes([
    {
      id: 'owui-chat-1',
      user_id: 'user-7',
      title: 'Colours',
      chat,
      created_at: 1_717_400_000,
      updated_at: 1_717_400_005,
      share_id: null,
      archived: false,
      pinned: true,
      meta: { tags: ['art'] },
      folder_id: 'folder-2',
    },
  ]);
}

// --- Character cards ----------------------------------------------------------------------------------------------

/** A V3 card with a lorebook (two entries, one with `null` = use the global setting), extensions and unknown keys. */
export function cardV3(): Record<string, unknown> {
  return {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data: {
      name: 'Aria',
      description: '{{char}} guides travellers.',
      personality: 'calm',
      scenario: 'A mountain pass.',
      first_mes: 'Welcome, traveller.',
      mes_example: '<START>\n{{user}}: Hi\n{{char}}: Hello.',
      creator_notes: 'Made for tests.',
      system_prompt: 'Stay in character.',
      post_history_instructions: 'Be brief.',
      alternate_greetings: ['Ah, a visitor.'],
      character_book: {
        name: 'Pass lore',
        description: 'Places on the pass',
        scan_depth: 4,
        token_budget: 512,
        recursive_scanning: false,
        extensions: { chub: { id: 5 } },
        entries: [
          {
            keys: ['bridge'],
            content: 'An old rope bridge.',
            extensions: { position: 0, probability: 100, scan_depth: null },
            enabled: true,
            insertion_order: 50,
            case_sensitive: null,
            use_regex: false,
            id: 1,
            comment: 'bridge',
            name: 'Bridge',
            priority: 10,
            selective: true,
            secondary_keys: ['rope'],
            constant: false,
            position: 'before_char',
          },
          {
            keys: ['inn'],
            content: '@@depth 2\nA warm inn.',
            extensions: {},
            enabled: false,
            insertion_order: 120,
            case_sensitive: true,
            use_regex: true,
            id: 2,
          },
        ],
      },
      tags: ['guide', 'fantasy'],
      creator: 'tester',
      character_version: '1.2',
      extensions: {
        talkativeness: '0.5',
        depth_prompt: { prompt: 'x', depth: 4 },
        custom_ns: { keep: [1, 2] },
      },
      group_only_greetings: ['Hello, everyone.'],
      assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }],
      nickname: 'Ari',
      creator_notes_multilingual: { fr: 'Pour les tests.' },
      source: ['https://example.com/aria'],
      creation_date: 1_700_000_000,
      modification_date: 1_700_000_500,
      x_custom_field: { kept: true },
    },
    x_top_level: 'kept too',
  };
}

/** The V2 form of the same character (what older tools read from the `chara` chunk). */
export function cardV2(): Record<string, unknown> {
  const v3Only = new Set([
    'group_only_greetings',
    'assets',
    'nickname',
    'creator_notes_multilingual',
    'source',
    'creation_date',
    'modification_date',
  ]);
  const data = Object.fromEntries(
    Object.entries(cardV3().data as Record<string, unknown>).filter(([key]) => !v3Only.has(key)),
  );
  data.description = 'The V2 description (older tools).';
  return { spec: 'chara_card_v2', spec_version: '2.0', data };
}

/** A V2 card whose `character_book` is null (absent), as many tools write it. */
export function cardWithNullBook(): Record<string, unknown> {
  return {
    spec: 'chara_card_v2',
    spec_version: '2.0',
    data: {
      name: 'Bram',
      description: 'A blacksmith.',
      personality: '',
      scenario: '',
      first_mes: 'Need a blade?',
      mes_example: '',
      creator_notes: '',
      system_prompt: '',
      post_history_instructions: '',
      alternate_greetings: [],
      character_book: null,
      tags: [],
      creator: '',
      character_version: '',
      extensions: {},
    },
  };
}

/** A V1 (flat) card. */
export function cardV1(): Record<string, unknown> {
  return {
    name: 'Cora',
    description: 'A cartographer.',
    personality: 'precise',
    scenario: 'A map room.',
    first_mes: 'Where to?',
    mes_example: '',
    avatar: 'none',
  };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function pngTextChunk(keyword: string, text: string): Buffer {
  return pngChunk(
    'tEXt',
    Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from(text, 'latin1')]),
  );
}

/** Inserts chunks right after IHDR of a PNG. */
export function withChunksAfterHeader(png: Buffer, chunks: readonly Buffer[]): Buffer {
  const headerEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, headerEnd), ...chunks, png.subarray(headerEnd)]);
}

/** The image the PNG card carries (without its card chunks). */
export const CARD_IMAGE = placeholderPng('aria', 16);

/** A SillyTavern PNG card: another tEXt chunk (`Software`) first, then `chara` (V2) and `ccv3` (V3). */
export function pngCard(): Buffer {
  return withChunksAfterHeader(CARD_IMAGE, [
    pngTextChunk('Software', 'test-suite'),
    pngTextChunk('chara', jsonBytes(cardV2()).toString('base64')),
    pngTextChunk('ccv3', jsonBytes(cardV3()).toString('base64')),
  ]);
}

/** A CHARX: card.json (V3) with the main icon and one emotion image in the ZIP. */
export function charx(): Buffer {
  const card = cardV3();
  const data = card.data as Record<string, unknown>;
  data.assets = [
    { type: 'icon', uri: 'embeded://assets/icon/images/main.png', name: 'main', ext: 'png' },
    { type: 'emotion', uri: 'embeded://assets/emotion/images/happy.png', name: 'happy', ext: 'png' },
  ];
  return buildZip([
    { name: 'card.json', data: jsonBytes(card) },
    { name: 'assets/icon/images/main.png', data: CARD_IMAGE, method: 'stored' },
    { name: 'assets/emotion/images/happy.png', data: placeholderPng('happy', 8), method: 'stored' },
  ]);
}

// --- Lorebooks ----------------------------------------------------------------------------------------------------

function worldInfoEntry(uid: number, key: string[], content: string, extra: Record<string, unknown> = {}) {
  return {
    uid,
    key,
    keysecondary: [],
    comment: `entry ${uid}`,
    content,
    constant: false,
    vectorized: false,
    selective: true,
    selectiveLogic: 0,
    addMemo: true,
    order: 100,
    position: 0,
    disable: false,
    excludeRecursion: false,
    preventRecursion: false,
    delayUntilRecursion: false,
    probability: 100,
    useProbability: true,
    depth: 4,
    group: '',
    groupOverride: false,
    groupWeight: 100,
    scanDepth: null,
    caseSensitive: null,
    matchWholeWords: null,
    useGroupScoring: null,
    automationId: '',
    role: null,
    sticky: 0,
    cooldown: 0,
    delay: 0,
    displayIndex: uid,
    triggers: [],
    ...extra,
  };
}

/** A SillyTavern World Info file: `entries` keyed by uid. */
export function worldInfoObjectForm(): Buffer {
  return jsonBytes({
    entries: {
      '0': worldInfoEntry(0, ['castle'], 'A ruined castle.'),
      '1': worldInfoEntry(1, ['river', 'ford'], 'A shallow ford.', {
        position: 4,
        disable: true,
        order: 7,
        caseSensitive: true,
        matchWholeWords: false,
        characterFilter: { isExclude: false, names: ['Aria'] },
      }),
    },
  });
}

/** The same kind of file with `entries` as a list (SillyTavern PR #5921). */
export function worldInfoArrayForm(): Buffer {
  return jsonBytes({
    name: 'Valley',
    entries: [worldInfoEntry(3, ['mill'], 'A water mill.'), worldInfoEntry(4, ['bell'], 'A bell tower.')],
  });
}

/** A standalone spec lorebook (`lorebook_v3`). */
export function specLorebook(): Buffer {
  const book = (cardV3().data as Record<string, unknown>).character_book;
  return jsonBytes({ spec: 'lorebook_v3', data: book });
}
