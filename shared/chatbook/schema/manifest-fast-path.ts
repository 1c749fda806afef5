/**
 * A fast path for the manifest's two long arrays. A chatbook of 100,000 items has 100,000 content items and as
 * many inventory entries; running zod over each costs seconds, while nearly all of them are already in the
 * canonical shape our writer and tldw produce. These functions return exactly what the zod schemas would for
 * such an element (same keys, same order, fresh objects), and undefined for anything else, which then goes
 * through the schema for its coercions and messages. A unit test holds the two to the same output.
 */
import type { ContentItemRef, FileInventoryEntry } from './manifest';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringOrAbsent = (value: unknown) =>
  value === undefined || value === null || typeof value === 'string';
const isTimestampOrAbsent = (value: unknown) => isStringOrAbsent(value) || typeof value === 'number';
const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const isIdList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);

function extras(element: Json, known: ReadonlySet<string>): Json {
  const rest: Json = {};
  for (const key of Object.keys(element)) {
    // zod drops this key; so do we.
    if (!known.has(key) && key !== '__proto__') rest[key] = element[key];
  }
  return rest;
}

/** The keys of a manifest content item, in the schema's order. */
export const CONTENT_ITEM_KEYS: ReadonlySet<string> = new Set([
  'id',
  'type',
  'title',
  'description',
  'created_at',
  'updated_at',
  'tags',
  'metadata',
  'file_path',
  'checksum',
]);

export function fastContentItem(element: unknown): ContentItemRef | undefined {
  if (!isObject(element)) return undefined;
  const { id, type, title, description, created_at, updated_at, tags, metadata, file_path, checksum } =
    element;
  if (typeof id !== 'string' || id.length === 0 || typeof type !== 'string' || typeof title !== 'string') {
    return undefined;
  }
  if (
    !isStringOrAbsent(description) ||
    !isTimestampOrAbsent(created_at) ||
    !isTimestampOrAbsent(updated_at)
  ) {
    return undefined;
  }
  if (!(tags === undefined || tags === null || isStringList(tags))) return undefined;
  if (!(metadata === undefined || metadata === null || isObject(metadata))) return undefined;
  if (!isStringOrAbsent(file_path) || !isStringOrAbsent(checksum)) return undefined;
  return {
    id,
    type,
    title,
    description: description ?? null,
    created_at: created_at ?? null,
    updated_at: updated_at ?? null,
    tags: tags ? [...tags] : [],
    metadata: metadata ? { ...metadata } : {},
    file_path: file_path ?? null,
    checksum: checksum ?? null,
    ...extras(element, CONTENT_ITEM_KEYS),
  };
}

const INVENTORY_KEYS = new Set(['path', 'media_type', 'size_bytes', 'integrity', 'role', 'content_item_ids']);
const INTEGRITY_KEYS = new Set(['status', 'algorithm', 'value']);

export function fastInventoryEntry(element: unknown): FileInventoryEntry | undefined {
  if (!isObject(element)) return undefined;
  const { path, media_type, size_bytes, integrity, role, content_item_ids } = element;
  if (typeof path !== 'string') return undefined;
  if (typeof media_type !== 'string' || media_type === '' || typeof role !== 'string' || role === '')
    return undefined;
  if (typeof size_bytes !== 'number' || !Number.isFinite(size_bytes) || size_bytes < 0) return undefined;
  if (!(content_item_ids === undefined || content_item_ids === null || isIdList(content_item_ids)))
    return undefined;
  if (!isObject(integrity)) return undefined;
  const { status, algorithm, value } = integrity;
  if (
    typeof status !== 'string' ||
    status === '' ||
    !isStringOrAbsent(algorithm) ||
    !isStringOrAbsent(value)
  ) {
    return undefined;
  }
  return {
    path,
    media_type,
    size_bytes,
    integrity: {
      status,
      algorithm: algorithm ?? null,
      value: value ?? null,
      ...extras(integrity, INTEGRITY_KEYS),
    },
    role,
    content_item_ids: content_item_ids ? [...content_item_ids] : [],
    ...extras(element, INVENTORY_KEYS),
  };
}
