/**
 * ChatGPT data exports → conversation items. Every branch of the `mapping` tree is kept with its parent links and
 * the active one (`current_node` up to the root) is marked; empty system and structural nodes are dropped and
 * their children re-parented; citations, code, multimodal parts and files in the ZIP are kept. What the
 * conversation schema has no field for stays under `chatgpt` (per message) or `metadata.chatgpt`, verbatim.
 */
import { conversationAssetPath, mediaTypeOf } from '../chatbook/layout';
import type { ZipArchive } from '../chatbook/reader';
import type {
  ConversationItem,
  ConversationMessage,
  MessageAttachment,
} from '../chatbook/schema/conversation';
import { branchTo, latestLeaf, shapeTree } from './message-tree';
import type { TreeNodeInput } from './message-tree';
import type { ImportSourceLimits } from './source-format';
import {
  fileSafe,
  idText,
  isPlainObject,
  isoTime,
  numberOf,
  objectOf,
  omitKeys,
  stringOf,
  textOf,
  titleFromText,
  type ItemIds,
  type JsonObject,
} from './values';
import { ItemFiles, shortTitle, type VirtualChatbookBuilder, type VirtualFile } from './virtual-archive';

/** Files of the export ZIP, found by the id their pointers name (`file-service://file-XYZ` → `file-XYZ…`). */
/** The file id a pointer names: `file-service://file-XYZ` and `sediment://file_XYZ` → `file-XYZ`, `file_XYZ`. */
export function pointerFileId(pointer: string): string | undefined {
  return /^(file[-_][A-Za-z0-9]+)/.exec(pointer.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''))?.[1];
}

export class ChatGptFiles {
  private readonly byId = new Map<string, string>();

  constructor(private readonly zip: ZipArchive) {
    for (const entry of zip.entries) {
      if (entry.isDirectory) continue;
      const base = entry.name.slice(entry.name.lastIndexOf('/') + 1);
      const match = /^(file[-_][A-Za-z0-9]+)/.exec(base);
      if (!match || base.toLowerCase().endsWith('.json')) continue;
      if (!this.byId.has(match[1]!)) this.byId.set(match[1]!, entry.name);
    }
  }

  /** The ZIP entry a pointer or file id names, if the export holds it. */
  find(pointerOrId: string): { name: string; file: VirtualFile } | undefined {
    const id = pointerFileId(pointerOrId);
    const name = id === undefined ? undefined : this.byId.get(id);
    const info = name === undefined ? undefined : this.zip.entry(name);
    if (name === undefined || !info) return undefined;
    return {
      name,
      file: {
        size: info.uncompressedSize,
        crc32: info.crc32,
        read: () => this.zip.readEntry(name),
        stream: () => this.zip.openEntry(name),
      },
    };
  }
}

export interface ChatGptConversionInput {
  builder: VirtualChatbookBuilder;
  ids: ItemIds;
  limits: ImportSourceLimits;
  files?: ChatGptFiles;
}

/** Text of a message's content, whatever its `content_type`; undefined when there is none to show. */
function contentText(content: JsonObject): string {
  const type = stringOf(content.content_type) ?? 'text';
  const parts = Array.isArray(content.parts) ? content.parts : [];
  const partTexts = parts.flatMap((part: unknown) => {
    if (typeof part === 'string') return [part];
    const object = objectOf(part);
    // Voice messages carry their transcript as a part.
    if (object?.content_type === 'audio_transcription' && typeof object.text === 'string')
      return [object.text];
    return [];
  });
  switch (type) {
    case 'text':
    case 'multimodal_text':
      return partTexts.join('\n');
    case 'thoughts':
      return (Array.isArray(content.thoughts) ? content.thoughts : [])
        .map((thought: unknown) => {
          const object = objectOf(thought);
          return [stringOf(object?.summary), stringOf(object?.content)].filter(Boolean).join('\n');
        })
        .join('\n\n');
    case 'reasoning_recap':
      return stringOf(content.content) ?? '';
    case 'tether_browsing_display':
      return stringOf(content.result) ?? stringOf(content.summary) ?? '';
    case 'user_editable_context':
      return [stringOf(content.user_profile), stringOf(content.user_instructions)]
        .filter(Boolean)
        .join('\n\n');
    case 'model_editable_context':
      return stringOf(content.model_set_context) ?? '';
    default:
      if (typeof content.text === 'string') return content.text;
      if (partTexts.length > 0) return partTexts.join('\n');
      return '';
  }
}

/** Whether the message body says nothing and has nothing attached: such system nodes are dropped. */
function isEmptySystemMessage(message: JsonObject): boolean {
  const author = objectOf(message.author);
  if (author?.role !== 'system') return false;
  const content = objectOf(message.content);
  if (!content) return true;
  const parts = Array.isArray(content.parts) ? content.parts : [];
  if (parts.some((part: unknown) => typeof part !== 'string')) return false;
  return contentText(content).trim() === '' && objectOf(message.metadata)?.is_user_system_message !== true;
}

function citationsOf(message: JsonObject, content: JsonObject): JsonObject[] {
  const citations: JsonObject[] = [];
  const raw = objectOf(message.metadata)?.citations;
  if (Array.isArray(raw)) {
    for (const citation of raw) {
      const object = objectOf(citation);
      if (!object) continue;
      const meta = objectOf(object.metadata) ?? {};
      citations.push(
        omitKeys(
          {
            source_type: stringOf(meta.type) ?? 'webpage',
            title: stringOf(meta.title),
            url: stringOf(meta.url),
            excerpt: stringOf(meta.text),
            start_ix: numberOf(object.start_ix),
            end_ix: numberOf(object.end_ix),
          },
          [],
        ),
      );
    }
  }
  if (content.content_type === 'tether_quote') {
    citations.push(
      omitKeys(
        {
          source_type: 'tether_quote',
          title: stringOf(content.title),
          url: stringOf(content.url),
          excerpt: stringOf(content.text),
        },
        [],
      ),
    );
  }
  return citations;
}

function extensionOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  const slash = name.lastIndexOf('/');
  if (dot <= slash + 1) return undefined;
  const extension = name.slice(dot + 1).toLowerCase();
  return /^[a-z0-9]{1,8}$/.test(extension) ? extension : undefined;
}

const EXTENSIONS_BY_TYPE: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
};

interface AttachmentContext {
  conversationId: string;
  messageId: string;
  files: ChatGptFiles | undefined;
  /** The conversation's bundled files. */
  bundled: ItemFiles;
  missing: { count: number };
}

/** The attachment record for a file the message points at, bundling the ZIP entry when the export holds it. */
function attachFile(
  context: AttachmentContext,
  pointer: string,
  kind: 'image' | 'file',
  number: number,
  known: { mimeType?: string; name?: string; size?: number; width?: number; height?: number },
): MessageAttachment {
  const found = context.files?.find(pointer);
  const attachment: JsonObject = {
    type: kind,
    mime_type: known.mimeType ?? (found ? mediaTypeOf(found.name) : undefined),
    file_path: null,
    bundled: false,
    size_bytes: known.size,
    name: known.name,
    width: known.width,
    height: known.height,
    source_pointer: pointer,
  };
  if (found) {
    const extension =
      extensionOf(found.name) ?? (known.mimeType ? EXTENSIONS_BY_TYPE[known.mimeType] : undefined) ?? 'bin';
    const path = context.bundled.add(
      conversationAssetPath(
        context.conversationId,
        `${fileSafe(context.messageId)}_${kind}_${number}.${extension}`,
      ),
      found.file,
    );
    attachment.file_path = path;
    attachment.bundled = true;
    attachment.size_bytes = found.file.size;
    if (attachment.mime_type === 'application/octet-stream') attachment.mime_type = mediaTypeOf(path);
  } else {
    context.missing.count++;
  }
  return omitKeys(attachment, []) as MessageAttachment;
}

function attachmentsOf(
  message: JsonObject,
  content: JsonObject,
  context: AttachmentContext,
): MessageAttachment[] {
  const attachments: MessageAttachment[] = [];
  // Uploaded files as the message's metadata describes them, by file id: names and types for the image parts too.
  const uploads = new Map<string, JsonObject>();
  const listed = objectOf(message.metadata)?.attachments;
  if (Array.isArray(listed)) {
    for (const file of listed) {
      const object = objectOf(file);
      const id = idText(object?.id);
      if (object && id !== undefined && !uploads.has(id)) uploads.set(id, object);
    }
  }
  const described = (object: JsonObject | undefined) => {
    const mimeType = stringOf(object?.mime_type) ?? stringOf(object?.mimeType);
    return { mimeType, name: stringOf(object?.name), size: numberOf(object?.size) };
  };
  const used = new Set<string>();
  const parts = Array.isArray(content.parts) ? content.parts : [];
  for (const part of parts) {
    const object = objectOf(part);
    const pointer = stringOf(object?.asset_pointer);
    if (!object || object.content_type !== 'image_asset_pointer' || pointer === undefined) continue;
    const id = pointerFileId(pointer);
    if (id !== undefined) used.add(id);
    const upload = id === undefined ? undefined : described(uploads.get(id));
    attachments.push(
      attachFile(context, pointer, 'image', attachments.length + 1, {
        mimeType: upload?.mimeType,
        name: upload?.name,
        size: numberOf(object.size_bytes) ?? upload?.size,
        width: numberOf(object.width),
        height: numberOf(object.height),
      }),
    );
  }
  for (const [id, object] of uploads) {
    if (used.has(id)) continue;
    const upload = described(object);
    attachments.push(
      attachFile(
        context,
        id,
        upload.mimeType?.startsWith('image/') ? 'image' : 'file',
        attachments.length + 1,
        {
          ...upload,
          width: numberOf(object.width),
          height: numberOf(object.height),
        },
      ),
    );
  }
  return attachments;
}

/** Message keys read into the message's own fields; all others stay under `chatgpt`. */
const READ_MESSAGE_KEYS = ['id', 'author', 'create_time', 'content'];
/** Conversation keys read into the item's own fields; all others stay under `metadata.chatgpt`. */
const READ_CONVERSATION_KEYS = [
  'id',
  'conversation_id',
  'title',
  'create_time',
  'update_time',
  'mapping',
  'current_node',
];

/** Converts one conversation of the export into the builder, or reports why it cannot be and skips it. */
function convertConversation(raw: unknown, position: number, input: ChatGptConversionInput): void {
  const { builder, ids, limits } = input;
  const conversation = objectOf(raw);
  const sourceId = idText(conversation?.conversation_id) ?? idText(conversation?.id) ?? `#${position + 1}`;
  const title = textOf(conversation?.title) ?? '';
  const fail = (reason: string) => {
    builder.fail({ sourceId, title, reason });
  };
  if (!conversation) {
    fail('it is not a conversation object');
    return;
  }
  const mapping = objectOf(conversation.mapping);
  if (!mapping) {
    fail('it has no message tree ("mapping")');
    return;
  }
  const nodeIds = Object.keys(mapping);
  if (nodeIds.length > limits.maxMessagesPerConversation) {
    fail(
      `it has ${nodeIds.length} messages, over the limit of ${limits.maxMessagesPerConversation} per conversation`,
    );
    return;
  }

  const warnings: string[] = [];
  const nodes: TreeNodeInput[] = [];
  const messageOf = new Map<string, JsonObject>();
  let malformedNodes = 0;
  for (const key of nodeIds) {
    const node = objectOf(mapping[key]);
    if (!node) {
      malformedNodes++;
      continue;
    }
    const message = objectOf(node.message);
    if (message && !isEmptySystemMessage(message)) messageOf.set(key, message);
    nodes.push({
      id: key,
      parent: idText(node.parent) ?? null,
      children: Array.isArray(node.children)
        ? node.children.filter((c): c is string => typeof c === 'string')
        : [],
    });
  }
  if (malformedNodes > 0)
    warnings.push(`${malformedNodes} malformed node(s) of the message tree were skipped`);
  const tree = shapeTree(nodes);
  if (tree.cycleBreaks.length > 0)
    warnings.push(
      `parent links formed ${tree.cycleBreaks.length} cycle(s); each was cut and its first message made a root`,
    );
  if (tree.orphans.length > 0)
    warnings.push(
      `${tree.orphans.length} message(s) pointed at a parent that is not in the export; they became roots`,
    );

  // The nearest kept ancestor of every node: dropped nodes pass their children up.
  const anchor = new Map<string, string | null>();
  for (const id of tree.order) {
    const parent = tree.parentOf.get(id) ?? null;
    anchor.set(id, parent === null ? null : messageOf.has(parent) ? parent : (anchor.get(parent) ?? null));
  }
  let current = idText(conversation.current_node);
  if (current === undefined || !tree.parentOf.has(current)) {
    if (current !== undefined)
      warnings.push('its current message is not in the export; the newest branch is marked active');
    current = latestLeaf(tree);
  }
  const active = current === undefined ? new Set<string>() : branchTo(tree, current);
  // The current node may be a dropped one: the active leaf is its nearest kept ancestor.
  let currentMessage = current;
  while (currentMessage !== undefined && !messageOf.has(currentMessage))
    currentMessage = anchor.get(currentMessage) ?? undefined;

  const itemId = ids.take(
    'conversation',
    sourceId.startsWith('#') ? undefined : sourceId,
    `chatgpt${position}`,
    'chatgpt',
  );
  const defaultModel = stringOf(conversation.default_model_slug);
  const attachmentContext: AttachmentContext = {
    conversationId: itemId,
    messageId: '',
    files: input.files,
    bundled: new ItemFiles(),
    missing: { count: 0 },
  };
  const messages: ConversationMessage[] = [];
  for (const id of tree.order) {
    const message = messageOf.get(id);
    if (!message) continue;
    const author = objectOf(message.author) ?? {};
    const content = objectOf(message.content) ?? {};
    const role = stringOf(author.role) ?? 'user';
    attachmentContext.messageId = id;
    const attachments = attachmentsOf(message, content, attachmentContext);
    const citations = citationsOf(message, content);
    const metadata = objectOf(message.metadata);
    const model = stringOf(metadata?.model_slug) ?? (role === 'assistant' ? defaultModel : undefined);
    const chatgpt: JsonObject = {
      content_type: stringOf(content.content_type) ?? 'text',
      ...omitKeys(message, READ_MESSAGE_KEYS),
    };
    // The raw content is kept whenever the text alone does not say everything (code language, parts, pointers).
    const plainText =
      chatgpt.content_type === 'text' &&
      Array.isArray(content.parts) &&
      content.parts.every((part: unknown) => typeof part === 'string') &&
      Object.keys(content).every((key) => key === 'content_type' || key === 'parts');
    if (!plainText) chatgpt.content = content;
    if (Object.keys(omitKeys(author, ['role'])).length > 0) chatgpt.author = author;
    if (idText(message.id) !== undefined && idText(message.id) !== id) chatgpt.message_id = message.id;
    messages.push(
      omitKeys(
        {
          id,
          parent_id: anchor.get(id) ?? null,
          role,
          content: contentText(content),
          timestamp: isoTime(message.create_time),
          model,
          is_active_branch: active.has(id),
          attachments: attachments.length > 0 ? attachments : undefined,
          citations: citations.length > 0 ? citations : undefined,
          chatgpt,
        },
        [],
      ) as ConversationMessage,
    );
  }
  if (attachmentContext.missing.count > 0)
    warnings.push(
      `${attachmentContext.missing.count} file(s) its messages refer to are not in the export; they are listed without content`,
    );

  const name = title || titleFromText(messages.find((m) => m.role === 'user')?.content ?? '') || 'Untitled';
  const hasFiles = messages.some((m) => m.attachments?.some((a) => a.bundled === true));
  const item: ConversationItem = omitKeys(
    {
      id: itemId,
      name,
      created_at: isoTime(conversation.create_time),
      updated_at: isoTime(conversation.update_time),
      attachments_path: hasFiles ? conversationAssetPath(itemId, '').replace(/\/$/, '') : undefined,
      messages,
      metadata: {
        source_format: 'chatgpt',
        source_id: sourceId,
        current_message_id: currentMessage ?? null,
        chatgpt: omitKeys(conversation, READ_CONVERSATION_KEYS),
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
    attachmentContext.bundled,
  );
  if (added) for (const warning of warnings) builder.warn(`Conversation "${shortTitle(name)}": ${warning}.`);
}

/** Whether a parsed JSON value is one ChatGPT conversation (the split form) or the list of them. */
export function isChatGptConversation(value: unknown): boolean {
  return (
    isPlainObject(value) && isPlainObject(value.mapping) && ('current_node' in value || 'title' in value)
  );
}

export function isChatGptConversationList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.slice(0, 5).some(isChatGptConversation);
}

/** Converts a list of ChatGPT conversations into the builder; malformed ones are reported and skipped. */
export function convertChatGptConversations(
  conversations: readonly unknown[],
  input: ChatGptConversionInput,
): void {
  conversations.forEach((conversation, position) => {
    convertConversation(conversation, position, input);
  });
}
