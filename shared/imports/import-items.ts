/**
 * The import engine: which of a chatbook's items to import, in which order, and how each one lands in the library
 * under the chosen strategy. Items go a report page (RECORD_PAGE_SIZE items, or the job's page size) at a time: decode, resolve links and
 * conflicts, write the new items many per request, update the conflicting ones one by one, then record the page.
 * New items get ids derived from the job and the source id and a page is recorded only after its items, so a page
 * that runs twice writes nothing twice.
 */
import { createHash } from 'node:crypto';
import { decodeItem } from '../chatbook/codec/item-codec';
import { isContentType, mediaTypeOf, type ContentType } from '../chatbook/layout';
import type { ChatbookArchive } from '../chatbook/reader';
import { isPlainObject } from '../chatbook/schema/common';
import type { ItemByType } from '../chatbook/schema/items';
import type { LibraryItemSummary } from '../library/library';
import { tagsOf, titleOf } from '../library/item-fields';
import { IMPORTED_ID_PREFIX, isValidItemId } from '../library/library-service';
import type { LibraryFile, LibraryItem, LibraryStore, Provenance } from '../library/library';
import { normalizeTitle } from './identity';
import { mapLimited } from '../util/map-limited';
import { RECORD_PAGE_SIZE, type ImportRecord, type ImportRecords } from './records';
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
  /**
   * No earlier run of this range can have written anything (a new job, or a batch's first attempt): the items it
   * creates under ids of this import need no check that they are absent.
   */
  firstRun?: boolean;
}

/** A new item's id: the same for the same job and source item, so a retry finds what it wrote. */
export function importedItemId(jobId: string, type: ContentType, sourceId: string): string {
  return `${IMPORTED_ID_PREFIX}${createHash('sha256').update(`${jobId}\u0000${type}\u0000${sourceId}`).digest('hex').slice(0, 24)}`;
}

type Json = Record<string, unknown>;

/** What the engine reads of an archive: its files, by path (a chatbook, a converted upload, or a plain ZIP). */
export type EntryReader = Pick<ChatbookArchive, 'readEntry' | 'hasEntry'>;

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : [];
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

type KnownIdentities = { existing: Map<string, string>; taken: Set<string> };

/** What the identities of an import looked like: the library's, and those the import has taken since. */
export interface IdentitySnapshot {
  existing: Partial<Record<ContentType, [key: string, id: string][]>>;
  taken: Partial<Record<ContentType, string[]>>;
}

/**
 * The identities in the user's library, per type. An incoming item conflicts only with items that were there
 * before this import (two items of one chatbook with the same title both land); new names avoid both. A sync
 * import reads the library as it goes; a job's Plan step reads it once and its batches pass the snapshot on.
 */
export class ImportIdentities {
  private readonly byType = new Map<ContentType, KnownIdentities>();

  constructor(
    private readonly library: LibraryStore,
    private readonly userId: string,
    private readonly jobId: string,
  ) {}

  static fromSnapshot(
    snapshot: IdentitySnapshot,
    library: LibraryStore,
    userId: string,
    jobId: string,
  ): ImportIdentities {
    const identities = new ImportIdentities(library, userId, jobId);
    const types = new Set([...Object.keys(snapshot.existing), ...Object.keys(snapshot.taken)]);
    for (const type of types as Set<ContentType>) {
      const existing = new Map(snapshot.existing[type] ?? []);
      identities.byType.set(type, {
        existing,
        taken: new Set([...existing.keys(), ...(snapshot.taken[type] ?? [])]),
      });
    }
    return identities;
  }

  /** Reads the library for these types now. */
  async load(types: Iterable<ContentType>): Promise<this> {
    for (const type of types) await this.of(type);
    return this;
  }

  toSnapshot(): IdentitySnapshot {
    const snapshot: IdentitySnapshot = { existing: {}, taken: {} };
    for (const [type, known] of this.byType) {
      snapshot.existing[type] = [...known.existing];
      snapshot.taken[type] = [...known.taken].filter((key) => !known.existing.has(key));
    }
    return snapshot;
  }

  async of(type: ContentType): Promise<KnownIdentities> {
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
  archive: EntryReader,
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
  if (type === 'character') {
    const metadata = next.metadata;
    const avatar = isPlainObject(metadata) ? metadata.avatar : undefined;
    const path = isPlainObject(avatar) ? avatar.file_path : undefined;
    if (isPlainObject(avatar) && typeof path === 'string' && archive.hasEntry(path)) {
      await store(path, 'avatar', baseName(path), avatar.mime_type);
      avatar.file_id = 'avatar';
      delete avatar.file_path;
      delete avatar.bundled;
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

const FILE_CONCURRENCY = 4;
/** Pages whose writes may be in flight at once, beside the one being decided. */
const PAGES_WRITING = 2;

/**
 * Imports the plan's items in `range`: whole report pages, `range.start` a multiple of the page size, which stays
 * the same for the whole job (RECORD_PAGE_SIZE unless the range says).
 * Pages already recorded for this job are not touched again; references to items imported earlier in the job
 * are rewritten to their new ids. `onPage` runs after each page with the plan index reached; false stops there.
 */
export async function importItems(
  archive: EntryReader,
  plan: readonly PlannedImport[],
  range: { start: number; end: number; pageSize?: number | undefined },
  options: ImportOptions,
  env: ImportEnv,
  identities: ImportIdentities,
  onPage?: (reached: number) => Promise<boolean> | boolean,
): Promise<{ records: ImportRecord[]; stopped: boolean }> {
  const pageSize = range.pageSize ?? RECORD_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || range.start % pageSize !== 0)
    throw new RangeError('An import range starts on a report page.');
  const end = Math.min(range.end, plan.length);
  const starts: number[] = [];
  for (let start = range.start; start < end; start += pageSize) starts.push(start);
  const done = await env.records.getPages(env.userId, env.jobId, starts);
  const links = new PlanLinks(plan, env, pageSize);
  const results: ImportRecord[] = [];
  // The next page is read and decoded while this one's writes are in flight (decoding is CPU, writing waits).
  const decodeAt = (start: number) => {
    const decoding = decodePage(archive, plan.slice(start, Math.min(start + pageSize, end)));
    decoding.catch(() => undefined);
    return decoding;
  };
  const todo = starts.filter((start) => !done.has(start));
  let decoding = todo.length > 0 ? decodeAt(todo[0]!) : undefined;

  // What earlier pages mean for later ones: the names they took and where their items went.
  const absorb = async (start: number, page: readonly ImportRecord[]) => {
    for (const record of page) {
      if (record.identityKey !== undefined) (await identities.of(record.type)).taken.add(record.identityKey);
    }
    links.remember(start, [...page]);
  };
  // Up to two pages write (their items, then their record) while the next is decided: the library's writes and
  // this function's work overlap. A page whose records may still change as it writes (updates, checked creates)
  // is finished before the next is decided, which reads them.
  const writing: {
    stop: number;
    final: boolean;
    done: Promise<{ start: number; page: ImportRecord[]; replaced: boolean }>;
  }[] = [];
  let reached = range.start;
  const finishOldest = async (report = true): Promise<boolean> => {
    const oldest = writing.shift();
    if (!oldest) return true;
    const { start, page, replaced } = await oldest.done;
    if (replaced || !oldest.final) await absorb(start, page);
    results.push(...page);
    reached = oldest.stop;
    return onPage && report ? await onPage(oldest.stop) : true;
  };
  const finishAll = async (): Promise<boolean> => {
    while (writing.length > 0) if (!(await finishOldest())) return false;
    return true;
  };
  /** Told to stop: the pages already writing finish (and are returned); nothing more starts. */
  const stopHere = async () => {
    while (writing.length > 0) await finishOldest(false);
    return { records: results, stopped: reached < end };
  };
  const writeAndRecord = async (start: number, decided: Decided[]) => {
    const page = await writePage(archive, decided, options, env, identities);
    if (await env.records.putPage(env.userId, env.jobId, start, page))
      return { start, page, replaced: false };
    // Another run recorded this page first: what it recorded is what later pages link to.
    const stored = (await env.records.getPages(env.userId, env.jobId, [start])).get(start);
    return { start, page: stored ?? page, replaced: stored !== undefined };
  };
  try {
    for (const start of starts) {
      const stop = Math.min(start + pageSize, end);
      const recorded = done.get(start);
      if (recorded) {
        if (!(await finishAll())) return await stopHere();
        await absorb(start, recorded);
        results.push(...recorded);
        reached = stop;
        if (onPage && !(await onPage(stop))) return { records: results, stopped: stop < end };
        continue;
      }
      const decoded = await (decoding ?? decodeAt(start));
      const following = todo[todo.indexOf(start) + 1];
      decoding = following === undefined ? undefined : decodeAt(following);
      if (writing.some((page) => !page.final) && !(await finishAll())) return await stopHere();
      const decided = await decidePage(plan, start, stop, decoded, options, env, identities, links);
      while (writing.length >= PAGES_WRITING) {
        if (!(await finishOldest())) return await stopHere();
      }
      const final = decided.every(
        (entry) => entry.kind === 'done' || (entry.kind === 'create' && uncheckedCreate(env, entry.targetId)),
      );
      if (final)
        await absorb(
          start,
          decided.map((entry) => entry.record),
        );
      const written = writeAndRecord(start, decided);
      written.catch(() => undefined);
      writing.push({ stop, final, done: written });
    }
    // The last pages: a stop asked for while they finish leaves nothing undone.
    if (!(await finishAll())) return await stopHere();
    return { records: results, stopped: false };
  } finally {
    // A failure, or a stop, while pages write: let those writes settle before leaving (nothing runs on unseen).
    await Promise.all(writing.map((page) => page.done.catch(() => undefined)));
  }
}

/** Source ids to library ids for items earlier in the plan, from their report pages (read once each). */
class PlanLinks {
  private indexByKey: Map<string, number> | undefined;
  private readonly pages = new Map<number, ImportRecord[]>();

  constructor(
    private readonly plan: readonly PlannedImport[],
    private readonly env: ImportEnv,
    private readonly pageSize: number,
  ) {}

  private pageOf(index: number): number {
    return index - (index % this.pageSize);
  }

  indexOf(type: ContentType, sourceId: string): number | undefined {
    this.indexByKey ??= new Map(this.plan.map((item, index) => [`${item.type}#${item.sourceId}`, index]));
    return this.indexByKey.get(`${type}#${sourceId}`);
  }

  remember(start: number, page: ImportRecord[]): void {
    this.pages.set(start, page);
  }

  /** Reads the pages, before `before`, that these references point into. */
  async prefetch(references: readonly { type: ContentType; id: string }[], before: number): Promise<void> {
    const wanted = new Set<number>();
    for (const reference of references) {
      const index = this.indexOf(reference.type, reference.id);
      if (index !== undefined && index < before && !this.pages.has(this.pageOf(index)))
        wanted.add(this.pageOf(index));
    }
    if (wanted.size === 0) return;
    const found = await this.env.records.getPages(this.env.userId, this.env.jobId, [...wanted]);
    for (const [start, page] of found) this.pages.set(start, page);
  }

  /** The library id an earlier item of the plan went to. */
  targetOf(
    type: ContentType,
    sourceId: string,
    current: ReadonlyMap<string, ImportRecord>,
  ): string | undefined {
    const key = `${type}#${sourceId}`;
    const here = current.get(key);
    if (here) return here.targetId;
    const index = this.indexOf(type, sourceId);
    if (index === undefined) return undefined;
    const page = this.pages.get(this.pageOf(index));
    const record = page?.[index - this.pageOf(index)];
    return record?.type === type && record.sourceId === sourceId ? record.targetId : undefined;
  }
}

type Decided =
  | { kind: 'done'; record: ImportRecord }
  | {
      kind: 'create';
      item: PlannedImport;
      record: ImportRecord;
      targetId: string;
      content: Json;
      provenance: Provenance;
    }
  | {
      kind: 'update';
      item: PlannedImport;
      record: ImportRecord;
      incoming: ItemByType[ContentType];
      /** The overwritten or merged content, as decided against `existing`. */
      content: Json;
      existing: LibraryItem;
      provenance: Provenance;
    };

/** One page of the plan, from decoding to the library; the page's records in plan order. */
async function decodePage(archive: EntryReader, items: readonly PlannedImport[]) {
  const decoded = [];
  for (const item of items) {
    decoded.push(
      decodeItem(item.type, await archive.readEntry(item.path), { id: item.sourceId, path: item.path }),
    );
  }
  return decoded;
}

/** A page's links, conflicts and decisions: nothing is written yet. */
async function decidePage(
  plan: readonly PlannedImport[],
  start: number,
  stop: number,
  decoded: Awaited<ReturnType<typeof decodePage>>,
  options: ImportOptions,
  env: ImportEnv,
  identities: ImportIdentities,
  links: PlanLinks,
): Promise<Decided[]> {
  const items = plan.slice(start, stop);
  // What this page needs read first: earlier report pages its links point into, and the library items it
  // conflicts with.
  const references = decoded.flatMap((result, i) =>
    result.ok ? referencesOf(items[i]!.type, result.item) : [],
  );
  await links.prefetch(references, start);
  const conflicting = new Map<ContentType, Set<string>>();
  for (const [i, result] of decoded.entries()) {
    if (!result.ok) continue;
    const type = items[i]!.type;
    const known = await identities.of(type);
    const existingId = known.existing.get(
      identityKeyOf(type, applyPrefix(type, result.item, options.prefix ?? '')),
    );
    if (existingId) (conflicting.get(type) ?? conflicting.set(type, new Set()).get(type)!).add(existingId);
  }
  const existingItems = new Map<string, LibraryItem>();
  for (const [type, ids] of conflicting) {
    for (const item of await env.library.getMany(env.userId, type, [...ids]))
      existingItems.set(`${type}#${item.id}`, item);
  }

  const provenanceOf = (item: PlannedImport): Provenance => ({
    source_chatbook: env.source.name,
    export_id: env.source.exportId,
    original_id: item.sourceId,
    import_job_id: env.jobId,
    imported_at: env.now.toISOString(),
  });
  const current = new Map<string, ImportRecord>();
  const decided: Decided[] = [];
  for (const [i, result] of decoded.entries()) {
    const item = items[i]!;
    const base = { type: item.type, sourceId: item.sourceId, title: item.title };
    let entry: Decided;
    if (!result.ok) {
      entry = { kind: 'done', record: { ...base, outcome: 'failed', reason: result.message } };
    } else {
      entry = await decide(
        item,
        result.item,
        result.warnings,
        options,
        env,
        identities,
        links,
        current,
        existingItems,
        provenanceOf(item),
      );
    }
    current.set(`${item.type}#${item.sourceId}`, entry.record);
    decided.push(entry);
  }
  return decided;
}

/** Writes a decided page: its new items many per request, then its updates one by one; the page's records. */
async function writePage(
  archive: EntryReader,
  decided: Decided[],
  options: ImportOptions,
  env: ImportEnv,
  identities: ImportIdentities,
): Promise<ImportRecord[]> {
  await createItems(
    archive,
    env,
    decided.filter((entry) => entry.kind === 'create'),
  );
  for (const entry of decided) {
    if (entry.kind === 'update') entry.record = await updateItem(archive, entry, options, env, identities);
  }
  return decided.map((entry) => entry.record);
}

/** A new item under this import's own id on a first run: nothing can be there, so it is not checked. */
function uncheckedCreate(env: ImportEnv, targetId: string): boolean {
  return env.firstRun === true && targetId.startsWith(IMPORTED_ID_PREFIX);
}

async function decide(
  item: PlannedImport,
  decodedItem: ItemByType[ContentType],
  warnings: readonly string[],
  options: ImportOptions,
  env: ImportEnv,
  identities: ImportIdentities,
  links: PlanLinks,
  current: ReadonlyMap<string, ImportRecord>,
  existingItems: ReadonlyMap<string, LibraryItem>,
  provenance: Provenance,
): Promise<Decided> {
  const base = { type: item.type, sourceId: item.sourceId, title: item.title };
  const map: Partial<Record<ContentType, Map<string, string>>> = {};
  const referenceNotes: string[] = [];
  for (const reference of referencesOf(item.type, decodedItem)) {
    const target = links.targetOf(reference.type, reference.id, current);
    if (target !== undefined) (map[reference.type] ??= new Map()).set(reference.id, target);
    else
      referenceNotes.push(
        `${reference.field} points at ${reference.type} ${reference.id}, which this chatbook does not hold; kept as is.`,
      );
  }
  const incoming = withReferences(item.type, decodedItem, map as ReferenceMap);

  const known = await identities.of(item.type);
  const key = identityKeyOf(item.type, applyPrefix(item.type, incoming, options.prefix ?? ''));
  const existingId = known.existing.get(key);
  // Read ahead by the identity before links were rewritten; an embedding's identity is its id, which moves with
  // its media's.
  const existing = existingId
    ? (existingItems.get(`${item.type}#${existingId}`) ??
      (await env.library.get(env.userId, item.type, existingId)))
    : undefined;
  const decision = resolveImport({
    type: item.type,
    incoming,
    existing: existing && { id: existing.id, content: existing.content },
    strategy: options.strategy,
    // Without a library conflict the item lands as it is, even if this import already brought its title.
    takenKeys: existing ? known.taken : known.existing,
    prefix: options.prefix,
  });
  const notes = [...referenceNotes, ...decision.notes, ...warnings];
  const withNotes = notes.length ? { notes } : {};

  if (decision.action === 'skipped') {
    return {
      kind: 'done',
      record: {
        ...base,
        outcome: 'skipped',
        ...(decision.targetId ? { targetId: decision.targetId } : {}),
        ...(decision.reason ? { reason: decision.reason } : {}),
        ...withNotes,
      },
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
    known.taken.add(decision.identityKey);
    return {
      kind: 'create',
      item,
      targetId,
      content: { ...decision.content, id: targetId },
      provenance,
      record: {
        ...base,
        outcome: decision.action,
        targetId,
        identityKey: decision.identityKey,
        ...withNotes,
      },
    };
  }
  if (!existing)
    return { kind: 'done', record: { ...base, outcome: 'failed', reason: 'the item to update disappeared' } };
  return {
    kind: 'update',
    item,
    incoming,
    content: decision.content,
    existing,
    provenance,
    record: { ...base, outcome: decision.action, targetId: existing.id, ...withNotes },
  };
}

/**
 * The page's new items: those a run before a retry already wrote are left as they are; an id held by an item of
 * someone else's making fails that item; the rest are written with their files, many per request.
 */
async function createItems(
  archive: EntryReader,
  env: ImportEnv,
  creates: Extract<Decided, { kind: 'create' }>[],
): Promise<void> {
  const present = new Map<string, LibraryItemSummary>();
  const byType = new Map<ContentType, string[]>();
  // An embedding named after media it did not import (media:<id>) has an id anyone may hold: always checked.
  const unchecked = (entry: (typeof creates)[number]) => uncheckedCreate(env, entry.targetId);
  for (const entry of creates.filter((candidate) => !unchecked(candidate)))
    (byType.get(entry.item.type) ?? byType.set(entry.item.type, []).get(entry.item.type)!).push(
      entry.targetId,
    );
  for (const [type, ids] of byType) {
    for (const summary of await env.library.getSummaries(env.userId, type, ids))
      present.set(`${type}#${summary.id}`, summary);
  }
  const toWrite = creates.filter((entry) => {
    const there = present.get(`${entry.item.type}#${entry.targetId}`);
    if (!there) return true;
    if (there.provenance?.import_job_id !== env.jobId) {
      const { targetId: _targetId, identityKey: _identityKey, notes: _notes, ...base } = entry.record;
      entry.record = {
        ...base,
        outcome: 'failed',
        reason: `an item with id ${entry.targetId} already exists in your library`,
      };
    }
    return false;
  });
  const now = env.now.toISOString();
  const items = await mapLimited(toWrite, FILE_CONCURRENCY, async (entry): Promise<LibraryItem> => {
    const stored = await storeFiles(archive, env, entry.item.type, entry.targetId, entry.content);
    const content = stored.content as ItemByType[ContentType];
    return {
      userId: env.userId,
      type: entry.item.type,
      id: entry.targetId,
      title: titleOf(entry.item.type, content),
      tags: tagsOf(entry.item.type, content),
      createdAt: now,
      updatedAt: now,
      version: 1,
      sizeBytes: 0,
      files: stored.files,
      content,
      provenance: entry.provenance,
    };
  });
  await env.library.putNew(items);
}

/**
 * Overwrites or merges into an existing item, which keeps its id. A concurrent change (another item of this page
 * merged into the same one, or the user's edit) is decided again on what is there now.
 */
async function updateItem(
  archive: EntryReader,
  entry: Extract<Decided, { kind: 'update' }>,
  options: ImportOptions,
  env: ImportEnv,
  identities: ImportIdentities,
): Promise<ImportRecord> {
  const { item, record } = entry;
  const base = { type: item.type, sourceId: item.sourceId, title: item.title };
  const known = await identities.of(item.type);
  const now = env.now.toISOString();
  for (let attempt = 0; attempt < 3; attempt++) {
    const current =
      attempt === 0 ? entry.existing : await env.library.get(env.userId, item.type, entry.existing.id);
    if (!current) return { ...base, outcome: 'failed', reason: 'the item to update was deleted meanwhile' };
    let decided: Json = entry.content;
    if (attempt > 0) {
      const decision = resolveImport({
        type: item.type,
        incoming: entry.incoming,
        existing: { id: current.id, content: current.content },
        strategy: options.strategy,
        takenKeys: known.taken,
        prefix: options.prefix,
      });
      if (decision.action !== 'overwritten' && decision.action !== 'merged') {
        const reason = decision.action === 'skipped' ? decision.reason : undefined;
        return { ...base, outcome: 'skipped', targetId: current.id, ...(reason ? { reason } : {}) };
      }
      decided = decision.content;
    }
    const stored = await storeFiles(archive, env, item.type, current.id, { ...decided, id: current.id });
    const files =
      record.outcome === 'overwritten'
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
      provenance: entry.provenance,
    };
    if (await env.library.put(updated, current.version)) {
      const added = stored.files.filter((file) => !current.files.some((kept) => kept.fileId === file.fileId));
      if (record.outcome !== 'merged' || added.length === 0) return record;
      const note = `added ${added.length} file(s): ${added.map((file) => file.name).join(', ')}`;
      return { ...record, notes: [...(record.notes ?? []), note] };
    }
  }
  return { ...base, outcome: 'failed', reason: 'the item kept changing while it was imported; import again' };
}
