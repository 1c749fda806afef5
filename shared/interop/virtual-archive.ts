/**
 * A chatbook that exists only in memory: converted items encoded exactly as a real chatbook's item files, binary
 * files at the paths a chatbook uses, and a 1.1.0 manifest listing them. It implements ChatbookArchive, so the
 * import engine and preview read it like an uploaded chatbook.
 */
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { decodeItem, encodeItem } from '../chatbook/codec/item-codec';
import type { ContentType } from '../chatbook/layout';
import type { ArchiveEntryInfo, ChatbookArchive, ChatbookItem } from '../chatbook/reader';
import { buildManifest } from '../chatbook/schema/manifest';
import type { ContentItemDraft, ManifestRelationship } from '../chatbook/schema/manifest';
import type { ItemByType } from '../chatbook/schema/items';
import { NotFoundError, ValidationError } from '../errors';
import { tooManyItems } from './source-format';
import type { SourceFormat } from './source-format';
import type { JsonObject } from './values';

/** A source item that could not be converted: reported and skipped, never fatal to the rest. */
export interface ConversionFailure {
  /** The item's id in the source (or its position, `#3`, when it has none). */
  sourceId: string;
  title: string;
  reason: string;
}

/** A binary file of the virtual archive, read only when asked for. */
export interface VirtualFile {
  size: number;
  crc32: number;
  read(): Promise<Buffer>;
  stream?(): Readable;
}

export function bufferFile(bytes: Buffer): VirtualFile {
  return { size: bytes.length, crc32: crc32(bytes), read: () => Promise.resolve(bytes) };
}

/** The files of one item: they join the archive only if the item does, so a skipped item leaves nothing behind. */
export class ItemFiles {
  readonly files = new Map<string, VirtualFile>();

  /** Adds a file at `path`, or beside it (`name-2.png`) when two of the item's files would share a name. */
  add(path: string, file: VirtualFile): string {
    const dot = path.lastIndexOf('.');
    const [stem, extension] =
      dot > path.lastIndexOf('/') ? [path.slice(0, dot), path.slice(dot)] : [path, ''];
    let candidate = path;
    for (let n = 2; this.files.has(candidate); n++) candidate = `${stem}-${n}${extension}`;
    this.files.set(candidate, file);
    return candidate;
  }
}

export interface ItemDescription {
  title: string;
  sourceId: string;
  description?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  tags?: string[];
  metadata?: JsonObject;
}

export interface ConvertedArchive {
  archive: ChatbookArchive;
  failures: ConversionFailure[];
}

/** Warnings listed one by one; the rest are counted. */
const MAX_WARNINGS = 500;
const MAX_TITLE_IN_MESSAGES = 120;

export function shortTitle(title: string): string {
  const line = title.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_TITLE_IN_MESSAGES ? line : `${line.slice(0, MAX_TITLE_IN_MESSAGES - 1)}…`;
}

export class VirtualChatbookBuilder {
  private readonly refs: ContentItemDraft[] = [];
  private readonly itemBodies = new Map<string, Buffer>();
  private readonly files = new Map<string, VirtualFile>();
  private readonly relationships: ManifestRelationship[] = [];
  private readonly warnings: string[] = [];
  private omittedWarnings = 0;
  readonly failures: ConversionFailure[] = [];

  constructor(private readonly maxItems: number) {}

  get itemCount(): number {
    return this.refs.length;
  }

  warn(text: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(text);
    else this.omittedWarnings++;
  }

  /** Reports an item that is skipped, in the failures and in the warnings. */
  fail(failure: ConversionFailure): void {
    const title = shortTitle(failure.title);
    const failed = { ...failure, title };
    this.failures.push(failed);
    this.warn(`Skipped ${title === '' ? `item ${failure.sourceId}` : `"${title}"`}: ${failure.reason}.`);
  }

  /**
   * Adds an item if its file decodes as the import engine will decode it; otherwise reports it and returns false.
   * Encoding first and decoding the bytes is the exact check: what is added is what will be read back.
   */
  addItem<T extends ContentType>(
    type: T,
    item: ItemByType[T],
    description: ItemDescription,
    files?: ItemFiles,
  ): boolean {
    if (this.refs.length >= this.maxItems) throw tooManyItems(this.refs.length + 1, this.maxItems);
    let encoded;
    try {
      encoded = encodeItem(type, item);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.fail({ sourceId: description.sourceId, title: description.title, reason: error.message });
      return false;
    }
    const bytes = Buffer.from(encoded.body, 'utf8');
    const decoded = decodeItem(type, bytes, { path: encoded.path });
    if (!decoded.ok) {
      this.fail({ sourceId: description.sourceId, title: description.title, reason: decoded.message });
      return false;
    }
    if (this.itemBodies.has(encoded.path) || this.files.has(encoded.path)) {
      this.fail({
        sourceId: description.sourceId,
        title: description.title,
        reason: 'another item of the file has the same id',
      });
      return false;
    }
    this.itemBodies.set(encoded.path, bytes);
    if (files) for (const [path, file] of files.files) this.files.set(path, file);
    this.refs.push({
      id: String((item as JsonObject).id),
      type,
      title: description.title,
      description: description.description ?? null,
      created_at: description.created_at ?? null,
      updated_at: description.updated_at ?? null,
      tags: description.tags ?? [],
      metadata: { source_id: description.sourceId, ...description.metadata },
      file_path: encoded.path,
    });
    return true;
  }

  relate(relationship: ManifestRelationship): void {
    this.relationships.push(relationship);
  }

  build(head: {
    name: string;
    description: string;
    format: SourceFormat;
    now: Date;
    close: () => Promise<void>;
  }): ConvertedArchive {
    const listed = new Set(this.refs.map((ref) => `${ref.type}\u0000${ref.id}`));
    const manifest = buildManifest(
      {
        name: head.name,
        description: head.description,
        created_at: head.now.toISOString(),
        export_id: null,
        content_items: this.refs,
        // Links to items that were skipped are left out: the manifest names only what it holds.
        relationships: this.relationships.filter(
          (link) =>
            listed.has(`${String(link.metadata.source_type)}\u0000${link.source_id}`) &&
            listed.has(`${String(link.metadata.target_type)}\u0000${link.target_id}`),
        ),
        producer: { name: 'chatbooks-cloud', converted_from: head.format },
        metadata: {
          source_format: head.format,
          conversion_failures: this.failures.length,
        },
      },
      '1.1.0',
    );
    const warnings = [...this.warnings];
    if (this.omittedWarnings > 0) warnings.push(`…and ${this.omittedWarnings} more warnings.`);

    const entries: ArchiveEntryInfo[] = [];
    let uncompressedBytes = 0;
    const addEntry = (name: string, size: number, crc: number) => {
      entries.push({
        index: entries.length,
        name,
        isDirectory: false,
        method: 'stored',
        compressedSize: size,
        uncompressedSize: size,
        crc32: crc,
      });
      uncompressedBytes += size;
    };
    for (const [path, bytes] of this.itemBodies) addEntry(path, bytes.length, crc32(bytes));
    for (const [path, file] of this.files) addEntry(path, file.size, file.crc32);

    const itemBodies = this.itemBodies;
    const files = this.files;
    const readEntry = async (path: string): Promise<Buffer> => {
      const body = itemBodies.get(path);
      if (body) return body;
      const file = files.get(path);
      if (!file) throw new NotFoundError('entry_not_found', 'The chatbook has no file at that path.');
      return file.read();
    };
    const contentItems = manifest.content_items;
    const archive: ChatbookArchive = {
      manifest,
      version: '1.1.0',
      declaredVersion: '1.1.0',
      warnings,
      entries,
      integrity: {
        verifiedFiles: entries.length,
        inventoryVerifiedFiles: 0,
        uncompressedBytes,
        usesZip64: false,
      },
      async *items(): AsyncGenerator<ChatbookItem> {
        for (const ref of contentItems) {
          const path = ref.file_path;
          const bytes = typeof path === 'string' ? itemBodies.get(path) : undefined;
          if (path && bytes) yield await Promise.resolve({ ref, path, bytes });
        }
      },
      hasEntry: (path) => itemBodies.has(path) || files.has(path),
      openEntry(path: string): Readable {
        const file = files.get(path);
        if (file?.stream) return file.stream();
        return Readable.from(
          (async function* () {
            yield await readEntry(path);
          })(),
          { objectMode: false },
        );
      },
      readEntry,
      close: head.close,
    };
    return { archive, failures: [...this.failures] };
  }
}
