/**
 * What users bring from other tools: the formats told apart by content, the limits that reject a whole file, and
 * the typed errors a person can act on. Nothing here echoes the uploaded content or its file names.
 */
import { DEFAULT_LIMITS } from '../chatbook/reader';
import type { ChatbookLimits } from '../chatbook/reader';
import { TooLargeError, UnprocessableError, ValidationError } from '../errors';

export const SOURCE_FORMATS = [
  /** Our own archive (or tldw_server's): a ZIP with manifest.json. */
  'chatbook',
  /** A ChatGPT data export ZIP: conversations.json, or the split form with many conversation JSON files. */
  'chatgpt_zip',
  /** ChatGPT's conversations.json uploaded alone (or one conversation of the split form). */
  'chatgpt_json',
  /** An Open WebUI chat export: a JSON list of chats, with or without the row wrapper. */
  'openwebui_json',
  /** A SillyTavern character card PNG (`chara` V2 and/or `ccv3` V3 text chunks). */
  'character_png',
  /** A character card as JSON: V1 (flat), V2 or V3. */
  'character_json',
  /** A CHARX card: a ZIP with card.json (V3) and its assets. */
  'charx',
  /** A SillyTavern World Info file or a spec lorebook (entries keyed by uid or as a list). */
  'lorebook_json',
] as const;

export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export function isSourceFormat(value: unknown): value is SourceFormat {
  return typeof value === 'string' && (SOURCE_FORMATS as readonly string[]).includes(value);
}

/** How each format is named to a person. */
export const SOURCE_FORMAT_NAMES: Readonly<Record<SourceFormat, string>> = {
  chatbook: 'a chatbook',
  chatgpt_zip: 'a ChatGPT data export (ZIP)',
  chatgpt_json: "a ChatGPT export's conversations.json",
  openwebui_json: 'an Open WebUI chat export (JSON)',
  character_png: 'a character card image (PNG)',
  character_json: 'a character card (JSON)',
  charx: 'a CHARX character card',
  lorebook_json: 'a World Info file or lorebook (JSON)',
};

/** Limits on converted content, beyond the container limits every ZIP is held to. */
export interface InteropLimits {
  /** One JSON document (conversations.json, a card, a lorebook). */
  maxJsonBytes: number;
  /** Nesting of arrays and objects in a JSON document, checked before it is parsed. */
  maxJsonDepth: number;
  /** Items a file may convert to (conversations, characters, world books). */
  maxItems: number;
  /** Messages (tree nodes) in one conversation; a conversation over it is reported and skipped. */
  maxMessagesPerConversation: number;
  /** Entries in one world book; a book over it is reported and skipped. */
  maxWorldBookEntries: number;
  /** One PNG text chunk holding a card (`chara`/`ccv3`), compressed or not, before it is read or inflated. */
  maxPngTextBytes: number;
  /** Chunks walked in a PNG. */
  maxPngChunks: number;
}

export type ImportSourceLimits = ChatbookLimits & InteropLimits;

const MIB = 1024 * 1024;

export const DEFAULT_INTEROP_LIMITS: Readonly<InteropLimits> = Object.freeze({
  maxJsonBytes: 50 * MIB,
  maxJsonDepth: 100,
  maxItems: 20_000,
  maxMessagesPerConversation: 100_000,
  maxWorldBookEntries: 20_000,
  maxPngTextBytes: 16 * MIB,
  maxPngChunks: 10_000,
});

export function resolveImportLimits(overrides: Partial<ImportSourceLimits> | undefined): ImportSourceLimits {
  const limits: ImportSourceLimits = { ...DEFAULT_LIMITS, ...DEFAULT_INTEROP_LIMITS };
  for (const key of Object.keys(limits) as (keyof ImportSourceLimits)[]) {
    const value = overrides?.[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`Import limit ${key} must be a non-negative number.`);
    limits[key] = value;
  }
  return limits;
}

/** The file is none of the formats we read. */
export function unknownSourceFormat(detail?: string): UnprocessableError {
  return new UnprocessableError(
    'unknown_source_format',
    `${detail ? `${detail} ` : ''}This file was not recognized. Upload a chatbook (.zip), a ChatGPT data export (.zip, or its conversations.json), an Open WebUI chat export (.json), a SillyTavern character card (.png, .json or .charx) or a World Info / lorebook file (.json).`,
  );
}

/** The caller named a format and the file is not of it. */
export function sourceFormatMismatch(expected: SourceFormat, found?: SourceFormat): UnprocessableError {
  return new UnprocessableError(
    'source_format_mismatch',
    `The file is not ${SOURCE_FORMAT_NAMES[expected]}${found ? ` (it looks like ${SOURCE_FORMAT_NAMES[found]})` : ''}. Choose the matching format, or leave it out to have it detected.`,
    { details: { expected, ...(found ? { found } : {}) } },
  );
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < MIB) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

export function jsonTooLarge(what: string, bytes: number, limit: number): TooLargeError {
  return new TooLargeError(
    'json_too_large',
    `${what} is ${formatSize(bytes)}, over the ${formatSize(limit)} limit for one JSON document. Split it into smaller files and import them one by one.`,
    { details: { bytes, maxJsonBytes: limit } },
  );
}

export function tooManyItems(count: number, limit: number): TooLargeError {
  return new TooLargeError(
    'too_many_items',
    `The file holds ${count} items, over the limit of ${limit} per import. Split it into smaller files and import them one by one.`,
    { details: { items: count, maxItems: limit } },
  );
}

export function invalidSource(
  code: string,
  message: string,
  details?: Record<string, unknown>,
): ValidationError {
  return new ValidationError(code, message, details === undefined ? undefined : { details });
}
