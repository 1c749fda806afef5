/**
 * The entry point for anything a user uploads to import: tells the format apart by content (never by file name),
 * then either opens the chatbook as it is or converts the foreign file into a virtual chatbook whose items are
 * encoded exactly as a real chatbook's, so planImport/importItems and preview read it unchanged.
 */
import { isPlainObject } from '../chatbook/schema/common';
import type { ChatbookArchive, RandomAccessSource, ZipArchive } from '../chatbook/reader';
import { listZipFileNames, openChatbook, openZipArchive } from '../chatbook/reader';
import { characterAssetPath, mediaTypeOf } from '../chatbook/layout';
import { TooLargeError, UnprocessableError, ValidationError } from '../errors';
import { cardToItems, isCharacterCard, parseCard, type CardConversion } from './character-card';
import {
  ChatGptFiles,
  convertChatGptConversations,
  isChatGptConversation,
  isChatGptConversationList,
} from './chatgpt';
import { looksLikeJson, parseJsonDocument } from './json-document';
import { isLorebookFile, lorebookEntries, lorebookToWorldBook } from './lorebook';
import { convertOpenWebUIExport, isOpenWebUIExport } from './openwebui';
import { isPng, readPngCardText } from './png-card';
import {
  SOURCE_FORMATS,
  formatSize,
  isSourceFormat,
  jsonTooLarge,
  resolveImportLimits,
  sourceFormatMismatch,
  tooManyItems,
  unknownSourceFormat,
  type ImportSourceLimits,
  type SourceFormat,
} from './source-format';
import { ItemIds, fileSafe, objectOf, omitKeys, stringOf, textOf, type JsonObject } from './values';
import {
  ItemFiles,
  VirtualChatbookBuilder,
  bufferFile,
  shortTitle,
  type ConversionFailure,
  type VirtualFile,
} from './virtual-archive';

export interface OpenImportSourceOptions {
  limits?: Partial<ImportSourceLimits>;
  /** As for openChatbook: false skips the CRC pass over a ZIP already validated whole. */
  verifyData?: boolean;
  /** Overrides detection; a file that is not of this format is refused with `source_format_mismatch`. */
  sourceFormat?: SourceFormat;
  /** The uploaded file's name: used only to name what has no name inside (a World Info file), never to detect. */
  fileName?: string;
  /** The converted manifest's created_at. Default now. */
  now?: Date;
}

export interface ImportSource {
  format: SourceFormat;
  archive: ChatbookArchive;
  /** Source items that could not be converted (also in `archive.warnings`); empty for a chatbook. */
  failures: ConversionFailure[];
}

const ZIP_SIGNATURES = [0x04034b50, 0x06054b50];

function isZip(head: Buffer): boolean {
  return head.length >= 4 && ZIP_SIGNATURES.includes(head.readUInt32LE(0));
}

interface Conversion {
  builder: VirtualChatbookBuilder;
  ids: ItemIds;
  limits: ImportSourceLimits;
  now: Date;
}

function finish(
  conversion: Conversion,
  format: SourceFormat,
  name: string,
  description: string,
  close: () => Promise<void>,
): ImportSource {
  const { archive, failures } = conversion.builder.build({
    name,
    description,
    format,
    now: conversion.now,
    close,
  });
  return { format, archive, failures };
}

function countText(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function summary(conversion: Conversion, what: string): string {
  const failures = conversion.builder.failures.length;
  return `Converted on import from ${what}: ${countText(conversion.builder.itemCount, 'item')}${failures > 0 ? `, ${failures} skipped (see warnings)` : ''}.`;
}

function requireFormat(forced: SourceFormat | undefined, found: SourceFormat): void {
  if (forced !== undefined && forced !== found) throw sourceFormatMismatch(forced, found);
}

function notACard(where: string): UnprocessableError {
  return new UnprocessableError(
    'not_a_character_card',
    `${where} holds no character card we can read (V1, V2 or V3). Export the character again from the tool it came from.`,
  );
}

// --- Characters -------------------------------------------------------------------------------------------------

interface Avatar {
  file: VirtualFile;
  extension: string;
}

/** Adds a converted card's character (with its avatar) and its world book, linked. */
function addCard(
  conversion: Conversion,
  converted: CardConversion,
  sourceFormat: SourceFormat,
  avatar?: Avatar,
): void {
  const { builder } = conversion;
  const { character, worldBook, warnings } = converted;
  const name = shortTitle(character.name);
  const metadata: JsonObject = { ...(objectOf(character.metadata) ?? {}) };
  const files = new ItemFiles();
  if (avatar) {
    const path = files.add(characterAssetPath(character.id!, `avatar.${avatar.extension}`), avatar.file);
    metadata.avatar = {
      file_path: path,
      mime_type: mediaTypeOf(path),
      size_bytes: avatar.file.size,
      bundled: true,
    };
  }
  const added = builder.addItem(
    'character',
    { ...character, metadata },
    {
      title: character.name,
      sourceId: character.id!,
      tags: Array.isArray(character.tags)
        ? character.tags.filter((t): t is string => typeof t === 'string')
        : [],
      metadata: { source_format: sourceFormat },
    },
    files,
  );
  if (!added) return;
  for (const warning of warnings) builder.warn(`Character "${name}": ${warning}.`);
  if (!worldBook) return;
  if (worldBook.entries.length > conversion.limits.maxWorldBookEntries) {
    builder.fail({
      sourceId: worldBook.id!,
      title: worldBook.name,
      reason: `its lorebook has ${worldBook.entries.length} entries, over the limit of ${conversion.limits.maxWorldBookEntries}`,
    });
    return;
  }
  if (
    builder.addItem('world_book', worldBook, {
      title: worldBook.name,
      sourceId: worldBook.id!,
      metadata: { source_format: sourceFormat, character_id: character.id },
    })
  ) {
    builder.relate({
      source_id: character.id!,
      target_id: worldBook.id!,
      relationship_type: 'uses_world_book',
      metadata: { source_type: 'character', target_type: 'world_book' },
    });
  }
}

function convertCard(
  conversion: Conversion,
  value: unknown,
  sourceFormat: SourceFormat,
  where: string,
  avatar?: Avatar,
) {
  const card = parseCard(value);
  if (!card) throw notACard(where);
  const converted = cardToItems(card, { sourceFormat });
  if (!converted.ok) {
    const name = isPlainObject(card.data) ? (stringOf(card.data.name) ?? '') : '';
    conversion.builder.fail({ sourceId: 'card', title: name, reason: converted.reason });
    return undefined;
  }
  addCard(conversion, converted.value, sourceFormat, avatar);
  return converted.value.character.name;
}

function decodeCardText(text: string): Buffer {
  const trimmed = text.trim();
  // A few tools store the JSON itself instead of its base64.
  return trimmed.startsWith('{') ? Buffer.from(trimmed, 'utf8') : Buffer.from(trimmed, 'base64');
}

async function openPngCard(source: RandomAccessSource, conversion: Conversion): Promise<ImportSource> {
  const { limits, builder } = conversion;
  if (source.size > limits.maxArchiveBytes) {
    throw new TooLargeError(
      'file_too_large',
      `The image is ${formatSize(source.size)}, over the ${formatSize(limits.maxArchiveBytes)} upload limit. Export the character with a smaller image.`,
    );
  }
  const found = await readPngCardText(source, limits);
  const candidates = [
    ...(found.ccv3 === undefined ? [] : [{ keyword: 'ccv3', text: found.ccv3 }]),
    ...(found.chara === undefined ? [] : [{ keyword: 'chara', text: found.chara }]),
  ];
  if (candidates.length === 0) throw notACard('The PNG image');
  let card: unknown;
  for (const candidate of candidates) {
    try {
      const value = parseJsonDocument(
        decodeCardText(candidate.text),
        limits,
        `The card in the PNG (${candidate.keyword})`,
      );
      if (isCharacterCard(value)) {
        card = value;
        break;
      }
      builder.warn(`The PNG's ${candidate.keyword} text is not a character card; it was ignored.`);
    } catch (error) {
      // A damaged V3 chunk falls back to the V2 one; the last candidate's error is the file's.
      if (candidate === candidates.at(-1) || !(error instanceof ValidationError)) throw error;
      builder.warn(
        `The PNG's ${candidate.keyword} text could not be read (${error.message}); the other card chunk was used.`,
      );
    }
  }
  if (card === undefined) throw notACard('The PNG image');
  for (const warning of found.warnings) builder.warn(`The PNG: ${warning}.`);

  let avatar: Avatar | undefined;
  const imageBytes = found.imageSpans.reduce((sum, [start, end]) => sum + end - start, 0);
  if (imageBytes <= limits.maxEntryBytes) {
    const parts: Buffer[] = [];
    for (const [start, end] of found.imageSpans)
      parts.push(Buffer.from(await source.read(start, end - start)));
    avatar = { file: bufferFile(Buffer.concat(parts)), extension: 'png' };
  } else {
    builder.warn(`The card's image is ${formatSize(imageBytes)}, over the per-file limit; it was left out.`);
  }
  const name = convertCard(conversion, card, 'character_png', 'The PNG image', avatar);
  return finish(
    conversion,
    'character_png',
    `Character card: ${shortTitle(name ?? 'unnamed')}`,
    summary(conversion, 'a character card image (PNG)'),
    () => source.close(),
  );
}

/** CHARX asset URIs: `embeded://path` (the spec's spelling), `embedded://path`, or a plain path in the ZIP. */
function embeddedPath(uri: string): string | undefined {
  const match = /^(?:embedd?ed:\/\/)(.+)$/.exec(uri);
  return match ? match[1] : undefined;
}

async function convertCharx(zip: ZipArchive, conversion: Conversion): Promise<ImportSource> {
  const { limits, builder } = conversion;
  const entry = zip.entry('card.json')!;
  if (entry.uncompressedSize > limits.maxJsonBytes)
    throw jsonTooLarge('card.json', entry.uncompressedSize, limits.maxJsonBytes);
  const value = parseJsonDocument(await zip.readEntry('card.json'), limits, 'card.json');
  const card = parseCard(value);
  if (!card) throw notACard('The CHARX file');
  const assets = Array.isArray(card.data.assets)
    ? card.data.assets.map(objectOf).filter((a) => a !== undefined)
    : [];
  const icons = assets.filter((asset) => asset.type === 'icon');
  const icon = icons.find((asset) => asset.name === 'main') ?? icons[0];
  let avatar: Avatar | undefined;
  const iconPath = icon && typeof icon.uri === 'string' ? embeddedPath(icon.uri) : undefined;
  if (iconPath !== undefined) {
    const info = zip.entry(iconPath);
    if (info) {
      const extension = fileSafe(
        stringOf(icon?.ext)?.toLowerCase() ?? iconPath.slice(iconPath.lastIndexOf('.') + 1),
        'png',
      );
      avatar = {
        extension,
        file: {
          size: info.uncompressedSize,
          crc32: info.crc32,
          read: () => zip.readEntry(iconPath),
          stream: () => zip.openEntry(iconPath),
        },
      };
    } else {
      builder.warn('The CHARX names an icon that is not in the file; the character has no image.');
    }
  }
  const others = assets.filter(
    (asset) => asset !== icon && typeof asset.uri === 'string' && embeddedPath(asset.uri) !== undefined,
  );
  if (others.length > 0)
    builder.warn(
      `${countText(others.length, 'asset')} of the CHARX besides the main icon (backgrounds, emotions, …) were not imported; the card still lists them.`,
    );
  const name = convertCard(conversion, value, 'charx', 'The CHARX file', avatar);
  return finish(
    conversion,
    'charx',
    `Character card: ${shortTitle(name ?? 'unnamed')}`,
    summary(conversion, 'a CHARX character card'),
    () => zip.close(),
  );
}

// --- Lorebooks --------------------------------------------------------------------------------------------------

function convertLorebook(value: unknown, conversion: Conversion, fileName: string | undefined): string {
  const { builder, ids, limits } = conversion;
  const file = objectOf(value);
  if (!file) throw unknownSourceFormat('The file is not a lorebook object.');
  let book: JsonObject;
  let fileFields: JsonObject;
  const original = objectOf(file.originalData);
  if (file.spec === 'lorebook_v3' && objectOf(file.data)) {
    book = objectOf(file.data)!;
    fileFields = omitKeys(file, ['data']);
  } else if (!Array.isArray(file.entries) || original) {
    // SillyTavern World Info: book fields come from the card book it was made from, if it says.
    book = {
      ...(original ? omitKeys(original, ['entries']) : {}),
      ...omitKeys(file, ['entries', 'originalData']),
      entries: file.entries,
    };
    fileFields = original ? { originalData: original } : {};
  } else {
    book = file;
    fileFields = {};
  }
  const baseName = fileName?.replace(/^.*[/\\]/, '').replace(/\.[^.]*$/, '');
  const name = textOf(book.name)?.trim() ?? textOf(baseName)?.trim() ?? 'Imported lorebook';
  const entries = lorebookEntries(book.entries) ?? [];
  const sourceId = idOrName(book, name);
  if (entries.length > limits.maxWorldBookEntries) {
    builder.fail({
      sourceId,
      title: name,
      reason: `it has ${entries.length} entries, over the limit of ${limits.maxWorldBookEntries}`,
    });
    return name;
  }
  const id = ids.take('world_book', undefined, `lorebook\u0000${name}`, 'lorebook');
  const converted = lorebookToWorldBook(book, { id, name, sourceFormat: 'lorebook_json', fileFields });
  if (!converted) {
    builder.fail({ sourceId, title: name, reason: 'its entries are neither a list nor keyed by uid' });
    return name;
  }
  if (
    builder.addItem('world_book', converted.item, {
      title: converted.item.name,
      sourceId,
      description: stringOf(book.description) ?? null,
    }) &&
    converted.skippedEntries > 0
  )
    builder.warn(`Lorebook "${shortTitle(name)}": ${converted.skippedEntries} malformed entr(ies) left out.`);
  return converted.item.name;
}

function idOrName(book: JsonObject, name: string): string {
  return stringOf(book.id) ?? name;
}

// --- JSON documents ---------------------------------------------------------------------------------------------

/** What a parsed JSON document is, by shape. */
export function classifyJson(value: unknown): SourceFormat | undefined {
  if (isPlainObject(value) && (value.spec === 'chara_card_v2' || value.spec === 'chara_card_v3'))
    return 'character_json';
  if (isLorebookFile(value)) return 'lorebook_json';
  if (isCharacterCard(value)) return 'character_json';
  if (isChatGptConversationList(value) || isChatGptConversation(value)) return 'chatgpt_json';
  if (isOpenWebUIExport(value)) return 'openwebui_json';
  return undefined;
}

function conversationList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

async function openJson(
  source: RandomAccessSource,
  conversion: Conversion,
  options: OpenImportSourceOptions,
): Promise<ImportSource> {
  const { limits } = conversion;
  if (source.size > limits.maxJsonBytes) throw jsonTooLarge('The file', source.size, limits.maxJsonBytes);
  const value = parseJsonDocument(await source.read(0, source.size), limits, 'The file');
  const found = classifyJson(value);
  const forced = options.sourceFormat;
  if (forced !== undefined && found !== undefined && forced !== found)
    throw sourceFormatMismatch(forced, found);
  const format = forced ?? found;
  const close = () => source.close();
  switch (format) {
    case 'chatgpt_json': {
      const list = conversationList(value);
      if (list.length > limits.maxItems) throw tooManyItems(list.length, limits.maxItems);
      convertChatGptConversations(list, conversion);
      return finish(
        conversion,
        format,
        'ChatGPT conversations',
        summary(conversion, "a ChatGPT export's conversations.json"),
        close,
      );
    }
    case 'openwebui_json': {
      const list = conversationList(value);
      if (list.length > limits.maxItems) throw tooManyItems(list.length, limits.maxItems);
      convertOpenWebUIExport(value, conversion);
      return finish(
        conversion,
        format,
        'Open WebUI chats',
        summary(conversion, 'an Open WebUI chat export'),
        close,
      );
    }
    case 'character_json': {
      const name = convertCard(conversion, value, format, 'The file');
      return finish(
        conversion,
        format,
        `Character card: ${shortTitle(name ?? 'unnamed')}`,
        summary(conversion, 'a character card (JSON)'),
        close,
      );
    }
    case 'lorebook_json': {
      const name = convertLorebook(value, conversion, options.fileName);
      return finish(
        conversion,
        format,
        `Lorebook: ${shortTitle(name)}`,
        summary(conversion, 'a World Info / lorebook file'),
        close,
      );
    }
    case undefined:
      throw unknownSourceFormat('The file is JSON, but not an export we read.');
    default:
      throw sourceFormatMismatch(format);
  }
}

// --- ZIP archives -----------------------------------------------------------------------------------------------

/** Files of a ChatGPT export that are not conversations. */
const CHATGPT_OTHER_FILES = new Set([
  'user.json',
  'message_feedback.json',
  'shared_conversations.json',
  'model_comparisons.json',
  'user_settings.json',
  'group_chats.json',
]);

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** conversations.json at the root (or in the one folder a re-zipped export adds); else the split form's JSON files. */
function chatGptCandidates(names: readonly string[]): string[] {
  const whole = names.filter(
    (name) => baseName(name) === 'conversations.json' && name.split('/').length <= 2,
  );
  if (whole.length > 0) return [whole.sort((a, b) => a.length - b.length)[0]!];
  return names.filter(
    (name) => name.toLowerCase().endsWith('.json') && !CHATGPT_OTHER_FILES.has(baseName(name).toLowerCase()),
  );
}

function classifyZip(names: readonly string[]): SourceFormat | undefined {
  if (names.includes('manifest.json')) return 'chatbook';
  if (names.includes('card.json')) return 'charx';
  if (chatGptCandidates(names).length > 0) return 'chatgpt_zip';
  return undefined;
}

async function convertChatGptZip(
  zip: ZipArchive,
  names: readonly string[],
  conversion: Conversion,
  forced: boolean,
): Promise<ImportSource> {
  const { limits } = conversion;
  const conversations: unknown[] = [];
  let shaped = 0;
  for (const name of chatGptCandidates(names)) {
    const entry = zip.entry(name)!;
    if (entry.uncompressedSize > limits.maxJsonBytes)
      throw jsonTooLarge('A JSON file of the export', entry.uncompressedSize, limits.maxJsonBytes);
    const value = parseJsonDocument(await zip.readEntry(name), limits, 'A JSON file of the export');
    if (isChatGptConversationList(value)) conversations.push(...(value as unknown[]));
    else if (isChatGptConversation(value)) conversations.push(value);
    else if (baseName(name) !== 'conversations.json' || !Array.isArray(value)) continue;
    shaped++;
    if (conversations.length > limits.maxItems) throw tooManyItems(conversations.length, limits.maxItems);
  }
  if (shaped === 0) {
    throw forced
      ? sourceFormatMismatch('chatgpt_zip')
      : unknownSourceFormat(
          'The ZIP holds neither a chatbook manifest, a character card nor ChatGPT conversations.',
        );
  }
  convertChatGptConversations(conversations, { ...conversion, files: new ChatGptFiles(zip) });
  return finish(
    conversion,
    'chatgpt_zip',
    'ChatGPT export',
    summary(conversion, 'a ChatGPT data export'),
    () => zip.close(),
  );
}

async function openZip(
  source: RandomAccessSource,
  conversion: Conversion,
  options: OpenImportSourceOptions,
): Promise<ImportSource> {
  const names = await listZipFileNames(source, { limits: conversion.limits });
  const found = classifyZip(names);
  const forced = options.sourceFormat;
  const format = forced ?? found;
  if (format === 'chatbook') {
    const archive = await openChatbook(source, { limits: conversion.limits, verifyData: options.verifyData });
    return { format, archive, failures: [] };
  }
  if (format === undefined) throw unknownSourceFormat('The file is a ZIP, but not one we read.');
  // A forced chatbook is left to openChatbook above, whose refusal says what the archive lacks.
  if (forced !== undefined && found !== undefined && forced !== found)
    throw sourceFormatMismatch(forced, found);
  if (format !== 'charx' && format !== 'chatgpt_zip') throw sourceFormatMismatch(format, found);
  const zip = await openZipArchive(source, { limits: conversion.limits, verifyData: options.verifyData });
  try {
    return format === 'charx'
      ? await convertCharx(zip, conversion)
      : await convertChatGptZip(zip, names, conversion, forced !== undefined);
  } catch (error) {
    await zip.close();
    throw error;
  }
}

// --- Entry point ------------------------------------------------------------------------------------------------

/**
 * Opens what a user uploaded for import: a chatbook as it is (openChatbook), anything else we read converted into
 * a virtual chatbook. Limits (file size, item counts, JSON size and depth, PNG chunks, and every ZIP rule of the
 * chatbook validator) reject the whole file with a typed error; an item that cannot be converted is reported in
 * `failures` and the warnings, and skipped.
 */
export async function openImportSource(
  source: RandomAccessSource,
  options: OpenImportSourceOptions = {},
): Promise<ImportSource> {
  if (options.sourceFormat !== undefined && !isSourceFormat(options.sourceFormat)) {
    throw new ValidationError(
      'invalid_source_format',
      `Unknown source format. Use one of: ${SOURCE_FORMATS.join(', ')}; or leave it out to have it detected.`,
    );
  }
  const limits = resolveImportLimits(options.limits);
  const conversion: Conversion = {
    builder: new VirtualChatbookBuilder(limits.maxItems),
    ids: new ItemIds(),
    limits,
    now: options.now ?? new Date(),
  };
  if (source.size === 0) throw unknownSourceFormat('The file is empty.');
  const head = await source.read(0, Math.min(source.size, 1024));
  if (isPng(head)) {
    requireFormat(options.sourceFormat, 'character_png');
    return openPngCard(source, conversion);
  }
  if (isZip(head)) return openZip(source, conversion, options);
  if (looksLikeJson(head)) return openJson(source, conversion, options);
  if (options.sourceFormat !== undefined) throw sourceFormatMismatch(options.sourceFormat);
  throw unknownSourceFormat();
}
