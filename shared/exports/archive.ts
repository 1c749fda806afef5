/**
 * Builds an export's chatbook: the plan's items fetched from the library a batch at a time, encoded in tldw's
 * layout, their files streamed from storage, all through the streaming writer. Memory stays flat: one batch of
 * item bodies and one file stream at a time.
 */
import type { Readable } from 'node:stream';
import { encodeItem, itemPathFor } from '../chatbook/codec/item-codec';
import {
  characterAssetPath,
  conversationAssetPath,
  mediaFilePath,
  type ContentType,
} from '../chatbook/layout';
import { isPlainObject } from '../chatbook/schema/common';
import { buildManifest, type ContentItemRef, type ManifestRelationship } from '../chatbook/schema/manifest';
import type { ItemByType } from '../chatbook/schema/items';
import { writeChatbook, type ChatbookEntry, type WriteChatbookResult } from '../chatbook/writer';
import type { LibraryFile, LibraryItem, LibraryStore } from '../library/library';
import { hashUserId } from '../observability/logger';
import type { ExportSpec } from './export-request';
import type { ExportPlan, PlannedItem } from './plan';

export const PRODUCER = { name: 'chatbooks-cloud', version: '1.0' } as const;

export interface ArchiveProgress {
  processedItems: number;
  processedBytes: number;
}

export interface BuildArchiveInput {
  store: LibraryStore;
  userId: string;
  jobId: string;
  spec: ExportSpec;
  plan: ExportPlan;
  now: Date;
  /** Called every so often while items stream; returning false stops the export (e.g. it was cancelled). */
  onProgress?: (progress: ArchiveProgress) => Promise<boolean> | boolean;
}

export interface BuiltArchive {
  stream: Readable;
  result: Promise<WriteChatbookResult & { warnings: string[]; processedItems: number }>;
}

/** Item bodies fetched from the library per round trip. */
const FETCH_BATCH = 50;
const PROGRESS_EVERY_MS = 1000;

/**
 * Progress for the job at most every PROGRESS_EVERY_MS (and when forced, at the end); throws ExportStopped when
 * the job is no longer running (a cancel).
 */
export function progressReporter(
  input: Pick<BuildArchiveInput, 'onProgress'>,
): (progress: ArchiveProgress, force?: boolean) => Promise<void> {
  let lastProgressAt = 0;
  return async (progress, force = false) => {
    if (!input.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgressAt < PROGRESS_EVERY_MS) return;
    lastProgressAt = now;
    if (!(await input.onProgress(progress))) throw new ExportStopped();
  };
}

export class ExportStopped extends Error {
  constructor() {
    super('The export was stopped (cancelled or no longer running).');
    this.name = 'ExportStopped';
  }
}

function extensionOf(name: string): string {
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return match ? `.${match[1]!.toLowerCase()}` : '.bin';
}

function mediaArchivePath(mediaId: string, file: LibraryFile): string {
  return mediaFilePath(mediaId, file.fileId, extensionOf(file.name));
}

type Json = Record<string, unknown>;

function asRecords(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : [];
}

/**
 * The item as the archive carries it: files referenced by their archive paths (tldw's attachment and stored
 * artifact fields) instead of the library's file ids.
 */
function archiveContent(item: LibraryItem, files: readonly LibraryFile[]): ItemByType[ContentType] {
  const bundled = new Map(files.map((file) => [file.fileId, file]));
  if (item.type === 'conversation') {
    const content = structuredClone(item.content) as Json;
    for (const message of asRecords(content.messages)) {
      for (const attachment of asRecords(message.attachments)) {
        const fileId = attachment.file_id;
        if (typeof fileId !== 'string') continue;
        const file = bundled.get(fileId);
        delete attachment.file_id;
        attachment.file_path = file ? conversationAssetPath(item.id, fileId) : null;
        attachment.bundled = Boolean(file);
        if (file) attachment.size_bytes = file.sizeBytes;
      }
    }
    if (files.length > 0) content.attachments_path = conversationAssetPath(item.id, '').replace(/\/$/, '');
    return content as ItemByType['conversation'];
  }
  if (item.type === 'character') {
    const content = structuredClone(item.content) as Json;
    const metadata = content.metadata;
    const avatar = isPlainObject(metadata) ? metadata.avatar : undefined;
    const file =
      isPlainObject(avatar) && typeof avatar.file_id === 'string' ? bundled.get(avatar.file_id) : undefined;
    if (isPlainObject(avatar) && file) {
      delete avatar.file_id;
      avatar.file_path = characterAssetPath(item.id, file.name);
      avatar.bundled = true;
      avatar.size_bytes = file.sizeBytes;
    }
    return content as ItemByType['character'];
  }
  if (item.type === 'media') {
    const content = structuredClone(item.content) as Json;
    for (const artifact of asRecords(content.stored_artifacts)) {
      const file = bundled.get(String(artifact.id));
      artifact.bundled = Boolean(file);
      if (file) {
        artifact.pointer_only = false;
        artifact.archive_path = mediaArchivePath(item.id, file);
      } else {
        delete artifact.archive_path;
      }
    }
    return content as ItemByType['media'];
  }
  return item.content;
}

function filePathOf(item: PlannedItem, file: LibraryFile): string {
  if (item.type === 'media') return mediaArchivePath(item.id, file);
  if (item.type === 'character') return characterAssetPath(item.id, file.name);
  return conversationAssetPath(item.id, file.fileId);
}

/** Counts tldw puts in a content item's metadata, plus ours. */
function itemMetadata(type: ContentType, content: Json): Json {
  switch (type) {
    case 'media': {
      const artifacts = asRecords(content.stored_artifacts);
      return {
        transcript_count: asRecords(content.transcripts).length,
        chunk_count: asRecords(content.chunks).length,
        stored_artifact_count: artifacts.length,
        pointer_only_artifact_count: artifacts.filter((a) => a.bundled !== true).length,
      };
    }
    case 'conversation':
      return { message_count: asRecords(content.messages).length };
    case 'evaluation':
      return { run_count: asRecords(content.runs).length };
    default:
      return {};
  }
}

/** Links between items, as the manifest records them (conversation → character, media → embedding, ...). */
function relationshipsOf(type: ContentType, content: Json, id: string): ManifestRelationship[] {
  const link = (
    source: string,
    sourceType: ContentType,
    target: unknown,
    targetType: ContentType,
    kind: string,
  ) =>
    typeof target === 'string' || typeof target === 'number'
      ? [
          {
            source_id: source,
            target_id: String(target),
            relationship_type: kind,
            metadata: { source_type: sourceType, target_type: targetType },
          },
        ]
      : [];
  switch (type) {
    case 'conversation':
      return link(id, 'conversation', content.character_id, 'character', 'uses_character');
    case 'generated_document':
      return link(id, 'generated_document', content.conversation_id, 'conversation', 'generated_from');
    case 'embedding': {
      const mediaId = ((content.source ?? {}) as Json).media_id;
      return typeof mediaId === 'string' || typeof mediaId === 'number'
        ? link(String(mediaId), 'media', id, 'embedding', 'has_embedding')
        : [];
    }
    default:
      return [];
  }
}

export function buildExportArchive(input: BuildArchiveInput): BuiltArchive {
  const { spec, plan, userId } = input;
  const manifest = buildManifest(
    {
      name: spec.name,
      description: spec.description,
      author: spec.author ?? null,
      created_at: input.now.toISOString(),
      export_id: input.jobId,
      content_items: plan.items.map((item) => ({
        id: item.id,
        type: item.type,
        title: item.title,
        created_at: item.createdAt,
        updated_at: item.updatedAt,
        tags: item.tags,
        file_path: itemPathFor(item.type, item.id),
        metadata: item.related ? { included_as: 'related' } : {},
      })),
      configuration: {
        include_media: spec.includeMedia,
        include_embeddings: spec.includeEmbeddings,
        include_generated_content: true,
        media_quality: 'original',
      },
      statistics: { total_size_bytes: plan.totalBytes },
      metadata: {
        tags: spec.tags,
        categories: spec.categories,
        selection_mode: 'allowlist',
        ...(Object.keys(spec.filters).length ? { filters: spec.filters } : {}),
      },
      user_info: { user_id: hashUserId(userId) },
      features_used: ['file_inventory', 'integrity_metadata'],
      producer: { ...PRODUCER },
      compatibility: {
        min_reader_version: '1.0.0',
        recommended_reader_version: '1.1.0',
        unsupported_feature_behavior: 'warn_and_skip',
      },
    },
    spec.formatVersion,
  ) as Record<string, unknown>;
  delete manifest.file_inventory;
  // The manifest is read by the writer after the last entry: items that vanished since planning are dropped
  // from it, and relationships and per-item counts found while streaming are added, in place.
  const contentItems = manifest.content_items as ContentItemRef[];
  const relationships = manifest.relationships as ManifestRelationship[];
  const planned = new Set(plan.items.map((item) => `${item.type}#${item.id}`));
  const refByKey = new Map(contentItems.map((ref) => [`${ref.type}#${ref.id}`, ref]));
  const warnings: string[] = [];
  let processedItems = 0;
  let processedBytes = 0;

  const reporter = progressReporter(input);
  const report = (force = false) => reporter({ processedItems, processedBytes }, force);

  const counted = (file: LibraryFile): AsyncIterable<Uint8Array> => ({
    async *[Symbol.asyncIterator]() {
      for await (const chunk of await input.store.openFile(file)) {
        processedBytes += chunk.length;
        yield chunk;
      }
    },
  });

  async function* entries(): AsyncGenerator<ChatbookEntry> {
    const batches: PlannedItem[][] = [];
    for (let start = 0; start < plan.items.length;) {
      const type = plan.items[start]!.type;
      let end = start;
      while (end < plan.items.length && end - start < FETCH_BATCH && plan.items[end]!.type === type) end++;
      batches.push(plan.items.slice(start, end));
      start = end;
    }
    const fetchBatch = (batch: PlannedItem[]) =>
      input.store.getMany(
        userId,
        batch[0]!.type,
        batch.map((item) => item.id),
      );
    const vanished = new Set<string>();
    let next = batches.length > 0 ? fetchBatch(batches[0]!) : undefined;
    for (let index = 0; index < batches.length; index++) {
      const batch = batches[index]!;
      const fetched = await next!;
      // Fetch the next batch while this one is written.
      next = index + 1 < batches.length ? fetchBatch(batches[index + 1]!) : undefined;
      next?.catch(() => undefined);
      const byId = new Map(fetched.map((item) => [item.id, item]));
      for (const plannedItem of batch) {
        const item = byId.get(plannedItem.id);
        if (!item) {
          vanished.add(`${plannedItem.type}#${plannedItem.id}`);
          warnings.push(
            `${plannedItem.type} ${plannedItem.id} was deleted while the export ran; it is not in the archive.`,
          );
          continue;
        }
        // Files that are in the library now and were planned (a file added since planning waits for the next export).
        const plannedFiles = new Set(plannedItem.files.map((file) => file.fileId));
        const files = item.files.filter((file) => plannedFiles.has(file.fileId));
        const content = archiveContent(item, files);
        const encoded = encodeItem(item.type, content);
        const ref = refByKey.get(`${item.type}#${item.id}`);
        if (ref) ref.metadata = { ...ref.metadata, ...itemMetadata(item.type, content) };
        for (const relationship of relationshipsOf(item.type, content, item.id)) {
          const targetType = (relationship.metadata as Json).target_type as ContentType;
          const sourceType = (relationship.metadata as Json).source_type as ContentType;
          relationships.push({
            ...relationship,
            metadata: {
              ...relationship.metadata,
              target_in_archive: planned.has(`${targetType}#${relationship.target_id}`),
              source_in_archive: planned.has(`${sourceType}#${relationship.source_id}`),
            },
          });
        }
        processedBytes += Buffer.byteLength(encoded.body);
        yield { path: encoded.path, body: encoded.body, contentItemIds: [item.id] };
        for (const file of files) {
          // The digest recorded when the file was stored goes to the inventory: no second SHA-256 pass.
          yield {
            path: filePathOf(plannedItem, file),
            body: counted(file),
            sha256: file.sha256,
            sizeBytes: file.sizeBytes,
            contentItemIds: [item.id],
          };
        }
        processedItems += 1;
        await report();
      }
    }
    if (vanished.size > 0) {
      const kept = contentItems.filter((ref) => !vanished.has(`${ref.type}#${ref.id}`));
      contentItems.splice(0, contentItems.length, ...kept);
    }
    await report(true);
  }

  // The archive's SHA-256 goes on the job, for clients to check their download against.
  const { stream, result } = writeChatbook({
    manifest,
    version: spec.formatVersion,
    entries: entries(),
    hashArchive: true,
  });
  return {
    stream,
    result: result.then((written) => ({ ...written, warnings, processedItems })),
  };
}
