/** Library use cases behind /api/v1/library/{type}: list, get, create, update, delete. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ContentType } from '../chatbook/layout';
import { formatIssues } from '../chatbook/schema/common';
import { ITEM_SCHEMAS, type ItemByType } from '../chatbook/schema/items';
import { ConflictError, DomainError, NotFoundError, UnprocessableError, ValidationError } from '../errors';
import type { Clock } from '../jobs/job';
import { tagsOf, titleOf } from './item-fields';
import type {
  LibraryFile,
  LibraryItem,
  LibraryItemSummary,
  LibraryPage,
  LibraryStore,
  Provenance,
} from './library';

/** Ids go into keys and archive file names: a conservative alphabet; embeddings add `media:` / `collection:`. */
export const ITEM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const EMBEDDING_ID_PATTERN = /^(?:(?:media|collection):)?[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Ids an import gives the items it creates; reserved, so no one else creates one and an import needs no check. */
export const IMPORTED_ID_PREFIX = 'imp-';

export function isValidItemId(type: ContentType, id: string): boolean {
  return (type === 'embedding' ? EMBEDDING_ID_PATTERN : ITEM_ID_PATTERN).test(id);
}

const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 100;
/** The title kept beside the content (listed and searched); the content keeps the whole one. */
export const MAX_TITLE_LENGTH = 500;

const tagSchema = z
  .string()
  .trim()
  .min(1, 'a tag cannot be empty')
  .max(MAX_TAG_LENGTH, `a tag is at most ${MAX_TAG_LENGTH} characters`);

export const libraryWriteSchema = z.object({
  id: z.string().optional(),
  tags: z.array(tagSchema).max(MAX_TAGS, `at most ${MAX_TAGS} tags`).optional(),
  content: z.record(z.string(), z.unknown(), { error: 'content must be a JSON object (the item)' }),
});
export type LibraryWrite = z.infer<typeof libraryWriteSchema>;

export const libraryListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2048).optional(),
  tag: z
    .string()
    .optional()
    .transform((value) =>
      value
        ? value
            .split(',')
            .map((tag) => tag.trim())
            .filter(Boolean)
        : undefined,
    ),
  updated_since: z.iso
    .datetime({ offset: true, error: 'an ISO 8601 time, e.g. 2026-01-31T00:00:00Z' })
    .optional(),
  updated_until: z.iso
    .datetime({ offset: true, error: 'an ISO 8601 time, e.g. 2026-01-31T00:00:00Z' })
    .optional(),
  q: z.string().max(200).optional(),
});
export type LibraryListQuery = z.infer<typeof libraryListQuerySchema>;

/** The item as the API shows it. */
export interface LibraryItemView {
  id: string;
  type: ContentType;
  title: string;
  tags: string[];
  created_at: string;
  updated_at: string;
  version: number;
  size_bytes: number;
  files: { file_id: string; name: string; mime_type: string; size_bytes: number; sha256: string }[];
  provenance?: Provenance;
  content?: unknown;
}

function fileView(file: LibraryFile): LibraryItemView['files'][number] {
  return {
    file_id: file.fileId,
    name: file.name,
    mime_type: file.mimeType,
    size_bytes: file.sizeBytes,
    sha256: file.sha256,
  };
}

export function itemView(item: LibraryItemSummary | LibraryItem): LibraryItemView {
  return {
    id: item.id,
    type: item.type,
    title: item.title,
    tags: item.tags,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    version: item.version,
    size_bytes: item.sizeBytes,
    files: item.files.map(fileView),
    ...(item.provenance ? { provenance: item.provenance } : {}),
    ...('content' in item ? { content: item.content } : {}),
  };
}

/** ISO time with a fixed width, so listing keys sort by time. */
function isoUtc(value: string): string {
  return new Date(value).toISOString();
}

export class LibraryService {
  constructor(
    private readonly store: LibraryStore,
    private readonly clock: Clock,
  ) {}

  async list(
    userId: string,
    type: ContentType,
    query: LibraryListQuery,
  ): Promise<{ items: LibraryItemView[]; next_cursor: string | null }> {
    const page: LibraryPage = await this.store.list(userId, type, {
      limit: query.limit,
      cursor: query.cursor,
      tags: query.tag,
      updatedSince: query.updated_since ? isoUtc(query.updated_since) : undefined,
      updatedUntil: query.updated_until ? isoUtc(query.updated_until) : undefined,
      titleContains: query.q,
    });
    return { items: page.items.map(itemView), next_cursor: page.nextCursor ?? null };
  }

  async get(userId: string, type: ContentType, id: string): Promise<LibraryItemView> {
    return itemView(await this.require(userId, type, id));
  }

  async create(userId: string, type: ContentType, write: LibraryWrite): Promise<LibraryItemView> {
    const id = write.id ?? randomUUID();
    if (!isValidItemId(type, id)) throw invalidId(type, id);
    if (id.startsWith(IMPORTED_ID_PREFIX)) {
      throw new ValidationError(
        'reserved_id',
        `Ids starting with "${IMPORTED_ID_PREFIX}" are given by imports. Choose another id, or leave it out.`,
      );
    }
    const now = this.clock.now().toISOString();
    const content = parseContent(type, { ...write.content, id });
    const item: LibraryItem = {
      userId,
      type,
      id,
      title: summaryTitle(type, content),
      tags: summaryTags(type, content, write.tags),
      createdAt: now,
      updatedAt: now,
      version: 1,
      sizeBytes: 0,
      files: [],
      content,
    };
    if (!(await this.store.put(item, 'absent'))) {
      throw new ConflictError(
        'item_exists',
        `A ${type} with id ${id} already exists. Update it with PUT, or choose another id.`,
      );
    }
    return itemView((await this.store.get(userId, type, id)) ?? item);
  }

  /** Replaces the item's content and tags; `expectedVersion` (If-Match) refuses a write over someone else's. */
  async update(
    userId: string,
    type: ContentType,
    id: string,
    write: LibraryWrite,
    expectedVersion?: number,
  ): Promise<LibraryItemView> {
    const current = await this.require(userId, type, id);
    if (write.id !== undefined && write.id !== id) {
      throw new ValidationError(
        'id_mismatch',
        `The body's id (${write.id}) differs from the path's (${id}). Leave it out or make them equal.`,
      );
    }
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw versionConflict(type, id, current.version);
    }
    const content = parseContent(type, { ...write.content, id });
    const item: LibraryItem = {
      ...current,
      content,
      title: summaryTitle(type, content),
      tags: summaryTags(type, content, write.tags),
      updatedAt: this.clock.now().toISOString(),
      version: current.version + 1,
    };
    if (!(await this.store.put(item, current.version))) {
      const latest = await this.require(userId, type, id);
      throw versionConflict(type, id, latest.version);
    }
    return itemView((await this.store.get(userId, type, id)) ?? item);
  }

  async delete(userId: string, type: ContentType, id: string): Promise<void> {
    if (!(await this.store.delete(userId, type, id))) throw notFound(type, id);
  }

  private async require(userId: string, type: ContentType, id: string): Promise<LibraryItem> {
    if (!isValidItemId(type, id)) throw notFound(type, id);
    const item = await this.store.get(userId, type, id);
    if (!item) throw notFound(type, id);
    return item;
  }
}

function notFound(type: ContentType, id: string): NotFoundError {
  return new NotFoundError(
    'item_not_found',
    `No ${type} with id ${id} in your library. List them with GET /api/v1/library/${type}.`,
  );
}

function invalidId(type: ContentType, id: string): ValidationError {
  return new ValidationError(
    'invalid_id',
    `The id ${JSON.stringify(id.slice(0, 140))} cannot be used: ids are 1-128 letters, digits, "_", "." or "-", starting with a letter or digit${type === 'embedding' ? ' (embeddings may add a "media:" or "collection:" prefix)' : ''}. Use an id of that form, or leave it out to get one.`,
  );
}

function versionConflict(type: ContentType, id: string, version: number): DomainError {
  return new ConflictError(
    'version_conflict',
    `The ${type} ${id} changed since you read it (it is at version ${version}). Read it again and reapply your change.`,
    { details: { current_version: version } },
  );
}

/** The title, cut to what a listing shows (an item's record holds 400 KB in all; the content keeps the rest). */
function summaryTitle(type: ContentType, content: ItemByType[ContentType]): string {
  const title = titleOf(type, content);
  if (title.length <= MAX_TITLE_LENGTH) return title;
  const cut = title.slice(0, MAX_TITLE_LENGTH);
  // Never half a surrogate pair.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * The tags given beside the content, else the content's own (`tags`, `keywords`), held to the same limits: they
 * are kept on the item's record, which holds 400 KB in all.
 */
function summaryTags(type: ContentType, content: ItemByType[ContentType], given?: string[]): string[] {
  if (given) return [...new Set(given)];
  const tags = tagsOf(type, content);
  const record: Record<string, unknown> = content;
  const fields = ['tags', 'keywords'].filter((field) => Array.isArray(record[field]));
  const issues: string[] = [];
  if (tags.length > MAX_TAGS) {
    issues.push(`${fields.map((field) => `content.${field}`).join(' and ')}: at most ${MAX_TAGS} tags`);
  }
  for (const field of fields) {
    const values = record[field] as unknown[];
    if (values.some((value) => typeof value === 'string' && value.trim().length > MAX_TAG_LENGTH)) {
      issues.push(`content.${field}: a tag is at most ${MAX_TAG_LENGTH} characters`);
    }
  }
  if (issues.length > 0) {
    throw new UnprocessableError(
      'invalid_content',
      `The ${type} content is not valid. Fix the fields listed in details, or give the item's tags beside the content.`,
      { details: { issues } },
    );
  }
  return tags;
}

/** The content as its type's schema reads it (tolerant, unknown fields kept); 422 with each problem otherwise. */
function parseContent<T extends ContentType>(type: T, content: Record<string, unknown>): ItemByType[T] {
  const parsed = ITEM_SCHEMAS[type].safeParse(content);
  if (!parsed.success) {
    throw new UnprocessableError(
      'invalid_content',
      `The ${type} content is not valid. Fix the fields listed in details.`,
      { details: { issues: formatIssues(parsed.error, 'content') } },
    );
  }
  return parsed.data;
}
