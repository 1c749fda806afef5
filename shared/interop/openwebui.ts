/**
 * Open WebUI chat exports, both ways. Read: a JSON list of chats, each either a row `{id, user_id, title, chat,
 * created_at, updated_at, …}` (Open WebUI ≥ 0.6.20) or the bare chat `{title, models, history, messages, …}`; the
 * `history` tree (`messages` keyed by id, `parentId`, `childrenIds`, `currentId`) is kept whole. Write: rows with
 * the wrapper, `history.messages` and the flat `messages` of the active branch, as Open WebUI imports them.
 */
import { conversationAssetPath } from '../chatbook/layout';
import type {
  ConversationItem,
  ConversationMessage,
  MessageAttachment,
} from '../chatbook/schema/conversation';
import { branchTo, latestLeaf, shapeTree } from './message-tree';
import type { TreeNodeInput } from './message-tree';
import type { ImportSourceLimits } from './source-format';
import {
  epochSeconds,
  fileSafe,
  idText,
  isPlainObject,
  isoTime,
  objectOf,
  omitKeys,
  setOwn,
  stringList,
  stringOf,
  textOf,
  titleFromText,
  type ItemIds,
  type JsonObject,
} from './values';
import { ItemFiles, bufferFile, shortTitle, type VirtualChatbookBuilder } from './virtual-archive';

/** A chat as an Open WebUI row (`chat-export-<ms>.json` holds a list of these). */
export interface OpenWebUIChatRow {
  id: string;
  user_id: string;
  title: string;
  chat: OpenWebUIChat;
  created_at: number;
  updated_at: number;
  share_id: string | null;
  archived: boolean;
  pinned: boolean;
  meta: JsonObject;
  folder_id: string | null;
  [key: string]: unknown;
}

export interface OpenWebUIChat {
  id: string;
  title: string;
  models: string[];
  history: { currentId: string | null; messages: Record<string, OpenWebUIMessage> };
  messages: OpenWebUIMessage[];
  tags: unknown[];
  timestamp: number;
  [key: string]: unknown;
}

export interface OpenWebUIMessage {
  id: string;
  parentId: string | null;
  childrenIds: string[];
  role: string;
  content: unknown;
  timestamp?: number;
  model?: string;
  [key: string]: unknown;
}

function chatOf(element: JsonObject): { chat: JsonObject; row: JsonObject | undefined } | undefined {
  const wrapped = objectOf(element.chat);
  if (wrapped) return { chat: wrapped, row: element };
  if (isPlainObject(element.history) || Array.isArray(element.messages))
    return { chat: element, row: undefined };
  return undefined;
}

/** Whether a parsed JSON value is an Open WebUI chat export (a list of rows or bare chats, or one of them). */
export function isOpenWebUIExport(value: unknown): boolean {
  const elements = Array.isArray(value) ? value.slice(0, 5) : [value];
  return elements.some((element) => {
    if (!isPlainObject(element)) return false;
    const found = chatOf(element);
    return found !== undefined && isPlainObject(objectOf(found.chat.history)?.messages);
  });
}

export interface OpenWebUIConversionInput {
  builder: VirtualChatbookBuilder;
  ids: ItemIds;
  limits: ImportSourceLimits;
}

/** Message keys read into the message's own fields; all others stay under `openwebui`. */
const READ_MESSAGE_KEYS = [
  'id',
  'parentId',
  'parent_id',
  'childrenIds',
  'children_ids',
  'role',
  'content',
  'timestamp',
  'model',
];
const READ_CHAT_KEYS = ['id', 'title', 'history', 'messages'];
const READ_ROW_KEYS = ['id', 'title', 'chat', 'created_at', 'updated_at'];

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+);base64,/i;
const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/**
 * The message's files as attachments. Images inlined as data URLs become bundled files (and their URL in the kept
 * `files` is replaced by the attachment's name); other files are references only.
 */
function attachmentsOf(
  files: unknown,
  conversationId: string,
  messageId: string,
  input: OpenWebUIConversionInput,
  bundled: ItemFiles,
): { attachments: MessageAttachment[]; files: unknown } {
  if (!Array.isArray(files)) return { attachments: [], files };
  const attachments: MessageAttachment[] = [];
  const kept = files.map((file: unknown, position) => {
    const object = objectOf(file);
    if (!object) return file;
    const url = stringOf(object.url);
    const match = url === undefined ? null : DATA_URL.exec(url);
    const mimeType = match?.[1]?.toLowerCase();
    const nested = objectOf(object.file);
    const name = stringOf(object.name) ?? stringOf(nested?.filename) ?? stringOf(nested?.name);
    if (url !== undefined && match && mimeType !== undefined) {
      const encodedLength = url.length - match[0].length;
      // Checked before decoding: base64 is 4 characters per 3 bytes.
      if (Math.floor((encodedLength * 3) / 4) <= input.limits.maxEntryBytes) {
        const bytes = Buffer.from(url.slice(match[0].length), 'base64');
        const path = bundled.add(
          conversationAssetPath(
            conversationId,
            `${fileSafe(messageId)}_image_${position + 1}.${EXTENSIONS[mimeType] ?? 'bin'}`,
          ),
          bufferFile(bytes),
        );
        const fileName = path.slice(path.lastIndexOf('/') + 1);
        attachments.push({
          type: 'image',
          mime_type: mimeType,
          file_path: path,
          bundled: true,
          size_bytes: bytes.length,
          ...(name ? { name } : {}),
        });
        return { ...object, url: null, bundled_as: fileName };
      }
    }
    attachments.push(
      omitKeys(
        {
          type: stringOf(object.type) ?? 'file',
          mime_type: mimeType ?? stringOf(nested?.meta && objectOf(nested.meta)?.content_type),
          file_path: null,
          bundled: false,
          name,
          url: match ? undefined : url,
          source_id: idText(object.id),
        },
        [],
      ) as MessageAttachment,
    );
    return file;
  });
  return { attachments, files: kept };
}

/** The history's messages keyed by id, from `history.messages` or (older exports) the flat list. */
function historyMessages(
  chat: JsonObject,
): { messages: JsonObject; currentId: string | undefined } | undefined {
  const history = objectOf(chat.history);
  const keyed = objectOf(history?.messages);
  if (keyed) return { messages: keyed, currentId: idText(history?.currentId) ?? idText(history?.current_id) };
  if (!Array.isArray(chat.messages)) return undefined;
  // A flat list only: ids from the list (or positions), each message the child of the one before unless it says.
  const messages: JsonObject = {};
  let previous: string | undefined;
  const list: unknown[] = chat.messages;
  for (let position = 0; position < list.length; position++) {
    const object = objectOf(list[position]);
    if (!object) continue;
    const id = idText(object.id) ?? `m${position + 1}`;
    const parent =
      'parentId' in object || 'parent_id' in object
        ? (idText(object.parentId) ?? idText(object.parent_id) ?? null)
        : (previous ?? null);
    setOwn(messages, id, { ...object, id, parentId: parent });
    previous = id;
  }
  return { messages, currentId: previous };
}

function convertChat(element: unknown, position: number, input: OpenWebUIConversionInput): void {
  const { builder, ids, limits } = input;
  const object = objectOf(element);
  const found = object ? chatOf(object) : undefined;
  const chat = found?.chat;
  const row = found?.row;
  const sourceId =
    idText(row?.id) ??
    idText(row?.chat_id) ??
    idText(chat?.id) ??
    idText(chat?.chat_id) ??
    idText(object?.id) ??
    `#${position + 1}`;
  const givenTitle =
    textOf(chat?.title) ??
    textOf(row?.title) ??
    textOf(chat?.name) ??
    (chat ? undefined : textOf(object?.title));
  const fail = (reason: string) => {
    builder.fail({ sourceId, title: givenTitle ?? '', reason });
  };
  if (!chat) {
    fail('it is not an Open WebUI chat');
    return;
  }
  const history = historyMessages(chat);
  if (!history) {
    fail('it has no message history');
    return;
  }
  const keys = Object.keys(history.messages);
  if (keys.length > limits.maxMessagesPerConversation) {
    fail(
      `it has ${keys.length} messages, over the limit of ${limits.maxMessagesPerConversation} per conversation`,
    );
    return;
  }

  const warnings: string[] = [];
  const nodes: TreeNodeInput[] = [];
  const messageOf = new Map<string, JsonObject>();
  let malformed = 0;
  for (const key of keys) {
    const message = objectOf(history.messages[key]);
    if (!message) {
      malformed++;
      continue;
    }
    messageOf.set(key, message);
    const children = message.childrenIds ?? message.children_ids;
    nodes.push({
      id: key,
      parent: idText(message.parentId) ?? idText(message.parent_id) ?? null,
      children: stringList(children),
    });
  }
  if (malformed > 0) warnings.push(`${malformed} malformed message(s) were skipped`);
  const tree = shapeTree(nodes);
  if (tree.cycleBreaks.length > 0)
    warnings.push(
      `parent links formed ${tree.cycleBreaks.length} cycle(s); each was cut and its first message made a root`,
    );
  if (tree.orphans.length > 0)
    warnings.push(
      `${tree.orphans.length} message(s) pointed at a parent that is not in the export; they became roots`,
    );
  let current = history.currentId;
  if (current === undefined || !tree.parentOf.has(current)) {
    if (current !== undefined)
      warnings.push('its current message is not in the export; the newest branch is marked active');
    current = latestLeaf(tree);
  }
  const active = current === undefined ? new Set<string>() : branchTo(tree, current);

  const itemId = ids.take(
    'conversation',
    sourceId.startsWith('#') ? undefined : sourceId,
    `openwebui${position}`,
    'openwebui',
  );
  const bundled = new ItemFiles();
  const messages: ConversationMessage[] = [];
  for (const id of tree.order) {
    const message = messageOf.get(id)!;
    const content = message.content;
    const { attachments, files } = attachmentsOf(message.files, itemId, id, input, bundled);
    const openwebui: JsonObject = omitKeys(message, READ_MESSAGE_KEYS);
    if (files !== undefined) openwebui.files = files;
    if (typeof content !== 'string' && content !== undefined) openwebui.content = content;
    if (idText(message.id) !== undefined && idText(message.id) !== id) openwebui.message_id = message.id;
    messages.push(
      omitKeys(
        {
          id,
          parent_id: tree.parentOf.get(id) ?? null,
          role: stringOf(message.role) ?? 'user',
          content:
            typeof content === 'string' ? content : content === undefined ? '' : JSON.stringify(content),
          timestamp: isoTime(message.timestamp),
          model: stringOf(message.model),
          is_active_branch: active.has(id),
          attachments: attachments.length > 0 ? attachments : undefined,
          openwebui: Object.keys(openwebui).length > 0 ? openwebui : undefined,
        },
        [],
      ) as ConversationMessage,
    );
  }

  const name =
    givenTitle ??
    (titleFromText(messages.find((m) => m.role === 'user')?.content ?? '') || 'Open WebUI chat');
  const hasFiles = messages.some((m) => m.attachments?.some((a) => a.bundled === true));
  const item = omitKeys(
    {
      id: itemId,
      name,
      created_at: isoTime(row?.created_at ?? chat.timestamp),
      updated_at: isoTime(row?.updated_at),
      attachments_path: hasFiles ? conversationAssetPath(itemId, '').replace(/\/$/, '') : undefined,
      messages,
      metadata: {
        source_format: 'openwebui',
        source_id: sourceId,
        current_message_id: current ?? null,
        openwebui: omitKeys(
          {
            wrapped: row !== undefined,
            row: row ? omitKeys(row, READ_ROW_KEYS) : undefined,
            chat: omitKeys(chat, READ_CHAT_KEYS),
            chat_id: idText(chat.id),
          },
          [],
        ),
      },
    },
    [],
  ) as ConversationItem;
  const added = builder.addItem(
    'conversation',
    item,
    {
      title: name,
      sourceId,
      created_at: item.created_at as string | undefined,
      updated_at: item.updated_at as string | undefined,
      metadata: { message_count: messages.length },
    },
    bundled,
  );
  if (added) for (const warning of warnings) builder.warn(`Conversation "${shortTitle(name)}": ${warning}.`);
}

/** Converts an Open WebUI export (a list, or a single chat) into the builder. */
export function convertOpenWebUIExport(value: unknown, input: OpenWebUIConversionInput): void {
  const elements: readonly unknown[] = Array.isArray(value) ? value : [value];
  elements.forEach((element, position) => {
    convertChat(element, position, input);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

export interface OpenWebUIExportOptions {
  /** The `user_id` of each row (Open WebUI replaces it with the importing user). Default ''. */
  userId?: string;
  /** Restores an image bundled from a data URL: returns the data URL for the attachment, if the caller has it. */
  dataUrlFor?: (conversation: ConversationItem, attachment: MessageAttachment) => string | undefined;
}

/** Our fields of a message that are not Open WebUI's. */
const OUR_MESSAGE_KEYS = [
  'id',
  'parent_id',
  'role',
  'content',
  'timestamp',
  'model',
  'is_active_branch',
  'attachments',
  'citations',
  'openwebui',
  'chatgpt',
];

function messageIds(messages: readonly ConversationMessage[]): string[] {
  const used = new Set<string>();
  return messages.map((message, position) => {
    let id = idText(message.id) ?? `m${position + 1}`;
    for (let n = 2; used.has(id); n++) id = `${idText(message.id) ?? 'm'}-${n}`;
    used.add(id);
    return id;
  });
}

/** The Open WebUI row for one conversation. */
export function conversationToOpenWebUI(
  conversation: ConversationItem,
  options: OpenWebUIExportOptions = {},
): OpenWebUIChatRow {
  const metadata = objectOf(conversation.metadata);
  const kept = metadata?.source_format === 'openwebui' ? objectOf(metadata.openwebui) : undefined;
  const keptRow = objectOf(kept?.row) ?? {};
  const keptChat = objectOf(kept?.chat) ?? {};
  const messages = conversation.messages;
  const ids = messageIds(messages);
  const idOf = new Map<string, string>();
  messages.forEach((message, position) => {
    const own = idText(message.id);
    if (own !== undefined && !idOf.has(own)) idOf.set(own, ids[position]!);
  });
  // Without any parent link the conversation is a plain list: each message answers the one before.
  const linked = messages.some((message) => message.parent_id !== undefined);
  const parents = messages.map((message, position) => {
    if (!linked) return position === 0 ? null : ids[position - 1]!;
    const parent = idText(message.parent_id);
    return parent === undefined ? null : (idOf.get(parent) ?? null);
  });
  const nodes: TreeNodeInput[] = ids.map((id, position) => ({ id, parent: parents[position] }));
  const tree = shapeTree(nodes);

  const declared = idText(metadata?.current_message_id);
  let currentId = declared !== undefined ? idOf.get(declared) : undefined;
  if (currentId === undefined) {
    const activeLeaf = [...messages.keys()]
      .reverse()
      .find((position) => messages[position]!.is_active_branch === true);
    currentId = activeLeaf === undefined ? latestLeaf(tree) : ids[activeLeaf];
  }

  const historyMessages: Record<string, OpenWebUIMessage> = {};
  const childrenOf = new Map<string, string[]>();
  for (const id of tree.order) {
    const parent = tree.parentOf.get(id) ?? null;
    if (parent !== null) {
      let list = childrenOf.get(parent);
      if (!list) childrenOf.set(parent, (list = []));
      list.push(id);
    }
  }
  const models = new Set<string>();
  messages.forEach((message, position) => {
    const id = ids[position]!;
    const extras = objectOf(message.openwebui) ?? {};
    const model = stringOf(message.model);
    if (model && message.role === 'assistant') models.add(model);
    const files = Array.isArray(extras.files)
      ? extras.files.map((file: unknown) => {
          const object = objectOf(file);
          const bundledAs = stringOf(object?.bundled_as);
          if (!object || bundledAs === undefined) return file;
          // In a chatbook the attachment names its file by path; once imported, by file id (the file's name).
          const attachment = message.attachments?.find(
            (a) => a.file_id === bundledAs || stringOf(a.file_path)?.endsWith(`/${bundledAs}`),
          );
          const url = attachment ? options.dataUrlFor?.(conversation, attachment) : undefined;
          return omitKeys({ ...object, url: url ?? null }, ['bundled_as']);
        })
      : undefined;
    const timestamp = epochSeconds(message.timestamp);
    setOwn(historyMessages, id, {
      ...omitKeys(extras, ['content', 'message_id', 'files']),
      ...omitKeys(message, OUR_MESSAGE_KEYS),
      id,
      parentId: tree.parentOf.get(id) ?? null,
      childrenIds: childrenOf.get(id) ?? [],
      role: message.role,
      content: extras.content !== undefined ? extras.content : message.content,
      ...(timestamp === undefined ? {} : { timestamp }),
      ...(model ? { model } : {}),
      ...(files ? { files } : {}),
    } satisfies OpenWebUIMessage);
  });
  const activeBranch = currentId === undefined ? new Set<string>() : branchTo(tree, currentId);
  const flat = tree.order.filter((id) => activeBranch.has(id)).map((id) => historyMessages[id]!);

  const created = epochSeconds(conversation.created_at) ?? 0;
  const updated = epochSeconds(conversation.updated_at) ?? created;
  const chatId = idText(kept?.chat_id) ?? conversation.id;
  const chat: OpenWebUIChat = {
    models: [...models],
    tags: [],
    timestamp: created * 1000,
    ...keptChat,
    id: chatId,
    title: conversation.name,
    history: { currentId: currentId ?? null, messages: historyMessages },
    messages: flat,
  };
  return {
    user_id: options.userId ?? '',
    share_id: null,
    archived: false,
    pinned: false,
    meta: {},
    folder_id: null,
    ...keptRow,
    id: conversation.id,
    title: conversation.name,
    chat,
    created_at: created,
    updated_at: updated,
  };
}

/** Conversations as an Open WebUI chat export (the current shape: a list of rows with the wrapper). */
export function conversationsToOpenWebUI(
  conversations: readonly ConversationItem[],
  options: OpenWebUIExportOptions = {},
): OpenWebUIChatRow[] {
  return conversations.map((conversation) => conversationToOpenWebUI(conversation, options));
}
