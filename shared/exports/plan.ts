/**
 * The export plan: which library items go into the archive, in which order, and how big it will be. Built from
 * summaries only (no item bodies), so planning 10,000 items costs a few queries.
 */
import { CONTENT_TYPES, type ContentType } from '../chatbook/layout';
import { UnprocessableError } from '../errors';
import type { LibraryFile, LibraryItemSummary, LibraryStore } from '../library/library';
import type { ExportSpec } from './export-request';

export interface PlannedItem {
  type: ContentType;
  id: string;
  title: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  /** The item's JSON bytes plus the files that will be bundled. */
  sizeBytes: number;
  /** Files that go into the archive (media artifacts when include_media; conversation images always). */
  files: LibraryFile[];
  /** Added because a selected item links to it (a media item's embeddings), not selected itself. */
  related?: boolean;
}

export interface ExportPlan {
  items: PlannedItem[];
  totalItems: number;
  totalBytes: number;
  counts: Partial<Record<ContentType, number>>;
}

/** Items per listing page while planning a type selected whole. */
const PLAN_PAGE = 500;
/** Upper bound on items in one export, whatever their size. */
export const MAX_EXPORT_ITEMS = 20_000;
/** manifest.json must stay under the 10 MiB that tldw_server's reader (and ours) accept; this leaves a margin. */
export const MANIFEST_BUDGET_BYTES = 9.5 * 1024 * 1024;

/** One file_inventory record without its path and ids: media type, size, SHA-256 integrity, role. */
const INVENTORY_RECORD_BYTES = 200;
/** A relationship record without its ids. */
const RELATIONSHIP_BYTES = 180;
/** Per-item counts the archive step adds to a content item's metadata (messages, transcripts, runs). */
const ITEM_METADATA_BYTES: Partial<Record<ContentType, number>> = {
  media: 110,
  conversation: 25,
  evaluation: 25,
};

/**
 * An upper estimate of manifest.json's size. The writer prints each content item and inventory record as one
 * compact JSON line, so the estimate serializes each planned item's record the same way and adds the parts only
 * known while archiving (paths, per-item counts, relationships) at their largest.
 */
export function estimateManifestBytes(items: readonly PlannedItem[]): number {
  let bytes = 8 * 1024;
  for (const item of items) {
    const escapedId = JSON.stringify(item.id).length;
    // The longest folder and prefix (content/generated_documents/document_<id>.json) and the id once.
    const path = 48 + escapedId;
    bytes +=
      JSON.stringify({
        id: item.id,
        type: item.type,
        title: item.title,
        description: null,
        created_at: item.createdAt,
        updated_at: item.updatedAt,
        tags: item.tags,
        metadata: {},
        file_path: '',
        checksum: null,
      }).length +
      path +
      (ITEM_METADATA_BYTES[item.type] ?? 0) +
      8;
    bytes += INVENTORY_RECORD_BYTES + path + escapedId;
    if (item.type === 'conversation' || item.type === 'generated_document' || item.type === 'embedding')
      bytes += RELATIONSHIP_BYTES + 2 * escapedId + 64;
    for (const file of item.files)
      bytes += INVENTORY_RECORD_BYTES + path + 2 * JSON.stringify(file.fileId).length;
  }
  return bytes;
}

function matchesFilters(item: LibraryItemSummary, filters: ExportSpec['filters']): boolean {
  if (filters.tags?.some((tag) => !item.tags.includes(tag))) return false;
  if (filters.updatedSince && item.updatedAt < filters.updatedSince) return false;
  if (filters.updatedUntil && item.updatedAt > filters.updatedUntil) return false;
  return true;
}

function planned(item: LibraryItemSummary, spec: ExportSpec, related = false): PlannedItem {
  const files = item.type === 'media' && !spec.includeMedia ? [] : item.files;
  const fileBytes = item.files.reduce((sum, file) => sum + file.sizeBytes, 0);
  const bundledBytes = files.reduce((sum, file) => sum + file.sizeBytes, 0);
  return {
    type: item.type,
    id: item.id,
    title: item.title,
    tags: item.tags,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    sizeBytes: Math.max(0, item.sizeBytes - fileBytes) + bundledBytes,
    files,
    ...(related ? { related: true } : {}),
  };
}

/**
 * Resolves the selection against the library. Named ids that do not exist (or that the filters exclude) are a
 * 422 that lists them; nothing selected at all is a 422 too.
 */
export async function planExport(store: LibraryStore, userId: string, spec: ExportSpec): Promise<ExportPlan> {
  const items: PlannedItem[] = [];
  const seen = new Set<string>();
  const missing: { type: ContentType; id: string }[] = [];
  const add = (item: PlannedItem) => {
    const key = `${item.type}#${item.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    items.push(item);
    if (items.length > MAX_EXPORT_ITEMS) {
      throw new UnprocessableError(
        'export_too_many_items',
        `This selection has more than ${MAX_EXPORT_ITEMS} items. Narrow it with filters (tags, time range) or split it into several exports.`,
        { details: { max_items: MAX_EXPORT_ITEMS } },
      );
    }
  };

  for (const type of CONTENT_TYPES) {
    const selected = spec.selection[type];
    if (selected === undefined) continue;
    if (selected === 'all') {
      let cursor: string | undefined;
      do {
        const page = await store.list(userId, type, {
          limit: PLAN_PAGE,
          cursor,
          tags: spec.filters.tags,
          updatedSince: spec.filters.updatedSince,
          updatedUntil: spec.filters.updatedUntil,
        });
        for (const item of page.items) add(planned(item, spec));
        cursor = page.nextCursor;
      } while (cursor);
    } else {
      const found = await store.getSummaries(userId, type, selected);
      const byId = new Map(found.map((item) => [item.id, item]));
      for (const id of selected) {
        const item = byId.get(id);
        if (!item || !matchesFilters(item, spec.filters)) missing.push({ type, id });
        else add(planned(item, spec));
      }
    }
  }
  if (missing.length > 0) {
    throw new UnprocessableError(
      'unknown_items',
      `${missing.length} selected item(s) are not in your library${Object.keys(spec.filters).length ? ' or do not match the filters' : ''}: ${missing
        .slice(0, 5)
        .map((m) => `${m.type} ${m.id}`)
        .join(', ')}${missing.length > 5 ? ', ...' : ''}. Remove them from the selection.`,
      { details: { missing: missing.slice(0, 100) } },
    );
  }

  if (spec.includeEmbeddings) {
    // A media item's embeddings travel with it: its vector item is `media:<id>`.
    const mediaIds = items.filter((item) => item.type === 'media').map((item) => `media:${item.id}`);
    for (let start = 0; start < mediaIds.length; start += 100) {
      const found = await store.getSummaries(userId, 'embedding', mediaIds.slice(start, start + 100));
      for (const item of found) add(planned(item, spec, true));
    }
  }

  if (items.length === 0) {
    throw new UnprocessableError(
      'nothing_to_export',
      'Nothing in your library matches this selection and these filters. Widen the filters or pick other items.',
    );
  }
  const manifestBytes = estimateManifestBytes(items);
  if (manifestBytes > MANIFEST_BUDGET_BYTES) {
    throw new UnprocessableError(
      'export_manifest_too_large',
      `This selection of ${items.length} items would need a manifest of about ${Math.ceil(manifestBytes / 1048576)} MB; chatbook readers accept 10 MB. Split it into several exports (by type or time range).`,
      { details: { total_items: items.length, estimated_manifest_bytes: manifestBytes } },
    );
  }
  const counts: Partial<Record<ContentType, number>> = {};
  for (const item of items) counts[item.type] = (counts[item.type] ?? 0) + 1;
  return {
    items,
    totalItems: items.length,
    totalBytes: items.reduce((sum, item) => sum + item.sizeBytes, 0),
    counts,
  };
}
