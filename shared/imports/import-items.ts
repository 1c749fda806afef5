/**
 * The import engine: which of a chatbook's items to import, in which order, and how each one lands in the library
 * under the chosen strategy. Every outcome is recorded per job and source item before the next item, and new
 * items get ids derived from the job and the source id, so a batch that runs twice writes nothing twice.
 */
import { createHash } from 'node:crypto';
import { decodeItem } from '../chatbook/codec/item-codec';
import { isContentType, mediaTypeOf, type ContentType } from '../chatbook/layout';
import type { ChatbookArchive } from '../chatbook/reader';
import type { ItemByType } from '../chatbook/schema/items';
import { tagsOf, titleOf } from '../library/item-fields';
import { isValidItemId } from '../library/library-service';
import type { LibraryFile, LibraryItem, LibraryStore, Provenance } from '../library/library';
import { normalizeTitle } from './identity';
import type { ImportRecord, ImportRecords } from './records';
import {
  applyPrefix,
  identityKeyOf,
  referencesOf,
  resolveImport,
  withReferences,
  type ImportStrategy,
  type ReferenceMap,
} from './resolve';

/** tldw's import order: what others point at (characters, media, conversations) lands before what points. */
export const IMPORT_ORDER: readonly ContentType[] = [
  'character',
  'world_book',
  'dictionary',
  'prompt',
  'media',
  'evaluation',
  'embedding',
  'conversation',
  'note',
  'generated_document',
];

export interface ImportOptions {
  strategy: ImportStrategy;
  prefix?: string | undefined;
  selection?: Partial<Record<ContentType, 'all' | string[]>> | undefined;
  includeMedia: boolean;
  includeEmbeddings: boolean;
}

export interface PlannedImport {
  type: ContentType;
  sourceId: string;
  title: string;
  path: string;
}

/** The manifest's items to import, in import order, and why the others are left out. */
export function planImport(
  archive: Pick<ChatbookArchive, 'manifest' | 'hasEntry'>,
  options: ImportOptions,
): { items: PlannedImport[]; warnings: string[] } {
  const warnings: string[] = [];
  const skippedTypes = new Map<string, number>();
  const items: PlannedImport[] = [];
  for (const ref of archive.manifest.content_items) {
    if (!isContentType(ref.type)) {
      skippedTypes.set(ref.type, (skippedTypes.get(ref.type) ?? 0) + 1);
      continue;
    }
    const selected = options.selection?.[ref.type];
    if (options.selection && (selected === undefined || (selected !== 'all' && !selected.includes(ref.id))))
      continue;
    if (
      (ref.type === 'media' && !options.includeMedia) ||
      (ref.type === 'embedding' && !options.includeEmbeddings)
    ) {
      skippedTypes.set(ref.type, (skippedTypes.get(ref.type) ?? 0) + 1);
      continue;
    }
    if (typeof ref.file_path !== 'string' || !archive.hasEntry(ref.file_path)) continue;
    items.push({
      type: ref.type,
      sourceId: ref.id,
      title: typeof ref.title === 'string' ? ref.title : '',
      path: ref.file_path,
    });
  }
  for (const [type, count] of skippedTypes)
    warnings.push(
      `Skipped ${count} ${type} item(s): ${isContentType(type) ? 'not selected for import (include_media / include_embeddings)' : 'unsupported content type'}.`,
    );
  const rank = new Map(IMPORT_ORDER.map((type, index) => [type, index]));
  items.sort((a, b) => (rank.get(a.type) ?? 99) - (rank.get(b.type) ?? 99));
  return { items, warnings };
}

export interface ImportEnv {
  userId: string;
  jobId: string;
  now: Date;
  library: LibraryStore;
  records: ImportRecords;
  source: { name: string; exportId: string | null };
}

/** A new item's id: the same for the same job and source item, so a retry finds what it wrote. */
export function importedItemId(jobId: string, type: ContentType, sourceId: string): string {
  return `imp-${createHash('sha256').update(`${jobId}\u0000${type}\u0000${sourceId}`).digest('hex').slice(0, 24)}`;
}

type Json = Record<string, unknown>;

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : [];
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The identities in the user's library, per type. An incoming item conflicts only with items that were there
 * before this import (two items of one chatbook with the same title both land); new names avoid both.
 */
export class LibraryIdentities {
  private readonly byType = new Map<ContentType, { existing: Map<string, string>; taken: Set<string> }>();

  constructor(
    private readonly library: LibraryStore,
    private readonly userId: string,
    private readonly jobId: string,
  ) {}

  async of(type: ContentType): Promise<{ existing: Map<string, string>; taken: Set<string> }> {
    let identities = this.byType.get(type);
    if (identities) return identities;
    identities = { existing: new Map(), taken: new Set() };
    let cursor: string | undefined;
    do {
      const page = await this.library.list(this.userId, type, { limit: 500, cursor });
      for (const item of page.items) {
        const key = type === 'embedding' ? item.id : normalizeTitle(item.title);
        identities.taken.add(key);
        // Written by this very job (an earlier batch, or a run before a retry): not a conflict.
        if (item.provenance?.import_job_id === this.jobId) continue;
        if (!identities.existing.has(key)) identities.existing.set(key, item.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
    this.byType.set(type, identities);
    return identities;
  }
}

/** The archive's files of an item stored in the library, and the item's content pointing at them by file id. */
async function storeFiles(
  archive: ChatbookArchive,
  env: ImportEnv,
  type: ContentType,
  targetId: string,
  content: Json,
): Promise<{ content: Json; files: LibraryFile[] }> {
  const files: LibraryFile[] = [];
  const next = structuredClone(content);
  const store = async (path: string, fileId: string, name: string, mimeType: unknown) => {
    files.push(
      await env.library.putFile(env.userId, type, targetId, {
        fileId,
        name,
        mimeType: typeof mimeType === 'string' && mimeType !== '' ? mimeType : mediaTypeOf(path),
        body: await archive.readEntry(path),
      }),
    );
  };
  if (type === 'media') {
    for (const artifact of records(next.stored_artifacts)) {
      const path = artifact.archive_path;
      if (artifact.bundled === true && typeof path === 'string' && archive.hasEntry(path)) {
        const fileId =
          typeof artifact.id === 'string' || typeof artifact.id === 'number'
            ? String(artifact.id)
            : baseName(path);
        const name =
          typeof artifact.original_filename === 'string' ? artifact.original_filename : baseName(path);
        await store(path, fileId, name, artifact.mime_type);
      }
      delete artifact.archive_path;
      delete artifact.bundled;
      delete artifact.pointer_only;
    }
  }
  if (type === 'conversation') {
    for (const message of records(next.messages)) {
      for (const attachment of records(message.attachments)) {
        const path = attachment.file_path;
        if (typeof path !== 'string' || !archive.hasEntry(path)) continue;
        const fileId = baseName(path);
        await store(path, fileId, fileId, attachment.mime_type);
        attachment.file_id = fileId;
        delete attachment.file_path;
        delete attachment.bundled;
      }
    }
    delete next.attachments_path;
  }
  return { content: next, files };
}

/**
 * Imports `items` (a slice of the plan, in order). Items already recorded for this job are not touched again;
 * references to items imported earlier in the job are rewritten to their new ids.
 */
export async function importItems(
  archive: ChatbookArchive,
  items: readonly PlannedImport[],
  options: ImportOptions,
  env: ImportEnv,
  identities: LibraryIdentities,
  onItem?: (record: ImportRecord) => Promise<boolean> | boolean,
): Promise<ImportRecord[]> {
  const done = new Map(
    (await env.records.getMany(env.userId, env.jobId, items)).map((record) => [
      `${record.type}#${record.sourceId}`,
      record,
    ]),
  );
  const results: ImportRecord[] = [];
  for (const item of items) {
    let record = done.get(`${item.type}#${item.sourceId}`);
    if (!record) {
      record = await importOne(archive, item, options, env, identities);
      if (!(await env.records.put(env.userId, env.jobId, record))) {
        record = (await env.records.getMany(env.userId, env.jobId, [item]))[0] ?? record;
      }
    }
    results.push(record);
    if (onItem && !(await onItem(record))) break;
  }
  return results;
}

async function resolveReferences<T extends ContentType>(
  env: ImportEnv,
  type: T,
  content: ItemByType[T],
): Promise<{ content: ItemByType[T]; notes: string[] }> {
  const references = referencesOf(type, content);
  if (references.length === 0) return { content, notes: [] };
  const found = await env.records.getMany(
    env.userId,
    env.jobId,
    references.map((reference) => ({ type: reference.type, sourceId: reference.id })),
  );
  const map: Partial<Record<ContentType, Map<string, string>>> = {};
  for (const record of found) {
    if (record.targetId) (map[record.type] ??= new Map()).set(record.sourceId, record.targetId);
  }
  const notes = references
    .filter((reference) => !map[reference.type]?.has(reference.id))
    .map(
      (reference) =>
        `${reference.field} points at ${reference.type} ${reference.id}, which this chatbook does not hold; kept as is.`,
    );
  return { content: withReferences(type, content, map as ReferenceMap), notes };
}

async function importOne(
  archive: ChatbookArchive,
  item: PlannedImport,
  options: ImportOptions,
  env: ImportEnv,
  identities: LibraryIdentities,
): Promise<ImportRecord> {
  const base = { type: item.type, sourceId: item.sourceId, title: item.title };
  const decoded = decodeItem(item.type, await archive.readEntry(item.path), {
    id: item.sourceId,
    path: item.path,
  });
  if (!decoded.ok) return { ...base, outcome: 'failed', reason: decoded.message };
  const { content: incoming, notes: referenceNotes } = await resolveReferences(env, item.type, decoded.item);

  const known = await identities.of(item.type);
  const key = identityKeyOf(item.type, applyPrefix(item.type, incoming, options.prefix ?? ''));
  const existingId = known.existing.get(key);
  const existing = existingId ? await env.library.get(env.userId, item.type, existingId) : undefined;
  const decision = resolveImport({
    type: item.type,
    incoming,
    existing: existing && { id: existing.id, content: existing.content },
    strategy: options.strategy,
    // Without a library conflict the item lands as it is, even if this import already brought its title.
    takenKeys: existing ? known.taken : new Set(known.existing.keys()),
    prefix: options.prefix,
  });
  const notes = [...referenceNotes, ...decision.notes, ...decoded.warnings];
  const provenance: Provenance = {
    source_chatbook: env.source.name,
    export_id: env.source.exportId,
    original_id: item.sourceId,
    import_job_id: env.jobId,
    imported_at: env.now.toISOString(),
  };
  const now = env.now.toISOString();

  if (decision.action === 'skipped') {
    return {
      ...base,
      outcome: 'skipped',
      ...(decision.targetId ? { targetId: decision.targetId } : {}),
      ...(decision.reason ? { reason: decision.reason } : {}),
      ...(notes.length ? { notes } : {}),
    };
  }

  if (decision.action === 'imported' || decision.action === 'renamed') {
    const contentId = (decision.content as Json).id;
    // An embedding is named after its media (media:<id>); everything else gets an id of this import.
    const targetId =
      item.type === 'embedding' &&
      typeof contentId === 'string' &&
      contentId.startsWith('media:') &&
      isValidItemId('embedding', contentId)
        ? contentId
        : importedItemId(env.jobId, item.type, item.sourceId);
    const stored = await storeFiles(archive, env, item.type, targetId, { ...decision.content, id: targetId });
    const content = stored.content as ItemByType[ContentType];
    const written: LibraryItem = {
      userId: env.userId,
      type: item.type,
      id: targetId,
      title: titleOf(item.type, content),
      tags: tagsOf(item.type, content),
      createdAt: now,
      updatedAt: now,
      version: 1,
      sizeBytes: 0,
      files: stored.files,
      content,
      provenance,
    };
    if (!(await env.library.put(written, 'absent'))) {
      const present = await env.library.get(env.userId, item.type, targetId);
      if (present?.provenance?.import_job_id !== env.jobId) {
        return {
          ...base,
          outcome: 'failed',
          reason: `an item with id ${targetId} already exists in your library`,
        };
      }
    }
    known.taken.add(decision.identityKey);
    return { ...base, outcome: decision.action, targetId, ...(notes.length ? { notes } : {}) };
  }

  // overwritten or merged: the existing item keeps its id; a concurrent change is retried once.
  if (!existing) return { ...base, outcome: 'failed', reason: 'the item to update disappeared' };
  for (let attempt = 0; attempt < 2; attempt++) {
    const current = attempt === 0 ? existing : await env.library.get(env.userId, item.type, existing.id);
    if (!current) return { ...base, outcome: 'failed', reason: 'the item to update was deleted meanwhile' };
    const stored = await storeFiles(archive, env, item.type, current.id, {
      ...decision.content,
      id: current.id,
    });
    const files =
      decision.action === 'overwritten'
        ? stored.files
        : [
            ...current.files.filter((file) => !stored.files.some((added) => added.fileId === file.fileId)),
            ...stored.files,
          ];
    const content = stored.content as ItemByType[ContentType];
    const updated: LibraryItem = {
      ...current,
      content,
      title: titleOf(item.type, content),
      tags: tagsOf(item.type, content),
      updatedAt: now,
      version: current.version + 1,
      files,
      provenance,
    };
    if (await env.library.put(updated, current.version)) {
      return { ...base, outcome: decision.action, targetId: current.id, ...(notes.length ? { notes } : {}) };
    }
  }
  return { ...base, outcome: 'failed', reason: 'the item kept changing while it was imported; import again' };
}
