/**
 * Item files: the path tldw uses for an item, its bytes (JSON with a 2-space indent; notes as Markdown with YAML
 * front matter) and back. Decoding is tolerant (legacy keys, coercions) and keeps unknown fields, so
 * encode(decode(file)) loses nothing we were given.
 */
import { ValidationError } from '../../errors';
import { CONTENT_FOLDERS, itemFilePath, mediaTypeOf, type ContentType } from '../layout';
import {
  describeValue,
  formatIssues,
  isPlainObject,
  truncateForMessage,
  type JsonObject,
} from '../schema/common';
import { embeddingShapeOf } from '../schema/embedding';
import { ITEM_SCHEMAS, itemIdOf, type ItemByType } from '../schema/items';
import type { NoteItem } from '../schema/note';
import { parseFrontMatter, renderFrontMatter } from './front-matter';

export interface EncodedItem {
  path: string;
  body: string;
  mediaType: string;
}

export type DecodeItemResult<T> =
  { ok: true; item: T; warnings: string[] } | { ok: false; code: 'item_invalid'; message: string };

export interface DecodeItemOptions {
  /** The item's id from the manifest, used when the file itself has none. */
  id?: string;
  /** The file's path in the archive; its name gives the id when neither the file nor `id` does. */
  path?: string;
}

/** Longest item_invalid message: it lists a few issues, never the file. */
const MAX_MESSAGE_CHARS = 600;

/** A character that must not reach a file name built from an id. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is being refused
const UNSAFE_NAME_CHARACTER = /[/\\\u0000-\u001f]/;

function assertSafeNameSegment(type: ContentType, segment: string): void {
  if (segment === '' || segment === '.' || segment === '..' || UNSAFE_NAME_CHARACTER.test(segment)) {
    throw new ValidationError(
      'item_invalid',
      `A ${type} id cannot be used in a file name: ${describeValue(segment)}.`,
    );
  }
}

/**
 * Where tldw writes an item: the layout's `<folder>/<type>_<id>` names, except embeddings, which it names by
 * source: `media:<id>` → `embedding_media_<id>.json`, `collection:<name>` → `collection_<name>.json`.
 */
export function itemPathFor(type: ContentType, id: string): string {
  if (type === 'embedding') {
    if (id.startsWith('media:')) {
      const mediaId = id.slice('media:'.length);
      assertSafeNameSegment(type, mediaId);
      return `${CONTENT_FOLDERS.embedding}/embedding_media_${mediaId}.json`;
    }
    if (id.startsWith('collection:')) {
      // tldw replaces only the path separators in collection names.
      const name = id.slice('collection:'.length).replace(/[/\\]/g, '_');
      assertSafeNameSegment(type, name);
      return `${CONTENT_FOLDERS.embedding}/collection_${name}.json`;
    }
  }
  assertSafeNameSegment(type, id);
  return itemFilePath(type, id);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The id in an item file's name (`note_42.md` → "42", `embedding_media_7.json` → "media:7"), if it has one. */
export function idFromItemPath(type: ContentType, path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (type === 'embedding') {
    const media = /^embedding_media_(.+)\.json$/.exec(name);
    if (media?.[1]) return `media:${media[1]}`;
    const collection = /^collection_(.+)\.json$/.exec(name);
    if (collection?.[1]) return `collection:${collection[1]}`;
  }
  const template = itemFilePath(type, '\u0000');
  const [prefix = '', suffix = ''] = template.slice(template.lastIndexOf('/') + 1).split('\u0000');
  const match = new RegExp(`^${escapeRegExp(prefix)}(.+)${escapeRegExp(suffix)}$`).exec(name);
  return match?.[1];
}

function renderNote(note: NoteItem): string {
  const { id, title, created_at, updated_at, tags, content, ...others } = note;
  return renderFrontMatter({ id, title, created_at, updated_at, tags, ...others }, content);
}

export function encodeItem<T extends ContentType>(type: T, item: ItemByType[T]): EncodedItem {
  const id = itemIdOf(type, item);
  if (id === undefined)
    throw new ValidationError('item_invalid', `A ${type} item needs an id to be written.`);
  const path = itemPathFor(type, id);
  const body = type === 'note' ? renderNote(item as NoteItem) : JSON.stringify(item, null, 2);
  return { path, body, mediaType: mediaTypeOf(path) };
}

type TextReading = { ok: true; text: string } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readText(bytes: Buffer | string): TextReading {
  if (typeof bytes === 'string') return { ok: true, text: bytes.replace(/^\uFEFF/, '') };
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, message: 'not valid UTF-8' };
  }
}

type ObjectReading = { ok: true; value: JsonObject; warnings: string[] } | { ok: false; message: string };

function readJsonObject(text: string): ObjectReading {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `not valid JSON (${truncateForMessage(reason)})` };
  }
  if (!isPlainObject(value))
    return { ok: false, message: `expected a JSON object, got ${describeValue(value)}` };
  return { ok: true, value, warnings: [] };
}

/** A note file as the object the note schema reads: front matter fields plus `content`. */
function readNote(text: string, fallbackId: string): ObjectReading {
  const { data, body, warnings } = parseFrontMatter(text);
  if (data === undefined) {
    return {
      ok: true,
      value: { id: fallbackId, title: `Imported Note ${fallbackId}`, content: body },
      warnings: ['front matter: missing; title set from the id'],
    };
  }
  const value: JsonObject = { ...data, content: body };
  if (value.id === undefined || value.id === null || value.id === '') value.id = fallbackId;
  if (value.title === undefined || value.title === null || value.title === '') {
    value.title = `Imported Note ${String(value.id)}`;
    warnings.push('title: missing in front matter; set from the id');
  }
  return { ok: true, value, warnings };
}

/** Gives an item without an id the one from the manifest or the file name. */
function fillMissingId(type: ContentType, value: JsonObject, fallbackId: string | undefined): void {
  if (fallbackId === undefined) return;
  if (value.id !== undefined && value.id !== null && value.id !== '') return;
  if (type === 'embedding' && embeddingShapeOf(value) === 'collection') return;
  if (type === 'world_book' && isPlainObject(value.world_book) && value.world_book.id != null) return;
  value.id = fallbackId;
}

function invalid(type: ContentType, problem: string): { ok: false; code: 'item_invalid'; message: string } {
  return {
    ok: false,
    code: 'item_invalid',
    message: truncateForMessage(`${type} item: ${problem}`, MAX_MESSAGE_CHARS),
  };
}

export function decodeItem<T extends ContentType>(
  type: T,
  bytes: Buffer | string,
  options: DecodeItemOptions = {},
): DecodeItemResult<ItemByType[T]> {
  const text = readText(bytes);
  if (!text.ok) return invalid(type, text.message);
  const fallbackId =
    options.id ?? (options.path === undefined ? undefined : idFromItemPath(type, options.path));
  const raw = type === 'note' ? readNote(text.text, fallbackId ?? 'untitled') : readJsonObject(text.text);
  if (!raw.ok) return invalid(type, raw.message);
  fillMissingId(type, raw.value, fallbackId);
  const parsed = ITEM_SCHEMAS[type].safeParse(raw.value);
  if (!parsed.success) return invalid(type, formatIssues(parsed.error).join('; '));
  return { ok: true, item: parsed.data, warnings: raw.warnings };
}
