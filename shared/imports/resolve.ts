/**
 * The conflict-resolution core of import: for one item decoded from a chatbook and the library's item of the same
 * type and identity (if any), what to write under the chosen strategy. Pure: no I/O, inputs never mutated.
 *
 * Identity is the title as `titleOf` reads it, trimmed, NFC, case-insensitive; an embedding's is its id
 * (`media:42`), a Chroma collection's `collection:<embedding_set_id>`. Relationships (`character_id`,
 * `conversation_id`, an embedding's media) are rewritten with `withReferences` before resolving, so that an
 * embedding's id follows its media's new id.
 */
import { isContentType, type ContentType } from '../chatbook/layout';
import { isPlainObject, truncateForMessage, type JsonObject } from '../chatbook/schema/common';
import { embeddingShapeOf } from '../chatbook/schema/embedding';
import { itemIdOf, type ItemByType } from '../chatbook/schema/items';
import { titleOf } from '../library/item-fields';
import { normalizeTitle } from './identity';
import { mergeContent } from './merge';

export { mergeContent, unionTags, type MergeResult } from './merge';

export const IMPORT_STRATEGIES = ['skip', 'overwrite', 'rename', 'merge'] as const;
export type ImportStrategy = (typeof IMPORT_STRATEGIES)[number];
export type ImportAction = 'imported' | 'skipped' | 'renamed' | 'merged' | 'overwritten';

export interface ImportDecision<T extends ContentType> {
  action: ImportAction;
  /** What to write; for `skipped`, the existing item (or the incoming one when the conflict was in this import). */
  content: ItemByType[T];
  /** The library item written over or left alone (overwritten, merged, skipped over a library item). */
  targetId?: string;
  /** The identity of `content`: the caller adds it to the taken keys of the type. */
  identityKey: string;
  /** Why nothing was written (skipped). */
  reason?: string;
  /** Kept differences (merge) and fallbacks taken. */
  notes: string[];
}

export interface ResolveInput<T extends ContentType> {
  type: T;
  incoming: ItemByType[T];
  /** The library's item with the incoming item's identity, if there is one. */
  existing?: { id: string; content: ItemByType[T] } | undefined;
  strategy: ImportStrategy;
  /** Identity keys of the type taken in the library and by earlier decisions of this import. */
  takenKeys: { has(key: string): boolean };
  /** Prepended to the incoming title before conflict detection (`[Imported] `); not to embeddings. */
  prefix?: string | undefined;
}

/** Types whose title field is `title`; the others use `name` (as `titleOf` reads them). */
const TITLE_FIELD_TYPES: ReadonlySet<ContentType> = new Set(['note', 'media', 'generated_document']);

const NOUNS: Readonly<Record<ContentType, string>> = {
  conversation: 'a conversation',
  note: 'a note',
  character: 'a character',
  world_book: 'a world book',
  dictionary: 'a dictionary',
  prompt: 'a prompt',
  media: 'a media item',
  embedding: 'an embedding',
  generated_document: 'a generated document',
  evaluation: 'an evaluation',
};

/** The key an item conflicts on, among items of its type. */
export function identityKeyOf<T extends ContentType>(type: T, content: ItemByType[T]): string {
  if (type !== 'embedding') return normalizeTitle(titleOf(type, content));
  const record: JsonObject = content;
  if (embeddingShapeOf(record) === 'collection' && typeof record.embedding_set_id === 'string') {
    return `collection:${record.embedding_set_id}`;
  }
  return itemIdOf(type, content) ?? '';
}

function withFields<T extends ContentType>(content: ItemByType[T], fields: JsonObject): ItemByType[T] {
  return { ...content, ...fields };
}

/** The item with another title, in the field its type keeps it (and a world book's legacy nested copy). */
export function withTitle<T extends ContentType>(
  type: T,
  content: ItemByType[T],
  title: string,
): ItemByType[T] {
  const field = TITLE_FIELD_TYPES.has(type) ? 'title' : 'name';
  return withNested(type, withFields(content, { [field]: title }), 'name', title);
}

/** A world book's legacy `world_book` object mirrors the top level: keeps the mirror's field in step. */
function withNested<T extends ContentType>(
  type: T,
  content: ItemByType[T],
  field: 'name' | 'id',
  value: string,
): ItemByType[T] {
  const nested = (content as JsonObject).world_book;
  if (type !== 'world_book' || !isPlainObject(nested) || !Object.hasOwn(nested, field)) return content;
  return withFields(content, { world_book: { ...nested, [field]: value } });
}

/** The incoming item with the prefix before its title (embeddings have no title to prefix). */
export function applyPrefix<T extends ContentType>(
  type: T,
  content: ItemByType[T],
  prefix?: string,
): ItemByType[T] {
  if (!prefix || type === 'embedding') return content;
  return withTitle(type, content, `${prefix}${titleOf(type, content)}`);
}

/** The item under its first free name: `<title> (N)`, or a collection's `<set>-N` (ids allow no spaces). */
function renamed<T extends ContentType>(
  type: T,
  content: ItemByType[T],
  isTaken: (key: string) => boolean,
): { content: ItemByType[T]; key: string } | undefined {
  const record: JsonObject = content;
  const collection = type === 'embedding' && embeddingShapeOf(record) === 'collection';
  // A media item's vector is known by its media's id: a second one for the same media cannot be named apart.
  if (type === 'embedding' && !collection) return undefined;
  const base = collection ? String(record.embedding_set_id) : titleOf(type, content).trim();
  for (let n = 1; ; n++) {
    let candidate: ItemByType[T];
    if (collection) {
      const set = `${base}-${n}`;
      candidate = withFields(content, { embedding_set_id: set });
      if (idOf(record.id) !== undefined) candidate = withFields(candidate, { id: `collection:${set}` });
    } else {
      candidate = withTitle(type, content, `${base} (${n})`);
    }
    const key = identityKeyOf(type, candidate);
    if (!isTaken(key)) return { content: candidate, key };
  }
}

function idOf(value: unknown): string | undefined {
  return (typeof value === 'string' && value !== '') || typeof value === 'number' ? String(value) : undefined;
}

/** `a note named "X"`, `an embedding with id "media:42"`. */
function described<T extends ContentType>(type: T, content: ItemByType[T], key: string): string {
  const name =
    type === 'embedding'
      ? `with id "${truncateForMessage(key)}"`
      : `named "${truncateForMessage(titleOf(type, content).trim())}"`;
  return `${NOUNS[type]} ${name}`;
}

/** What to do with one incoming item: see the module comment and `ImportDecision`. */
export function resolveImport<T extends ContentType>(input: ResolveInput<T>): ImportDecision<T> {
  const { type, strategy, existing } = input;
  const incoming = applyPrefix(type, input.incoming, input.prefix);
  const key = identityKeyOf(type, incoming);
  if (existing && identityKeyOf(type, existing.content) !== key) {
    throw new Error(
      `resolveImport: the existing ${type} ${existing.id} does not have the incoming item's identity`,
    );
  }
  if (!existing && !input.takenKeys.has(key))
    return { action: 'imported', content: incoming, identityKey: key, notes: [] };

  const what = described(type, incoming, key);
  const skipped = (reason: string, notes: string[] = []): ImportDecision<T> =>
    existing
      ? {
          action: 'skipped',
          content: existing.content,
          targetId: existing.id,
          identityKey: key,
          reason,
          notes,
        }
      : { action: 'skipped', content: incoming, identityKey: key, reason, notes };
  const rename = (notes: string[]): ImportDecision<T> => {
    const result = renamed(
      type,
      incoming,
      (candidate) => candidate === key || input.takenKeys.has(candidate),
    );
    if (!result) return skipped(`${what} already exists; an embedding is renamed only with its media`, notes);
    return { action: 'renamed', content: result.content, identityKey: result.key, notes };
  };

  if (strategy === 'skip') return skipped(`${what} already exists`);
  if (strategy === 'rename') return rename([]);
  if (!existing) {
    // Taken by an earlier item of this import, which the caller did not hand over: keep both.
    const verb = strategy === 'overwrite' ? 'overwritten' : 'merged';
    return rename([`${what} came earlier in this chatbook; renamed instead of ${verb}`]);
  }
  if (strategy === 'overwrite') {
    const existingRecord: JsonObject = existing.content;
    let content = withNested(type, withFields(incoming, { id: existing.id }), 'id', existing.id);
    if (existingRecord.created_at !== undefined)
      content = withFields(content, { created_at: existingRecord.created_at });
    return { action: 'overwritten', content, targetId: existing.id, identityKey: key, notes: [] };
  }
  const merged = mergeContent(type, existing.content, incoming);
  if (!merged.changed) return skipped('nothing new to merge', merged.notes);
  return {
    action: 'merged',
    content: merged.content,
    targetId: existing.id,
    identityKey: key,
    notes: merged.notes,
  };
}

const CHARACTER_IDS_FIELD = 'metadata.character_ids';

/** A relationship of an item to another item: rewritten once the other item's new id is known. */
export interface ItemReference {
  /** `character_id`, `conversation_id`, `source.media_id`, `source.id`. */
  field: string;
  type: ContentType;
  id: string;
}

/** Old id → new id, per type of the referenced item. */
export type ReferenceMap = { readonly [T in ContentType]?: ReadonlyMap<string, string> };

/** The item's references to other items: a conversation's character, a document's conversation, an embedding's media. */
export function referencesOf<T extends ContentType>(type: T, content: ItemByType[T]): ItemReference[] {
  const record: JsonObject = content;
  const found: ItemReference[] = [];
  const add = (field: string, target: ContentType, value: unknown) => {
    const id = idOf(value);
    if (id !== undefined) found.push({ field, type: target, id });
  };
  if (type === 'conversation') add('character_id', 'character', record.character_id);
  if (type === 'generated_document') add('conversation_id', 'conversation', record.conversation_id);
  // A character card's book names the characters it belongs to (cards imported from SillyTavern).
  if (
    type === 'world_book' &&
    isPlainObject(record.metadata) &&
    Array.isArray(record.metadata.character_ids)
  ) {
    for (const id of record.metadata.character_ids) add(CHARACTER_IDS_FIELD, 'character', id);
  }
  if (type === 'embedding' && isPlainObject(record.source)) {
    add('source.media_id', 'media', record.source.media_id);
    // Our own vector form says what it embeds as {type, id}.
    if (isContentType(record.source.type)) add('source.id', record.source.type, record.source.id);
  }
  return found;
}

/**
 * The item with its references rewritten from the map (those not in it stay). An embedding named after its media
 * (`media:<old>`) is renamed with it (`media:<new>`).
 */
export function withReferences<T extends ContentType>(
  type: T,
  content: ItemByType[T],
  map: ReferenceMap,
): ItemByType[T] {
  let result: JsonObject = { ...content };
  for (const reference of referencesOf(type, content)) {
    const next = map[reference.type]?.get(reference.id);
    if (next === undefined || next === reference.id) continue;
    if (reference.field === CHARACTER_IDS_FIELD) {
      const metadata = result.metadata as JsonObject;
      const ids = (metadata.character_ids as unknown[]).map((id) => (idOf(id) === reference.id ? next : id));
      result = { ...result, metadata: { ...metadata, character_ids: ids } };
      continue;
    }
    const [first, second] = reference.field.split('.') as [string, string | undefined];
    if (second === undefined) {
      result = { ...result, [first]: next };
    } else {
      result = { ...result, [first]: { ...(result[first] as JsonObject), [second]: next } };
    }
    if (type === 'embedding' && reference.type === 'media' && result.id === `media:${reference.id}`) {
      result = { ...result, id: `media:${next}` };
    }
  }
  return result as ItemByType[T];
}
