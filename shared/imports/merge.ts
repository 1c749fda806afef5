/**
 * The `merge` strategy of import: union what can be unioned, keep the existing value where the two differ and
 * cannot be unioned, and say so in a note. Pure: no I/O, inputs never mutated.
 *
 * - Lists of parts (messages, entries, runs, transcripts, chunks, artifacts) are unioned by their keys; an
 *   incoming part that matches an existing one (a shared key, or equal as a whole) is dropped, with a note when
 *   it differs.
 * - `tags`/`keywords` are unioned (trimmed, NFC, case-insensitive; the existing spelling wins).
 * - `metadata`, `safe_metadata` and `extensions` objects are merged key by key, at any depth.
 * - Every other field: the existing value is kept (a note when the imported one differs); a field only the
 *   incoming item has a value for is added, unknown fields included. `id` is never taken from the incoming item
 *   (ids are per library); `created_at`/`updated_at` differences are bookkeeping, not noted.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ContentType } from '../chatbook/layout';
import { isPlainObject, truncateForMessage, type JsonObject } from '../chatbook/schema/common';
import { embeddingShapeOf } from '../chatbook/schema/embedding';
import type { ItemByType } from '../chatbook/schema/items';
import { normalizeTitle } from './identity';

export interface MergeResult<T extends ContentType> {
  /** The merged item (the existing one, unchanged, when there is nothing new). */
  content: ItemByType[T];
  /** False when the merged item equals the existing one. */
  changed: boolean;
  /** One line per kept difference: `kept existing description; imported differs`. */
  notes: string[];
}

/** Fields merged key by key rather than kept whole. */
const UNION_OBJECTS: ReadonlySet<string> = new Set(['metadata', 'safe_metadata', 'extensions']);
const TAG_FIELDS: ReadonlySet<string> = new Set(['tags', 'keywords']);
/** Kept from the existing item without a note. */
const BOOKKEEPING: ReadonlySet<string> = new Set(['created_at', 'updated_at']);

/** Absent, null and '' are "no value" (tldw's `a or b`): such an incoming field adds nothing. */
function hasValue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Sets a field as data, even one named `__proto__` (content comes from archives). */
function setField(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function own(record: JsonObject, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function addNote(notes: string[], note: string): void {
  if (!notes.includes(note)) notes.push(note);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((element) => typeof element === 'string');
}

/** A scalar id as text, or undefined when there is none. */
function idText(value: unknown): string | undefined {
  return (typeof value === 'string' && value !== '') || typeof value === 'number' ? String(value) : undefined;
}

function quoted(text: string): string {
  return `"${truncateForMessage(text, 60)}"`;
}

/** Tags of both, existing first; an incoming tag equal to one there (trimmed, NFC, any case) is left out. */
export function unionTags(existing: readonly string[], incoming: readonly string[]): string[] {
  const result = [...existing];
  const seen = new Set(existing.map(normalizeTitle));
  for (const tag of incoming) {
    const key = normalizeTitle(tag);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    result.push(tag);
  }
  return result;
}

interface FieldOptions {
  /** `metadata.` inside a nested object, for the notes. */
  path: string;
  /** Top-level fields handled elsewhere. */
  skip: ReadonlySet<string>;
  /** Inside a union object: nested objects merge too. */
  nested: boolean;
}

/** The existing record with what only the incoming one has added, unioned fields unioned; notes differences. */
function mergeFields(
  existing: JsonObject,
  incoming: JsonObject,
  notes: string[],
  options: FieldOptions,
): JsonObject {
  const result: JsonObject = { ...existing };
  const top = !options.nested;
  for (const [key, value] of Object.entries(incoming)) {
    if (options.skip.has(key) || (top && key === 'id') || !hasValue(value)) continue;
    const current = own(existing, key);
    if (!hasValue(current)) {
      setField(result, key, structuredClone(value));
      continue;
    }
    if (isDeepStrictEqual(current, value) || (top && BOOKKEEPING.has(key))) continue;
    const path = `${options.path}${key}`;
    if (top && TAG_FIELDS.has(key) && isStringList(current) && isStringList(value)) {
      setField(result, key, unionTags(current, value));
    } else if ((options.nested || UNION_OBJECTS.has(key)) && isPlainObject(current) && isPlainObject(value)) {
      setField(
        result,
        key,
        mergeFields(current, value, notes, { path: `${path}.`, skip: new Set(), nested: true }),
      );
    } else {
      addNote(notes, `kept existing ${path}; imported differs`);
    }
  }
  return result;
}

/** How the parts of one list field are matched and named. */
interface PartRule {
  field: string;
  /** `entry`, `run`: the notes' word for a part. */
  label: string;
  /** Keys of a part; two parts sharing any key are the same part. Parts equal as a whole always are. */
  keysOf(part: JsonObject): string[];
  /** How a note names the part. */
  describe(part: JsonObject): string;
}

function keys(...candidates: (string | undefined)[]): string[] {
  return candidates.filter((key): key is string => key !== undefined);
}

function prefixed(prefix: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : `${prefix}${value}`;
}

/** A world book entry's key: its `uid`, else its keywords (trimmed, lowercased, sorted). */
function entryKeywordsKey(part: JsonObject): string | undefined {
  const uid = idText(part.uid);
  if (uid !== undefined) return `uid:${uid}`;
  if (!isStringList(part.keywords) || part.keywords.length === 0) return undefined;
  const words = part.keywords.map((word) => normalizeTitle(word)).sort();
  return `keywords:${words.join('\u001f')}`;
}

const WORLD_BOOK_ENTRIES: PartRule = {
  field: 'entries',
  label: 'entry',
  keysOf: (part) => keys(entryKeywordsKey(part)),
  describe: (part) =>
    idText(part.uid) !== undefined
      ? `uid ${idText(part.uid)}`
      : quoted(isStringList(part.keywords) ? part.keywords.join(', ') : ''),
};

const DICTIONARY_ENTRIES: PartRule = {
  field: 'entries',
  label: 'entry',
  keysOf: (part) => keys(typeof part.key_pattern === 'string' ? `pattern:${part.key_pattern}` : undefined),
  describe: (part) => quoted(String(part.key_pattern)),
};

const EVALUATION_RUNS: PartRule = {
  field: 'runs',
  label: 'run',
  keysOf: (part) => keys(prefixed('run:', idText(part.id)), prefixed('run:', idText(part.run_id))),
  describe: (part) => idText(part.id) ?? idText(part.run_id) ?? '(no id)',
};

const MEDIA_TRANSCRIPTS: PartRule = {
  field: 'transcripts',
  label: 'transcript',
  keysOf: (part) =>
    keys(
      prefixed('id:', idText(part.id)),
      typeof part.transcription === 'string' ? `text:${part.transcription}` : undefined,
    ),
  describe: (part) => idText(part.id) ?? quoted(String(part.transcription)),
};

const MEDIA_CHUNKS: PartRule = {
  field: 'chunks',
  label: 'chunk',
  keysOf: (part) =>
    keys(
      prefixed('id:', idText(part.id)),
      `span:${JSON.stringify([part.start_char ?? null, part.end_char ?? null, part.text ?? null])}`,
    ),
  describe: (part) => idText(part.id) ?? `${String(part.start_char)}-${String(part.end_char)}`,
};

const MEDIA_ARTIFACTS: PartRule = {
  field: 'stored_artifacts',
  label: 'stored artifact',
  keysOf: (part) => keys(prefixed('id:', idText(part.id)), prefixed('checksum:', idText(part.checksum))),
  describe: (part) => idText(part.id) ?? idText(part.checksum) ?? '(no id)',
};

const COLLECTION_CHUNKS: PartRule = {
  field: 'chunks',
  label: 'chunk',
  keysOf: (part) => keys(prefixed('id:', idText(part.id))),
  describe: (part) => idText(part.id) ?? '(no id)',
};

/** Existing parts, then each incoming part that matches none (nor an earlier incoming one). */
function unionParts(existing: unknown, incoming: unknown[], rule: PartRule, notes: string[]): unknown[] {
  const result: unknown[] = Array.isArray(existing) ? [...(existing as unknown[])] : [];
  for (const part of incoming) {
    const partKeys = isPlainObject(part) ? new Set(rule.keysOf(part)) : new Set<string>();
    const match = result.find(
      (candidate) =>
        isDeepStrictEqual(candidate, part) ||
        (isPlainObject(candidate) && rule.keysOf(candidate).some((key) => partKeys.has(key))),
    );
    if (match === undefined) result.push(structuredClone(part));
    else if (!isDeepStrictEqual(match, part) && isPlainObject(match)) {
      addNote(notes, `kept existing ${rule.label} ${rule.describe(match)}; imported differs`);
    }
  }
  return result;
}

/** ms since the epoch of a message timestamp (ISO text, or epoch seconds/ms), or undefined. */
function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value))
    return Math.abs(value) < 1e11 ? value * 1000 : value;
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** Each message's time; one without a time takes the one before it in its own list, so it stays after it. */
function timeline(messages: readonly JsonObject[]): number[] {
  let previous = Number.NEGATIVE_INFINITY;
  return messages.map((message) => (previous = timeOf(message.timestamp) ?? previous));
}

function sameTriple(a: JsonObject, b: JsonObject): boolean {
  return a.role === b.role && a.content === b.content && (a.timestamp ?? null) === (b.timestamp ?? null);
}

/**
 * Messages unioned by id; a message without an id (on either side) is matched by role, content and timestamp.
 * An existing message matched that way takes the incoming id when it has none, so imported replies keep their
 * parent. When anything is added, messages are ordered by time, then existing before imported, then as listed.
 */
function unionMessages(existing: unknown, incoming: unknown, notes: string[]): unknown[] | undefined {
  const before = (Array.isArray(existing) ? existing : []).filter(isPlainObject);
  const added = (Array.isArray(incoming) ? incoming : []).filter(isPlainObject);
  const result = [...before];
  const times = timeline(before);
  const incomingTimes = timeline(added);
  const newTimes: number[] = [];
  let changed = false;
  for (const [index, message] of added.entries()) {
    const id = idText(message.id);
    const byId = id === undefined ? -1 : result.findIndex((candidate) => idText(candidate.id) === id);
    const byTriple =
      byId >= 0
        ? -1
        : result.findIndex(
            (candidate) =>
              (id === undefined || idText(candidate.id) === undefined) && sameTriple(candidate, message),
          );
    const at = byId >= 0 ? byId : byTriple;
    if (at < 0) {
      result.push(structuredClone(message));
      newTimes.push(incomingTimes[index]!);
      changed = true;
      continue;
    }
    const match = result[at]!;
    if (id !== undefined && idText(match.id) === undefined) {
      result[at] = { ...match, id };
      changed = true;
    } else if (!isDeepStrictEqual(match, message) && byId >= 0) {
      addNote(notes, `kept existing message ${id ?? ''}; imported differs`);
    }
  }
  if (!changed) return undefined;
  const allTimes = [...times, ...newTimes];
  return result
    .map((message, order) => ({ message, order, time: allTimes[order]! }))
    .sort((a, b) => (a.time === b.time ? a.order - b.order : a.time < b.time ? -1 : 1))
    .map(({ message }) => message);
}

const PART_RULES: { readonly [T in ContentType]?: readonly PartRule[] } = {
  world_book: [WORLD_BOOK_ENTRIES],
  dictionary: [DICTIONARY_ENTRIES],
  evaluation: [EVALUATION_RUNS],
  media: [MEDIA_TRANSCRIPTS, MEDIA_CHUNKS, MEDIA_ARTIFACTS],
};

function unchanged<T extends ContentType>(existing: ItemByType[T], notes: string[]): MergeResult<T> {
  return { content: existing, changed: false, notes };
}

/** The merge of an incoming item into the existing one of the same type and identity. */
export function mergeContent<T extends ContentType>(
  type: T,
  existing: ItemByType[T],
  incoming: ItemByType[T],
): MergeResult<T> {
  const before: JsonObject = existing;
  const after: JsonObject = incoming;
  const notes: string[] = [];
  let rules: readonly PartRule[] = PART_RULES[type] ?? [];
  const skip = new Set<string>();

  if (type === 'conversation') skip.add('messages');
  if (type === 'world_book') skip.add('world_book'); // the legacy mirror of the top level: the existing one stays
  if (type === 'embedding') {
    const shape = embeddingShapeOf(before);
    if (shape !== embeddingShapeOf(after)) {
      addNote(notes, 'kept existing embedding; imported has a different shape');
      return unchanged(existing, notes);
    }
    if (shape !== 'collection' && !isDeepStrictEqual(before.vector, after.vector)) {
      addNote(notes, 'kept existing vector; imported differs');
      return unchanged(existing, notes);
    }
    if (shape === 'collection') {
      rules = [COLLECTION_CHUNKS];
      skip.add('item_count');
    }
  }
  for (const rule of rules) skip.add(rule.field);

  const result = mergeFields(before, after, notes, { path: '', skip, nested: false });
  if (type === 'conversation') {
    const messages = unionMessages(before.messages, after.messages, notes);
    if (messages !== undefined) setField(result, 'messages', messages);
  }
  for (const rule of rules) {
    const parts = own(after, rule.field);
    if (!Array.isArray(parts) || parts.length === 0) continue;
    setField(result, rule.field, unionParts(own(before, rule.field), parts, rule, notes));
  }
  if (type === 'embedding' && rules.includes(COLLECTION_CHUNKS)) {
    // The union holds at least as many chunks as either collection said it had.
    const counts = [before.item_count, after.item_count].filter((n): n is number => typeof n === 'number');
    const chunks = Array.isArray(result.chunks) ? result.chunks.length : 0;
    if (counts.length > 0) setField(result, 'item_count', Math.max(...counts, chunks));
  }

  if (isDeepStrictEqual(result, before)) return unchanged(existing, notes);
  return { content: result as ItemByType[T], changed: true, notes };
}
