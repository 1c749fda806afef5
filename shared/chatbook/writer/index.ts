/**
 * Streaming chatbook writer: a ZIP compatible with tldw_server's chatbooks (README.md first, items in the
 * order given, manifest.json last and stored), produced with flat memory whatever the archive's size.
 *
 * Engine: our own small ZIP writer rather than archiver (see README.md next to this file for the numbers):
 * bodies given in memory are CRC'd, hashed and deflated on a pool of worker threads, a few at a time, while
 * the main thread assembles headers and hashes the archive; output leaves in 1 MiB coalesced chunks.
 *
 * Zip-bomb guard: an in-memory body that would deflate better than 100:1 (the import validator's limit) is
 * stored instead, so our own exports always pass our own validator. A streamed body's ratio is unknown until
 * it has been written, so streamed bodies are always deflated (unless already-compressed media).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createDeflateRaw, crc32 } from 'node:zlib';
import type { Readable } from 'node:stream';
import { DomainError, asError } from '../../errors';
import { MANIFEST_PATH, README_PATH, isAlreadyCompressed } from '../layout';
import { BodyProcessor } from './body-processor';
import type { DigestJob } from './body-processor';
import { FileInventory, defaultReadme, manifestJsonPieces } from './manifest-json';
import { ArchiveOutput } from './output';
import { EntryPathRegistry } from './paths';
import {
  METHOD_DEFLATED,
  METHOD_STORED,
  centralHeaderLength,
  dataDescriptor,
  dosDateTime,
  endOfCentralDirectory,
  isAscii,
  localFileHeader,
  localHeaderLength,
  writeCentralHeader,
  writeLocalHeader,
} from './zip-format';
import type { EntryRecord, HeaderFields } from './zip-format';

export interface ChatbookEntry {
  path: string;
  body: Buffer | string | AsyncIterable<Uint8Array>;
  /**
   * A streamed body's known SHA-256 (hex) and size, e.g. recorded when the file was stored: the inventory takes
   * the digest instead of hashing the bytes again, and the entry fails if the size streamed differs.
   */
  sha256?: string;
  sizeBytes?: number;
  contentItemIds?: string[];
  modifiedAt?: Date;
}

export interface WriteChatbookOptions {
  /** Everything but file_inventory; the writer sets `version` and, for 1.1.0, adds file_inventory. */
  manifest: Record<string, unknown>;
  version: '1.0.0' | '1.1.0';
  /** README.md content; generated from the manifest (name, description, counts) when absent. */
  readme?: string;
  /** Pulled lazily, one at a time; a body stream is opened only when its turn comes. */
  entries: AsyncIterable<ChatbookEntry>;
  /** zlib level 0-9 (default 6, as tldw); 0 stores everything. */
  compressionLevel?: number;
  /**
   * Whether to compute the whole archive's SHA-256 (default true; exports record it for downloads). On media
   * it is a second SHA-256 pass over every byte besides the inventory's, so callers without a use for it
   * turn it off.
   */
  hashArchive?: boolean;
}

export interface WriteChatbookResult {
  manifest: Record<string, unknown>;
  archiveBytes: number;
  /** Undefined when `hashArchive` is false. */
  archiveSha256: string | undefined;
  entryCount: number;
  uncompressedBytes: number;
}

const DEFAULT_COMPRESSION_LEVEL = 6;
/** The consumer's buffer: above it the writer waits (backpressure). */
const OUTPUT_HIGH_WATER_MARK = 4 * 1024 * 1024;
const OUTPUT_BLOCK_BYTES = 1024 * 1024;
/** In-memory bodies being digested ahead of the one being written: bounded by bytes and by count. */
const LOOKAHEAD_MAX_BYTES = 16 * 1024 * 1024;
const LOOKAHEAD_MAX_ENTRIES = 4096;
/** Stored in-memory bodies from this size up are written directly, their SHA-256 computed on a worker. */
const OFFLOAD_HASH_ABOVE = 4 * 1024 * 1024;
/** Larger in-memory bodies are streamed in slices instead of copied to a worker whole. */
const STREAM_BODIES_ABOVE = 64 * 1024 * 1024;
const STREAM_SLICE_BYTES = 1024 * 1024;
/** manifest.json text is encoded into the output in pieces of about this many characters. */
const MANIFEST_TEXT_CHUNK = 32 * 1024;

export function writeChatbook(options: WriteChatbookOptions): {
  stream: Readable;
  result: Promise<WriteChatbookResult>;
} {
  const output = new ArchiveOutput({
    highWaterMark: OUTPUT_HIGH_WATER_MARK,
    blockSize: OUTPUT_BLOCK_BYTES,
    hashArchive: options.hashArchive ?? true,
  });
  const result = new ChatbookZipWriter(options, output).run().catch((error: unknown) => {
    const failure = asError(error);
    output.fail(failure);
    throw failure;
  });
  // The failure also reaches the stream's 'error'; a caller listening only there must not crash the process.
  result.catch(() => undefined);
  const stream: Readable = output.stream;
  return { stream, result };
}

/** An in-memory entry: its digest job and what its headers and inventory record need. */
interface PendingEntry extends DigestJob {
  path: string;
  contentItemIds: readonly string[] | undefined;
  nameLength: number;
  utf8: boolean;
  dosDateTime: number;
}

const EMPTY = Buffer.alloc(0);
const CENTRAL_DIRECTORY_CHUNK_BYTES = 1024 * 1024;

/** Central directory records, written straight into 1 MiB buffers (no buffer per entry). */
class CentralDirectory {
  private readonly chunks: Buffer[] = [];
  private current = Buffer.allocUnsafe(CENTRAL_DIRECTORY_CHUNK_BYTES);
  private used = 0;
  bytes = 0;

  add(fields: HeaderFields, name: string): void {
    const length = centralHeaderLength(fields);
    if (this.used + length > this.current.length) {
      this.chunks.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafe(Math.max(CENTRAL_DIRECTORY_CHUNK_BYTES, length));
      this.used = 0;
    }
    writeCentralHeader(this.current, this.used, fields, name);
    this.used += length;
    this.bytes += length;
  }

  *pieces(): Generator<Buffer> {
    yield* this.chunks;
    if (this.used > 0) yield this.current.subarray(0, this.used);
  }
}

class ChatbookZipWriter {
  private readonly options: WriteChatbookOptions;
  private readonly output: ArchiveOutput;
  private readonly level: number;
  private readonly processor: BodyProcessor;
  private readonly paths = new EntryPathRegistry();
  private readonly defaultDosDateTime = dosDateTime(new Date());
  private readonly inventory = new FileInventory();
  private readonly centralDirectory = new CentralDirectory();
  /** Header fields of the entry being written, reused for every entry. */
  private readonly fields: HeaderFields = {
    nameLength: 0,
    utf8: false,
    method: METHOD_STORED,
    crc32: 0,
    compressedSize: 0,
    uncompressedSize: 0,
    localHeaderOffset: 0,
    dosDateTime: 0,
    usesDataDescriptor: false,
  };
  /** SHA-256 digests still being computed off-thread; all settle before the manifest is built. */
  private readonly pendingHashes: Promise<void>[] = [];
  private entryCount = 0;
  private uncompressedBytes = 0;
  private readonly lookahead: PendingEntry[] = [];
  private lookaheadBytes = 0;

  constructor(options: WriteChatbookOptions, output: ArchiveOutput) {
    this.options = options;
    this.output = output;
    this.level = options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
    this.processor = new BodyProcessor(this.level);
  }

  async run(): Promise<WriteChatbookResult> {
    this.checkOptions();
    try {
      const readme = this.options.readme ?? defaultReadme(this.options.manifest, this.options.version);
      this.enqueue({ path: README_PATH }, Buffer.from(readme));
      for await (const entry of this.options.entries) {
        this.paths.add(entry.path);
        const body = entry.body;
        if (typeof body === 'string' || Buffer.isBuffer(body)) {
          const bytes = typeof body === 'string' ? Buffer.from(body) : body;
          if (bytes.length >= OFFLOAD_HASH_ABOVE && !this.shouldDeflate(entry.path)) {
            await this.drainLookahead();
            await this.writeLargeStoredEntry(entry, bytes);
          } else if (bytes.length > STREAM_BODIES_ABOVE) {
            await this.drainLookahead();
            await this.writeStreamedEntry(entry, sliceBody(bytes));
          } else {
            this.enqueue(entry, bytes);
            if (this.lookaheadBytes > LOOKAHEAD_MAX_BYTES || this.lookahead.length > LOOKAHEAD_MAX_ENTRIES)
              await this.trimLookahead();
          }
        } else {
          await this.drainLookahead();
          await this.writeStreamedEntry(entry, body);
        }
      }
      await this.drainLookahead();
      await Promise.all(this.pendingHashes);
      await this.writeManifest();
      const manifest = this.finalManifest();
      const centralDirectoryOffset = this.output.offset;
      for (const piece of this.centralDirectory.pieces()) this.output.write(piece);
      this.output.write(
        endOfCentralDirectory(this.entryCount, this.centralDirectory.bytes, centralDirectoryOffset),
      );
      const archive = this.output.finish();
      return {
        manifest,
        archiveBytes: archive.bytes,
        archiveSha256: archive.sha256,
        entryCount: this.entryCount,
        uncompressedBytes: this.uncompressedBytes,
      };
    } finally {
      await this.processor.close();
    }
  }

  private checkOptions(): void {
    const { compressionLevel } = this.options;
    // Callers outside TypeScript's reach (JSON job input) can still pass anything.
    const version: string = this.options.version;
    if (version !== '1.0.0' && version !== '1.1.0') {
      throw new DomainError('invalid_writer_options', `Unsupported chatbook version ${version}.`);
    }
    if (
      compressionLevel !== undefined &&
      !(Number.isInteger(compressionLevel) && compressionLevel >= 0 && compressionLevel <= 9)
    ) {
      throw new DomainError('invalid_writer_options', 'compressionLevel must be an integer from 0 to 9.');
    }
  }

  private shouldDeflate(path: string): boolean {
    return this.level > 0 && !isAlreadyCompressed(path);
  }

  private enqueue(entry: Pick<ChatbookEntry, 'path' | 'contentItemIds' | 'modifiedAt'>, body: Buffer): void {
    const path = entry.path;
    const utf8 = !isAscii(path);
    const pending: PendingEntry = {
      path,
      nameLength: utf8 ? Buffer.byteLength(path) : path.length,
      utf8,
      body,
      deflate: this.shouldDeflate(path),
      done: false,
      crc32: 0,
      digest: EMPTY,
      digestAt: 0,
      deflated: undefined,
      batch: undefined,
      contentItemIds: entry.contentItemIds,
      dosDateTime: entry.modifiedAt ? dosDateTime(entry.modifiedAt) : this.defaultDosDateTime,
    };
    this.lookahead.push(pending);
    this.lookaheadBytes += body.length;
    this.processor.submit(pending);
  }

  /** Writes out the oldest digested entries while the lookahead is over its bounds. */
  private async trimLookahead(): Promise<void> {
    while (this.lookaheadBytes > LOOKAHEAD_MAX_BYTES || this.lookahead.length > LOOKAHEAD_MAX_ENTRIES) {
      await this.writeOldest();
    }
  }

  /** Writes out every entry in the lookahead; queued bodies not yet sent to a worker are digested inline. */
  private async drainLookahead(): Promise<void> {
    this.processor.finishQueuedInline();
    while (this.lookahead.length > 0) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const pending = this.lookahead[0]!;
    const settled = this.processor.settle(pending);
    if (settled) await settled;
    this.lookahead.shift();
    this.lookaheadBytes -= pending.body.length;
    const data = pending.deflated ?? pending.body;
    const fields = this.fields;
    fields.nameLength = pending.nameLength;
    fields.utf8 = pending.utf8;
    fields.method = pending.deflated ? METHOD_DEFLATED : METHOD_STORED;
    fields.crc32 = pending.crc32;
    fields.compressedSize = data.length;
    fields.uncompressedSize = pending.body.length;
    fields.localHeaderOffset = this.output.offset;
    fields.dosDateTime = pending.dosDateTime;
    fields.usesDataDescriptor = false;
    const headerLength = localHeaderLength(fields);
    const at = this.output.reserve(headerLength);
    writeLocalHeader(this.output.block, at, fields, pending.path);
    this.output.advance(headerLength);
    this.output.write(data);
    const index = this.finishEntry(pending.path, pending.contentItemIds);
    this.inventory.setDigest(index, pending.digest, pending.digestAt);
    if (this.output.blocked) await this.output.ready();
  }

  /**
   * A large stored body (media): its SHA-256 runs on a worker while this thread computes the CRC, writes
   * the body out and hashes the archive, so the two hashes run on different cores.
   */
  private async writeLargeStoredEntry(entry: ChatbookEntry, body: Buffer): Promise<void> {
    const { digest } = await this.processor.hashOffThread(body);
    const crc = crc32(body);
    // Waits before writing rather than after: the previous body drains while this one is read and CRC'd.
    if (this.output.blocked) await this.output.ready();
    const fields = this.startEntry(entry, METHOD_STORED);
    fields.crc32 = crc;
    fields.compressedSize = body.length;
    fields.uncompressedSize = body.length;
    fields.usesDataDescriptor = false;
    this.output.write(localFileHeader(this.asRecord(entry.path), fields.utf8));
    this.output.write(body);
    const index = this.finishEntry(entry.path, entry.contentItemIds);
    const hashed = digest.then((bytes) => {
      this.inventory.setDigest(index, bytes);
    });
    hashed.catch(() => undefined);
    this.pendingHashes.push(hashed);
  }

  /** A body of unknown size: local header without sizes, data, then a data descriptor. */
  private async writeStreamedEntry(entry: ChatbookEntry, body: AsyncIterable<Uint8Array>): Promise<void> {
    const deflate = this.shouldDeflate(entry.path);
    const fields = this.startEntry(entry, deflate ? METHOD_DEFLATED : METHOD_STORED);
    fields.usesDataDescriptor = true;
    const utf8 = fields.utf8;
    const localHeaderOffset = fields.localHeaderOffset;
    const dateTime = fields.dosDateTime;
    this.output.write(localFileHeader(this.asRecord(entry.path), utf8));
    const knownDigest =
      entry.sha256 !== undefined && entry.sizeBytes !== undefined && /^[0-9a-f]{64}$/.test(entry.sha256)
        ? Buffer.from(entry.sha256, 'hex')
        : undefined;
    const hash = knownDigest ? undefined : createHash('sha256');
    let crc = 0;
    let size = 0;
    const account = (chunk: Uint8Array): Buffer => {
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      crc = crc32(bytes, crc);
      hash?.update(bytes);
      size += bytes.length;
      return bytes;
    };
    let compressed = 0;
    if (!deflate) {
      for await (const chunk of body) {
        const bytes = account(chunk);
        this.output.write(bytes);
        if (this.output.blocked) await this.output.ready();
      }
      compressed = size;
    } else {
      const deflater = createDeflateRaw({ level: this.level, chunkSize: 256 * 1024 });
      const feeding = (async () => {
        for await (const chunk of body) {
          if (!deflater.write(account(chunk))) await once(deflater, 'drain');
        }
        deflater.end();
      })();
      // A body error ends the deflater with that error, which the loop below then throws.
      feeding.catch((error: unknown) => deflater.destroy(asError(error)));
      try {
        for await (const out of deflater as AsyncIterable<Buffer>) {
          compressed += out.length;
          this.output.write(out);
          if (this.output.blocked) await this.output.ready();
        }
        await feeding;
      } catch (error) {
        deflater.destroy(asError(error));
        await feeding.catch(() => undefined);
        throw error;
      }
    }
    if (knownDigest && size !== entry.sizeBytes) {
      throw new Error(
        `${entry.path}: the body had ${size} bytes, not the ${String(entry.sizeBytes)} its digest is for.`,
      );
    }
    const record = { crc32: crc >>> 0, compressedSize: compressed, uncompressedSize: size };
    this.output.write(dataDescriptor(record));
    // Awaits above may have let nothing else run, but the fields object is shared: set it afresh.
    Object.assign(this.fields, record, {
      nameLength: fields.nameLength,
      utf8,
      method: deflate ? METHOD_DEFLATED : METHOD_STORED,
      localHeaderOffset,
      dosDateTime: dateTime,
      usesDataDescriptor: true,
    });
    const index = this.finishEntry(entry.path, entry.contentItemIds);
    this.inventory.setDigest(index, knownDigest ?? hash?.digest() ?? Buffer.alloc(32));
    if (this.output.blocked) await this.output.ready();
  }

  /**
   * The result's manifest. Its file_inventory is built from the compact inventory on first access: the
   * archive itself gets it serialized record by record, so 100,000 records need not exist as objects.
   */
  private finalManifest(): Record<string, unknown> {
    const manifest: Record<string, unknown> = { ...this.options.manifest, version: this.options.version };
    delete manifest.file_inventory;
    if (this.options.version === '1.1.0') {
      const inventory = this.inventory;
      Object.defineProperty(manifest, 'file_inventory', {
        enumerable: true,
        configurable: true,
        get(): Record<string, unknown>[] {
          const value = inventory.toRecords();
          Object.defineProperty(manifest, 'file_inventory', {
            value,
            enumerable: true,
            configurable: true,
            writable: true,
          });
          return value;
        },
        set(value: unknown): void {
          Object.defineProperty(manifest, 'file_inventory', {
            value,
            enumerable: true,
            configurable: true,
            writable: true,
          });
        },
      });
    }
    return manifest;
  }

  /**
   * manifest.json, stored, serialized once in ~1 MiB chunks: its CRC and size follow the data in a data
   * descriptor (flag bit 3), so it is never held whole nor serialized twice.
   */
  private async writeManifest(): Promise<void> {
    // Not spread from `manifest`: that would build its file_inventory getter's objects.
    const base: Record<string, unknown> = { ...this.options.manifest, version: this.options.version };
    delete base.file_inventory;
    const extra: Record<string, FileInventory> =
      this.options.version === '1.1.0' ? { file_inventory: this.inventory } : {};
    const fields = this.startEntry({ path: MANIFEST_PATH }, METHOD_STORED);
    fields.usesDataDescriptor = true;
    const localHeaderOffset = fields.localHeaderOffset;
    const dateTime = fields.dosDateTime;
    this.output.write(localFileHeader(this.asRecord(MANIFEST_PATH), false));
    let crc = 0;
    let size = 0;
    // Pieces are gathered into short strings (young-generation sized, unlike 1 MiB ones) and encoded
    // straight into the output block: no Buffer per chunk, no large strings left for a major GC.
    const emit = (text: string): void => {
      const output = this.output;
      if (text.length * 3 > OUTPUT_BLOCK_BYTES / 4) {
        const bytes = Buffer.from(text);
        crc = crc32(bytes, crc);
        size += bytes.length;
        output.write(bytes);
        return;
      }
      const at = output.reserve(text.length * 3);
      const written = output.block.write(text, at);
      crc = crc32(output.block.subarray(at, at + written), crc);
      size += written;
      output.advance(written);
    };
    let pending = '';
    for (const piece of manifestJsonPieces(base, extra)) {
      pending += piece;
      if (pending.length >= MANIFEST_TEXT_CHUNK) {
        emit(pending);
        pending = '';
        if (this.output.blocked) await this.output.ready();
      }
    }
    emit(pending);
    const record = { crc32: crc >>> 0, compressedSize: size, uncompressedSize: size };
    this.output.write(dataDescriptor(record));
    Object.assign(this.fields, record, {
      nameLength: MANIFEST_PATH.length,
      utf8: false,
      method: METHOD_STORED,
      localHeaderOffset,
      dosDateTime: dateTime,
      usesDataDescriptor: true,
    });
    this.entryCount++;
    this.uncompressedBytes += size;
    this.centralDirectory.add(this.fields, MANIFEST_PATH);
  }

  /** Fills the shared header fields for a new entry starting at the current output offset. */
  private startEntry(entry: Pick<ChatbookEntry, 'path' | 'modifiedAt'>, method: number): HeaderFields {
    const fields = this.fields;
    const utf8 = !isAscii(entry.path);
    fields.nameLength = utf8 ? Buffer.byteLength(entry.path) : entry.path.length;
    fields.utf8 = utf8;
    fields.method = method;
    fields.crc32 = 0;
    fields.compressedSize = 0;
    fields.uncompressedSize = 0;
    fields.localHeaderOffset = this.output.offset;
    fields.dosDateTime = entry.modifiedAt ? dosDateTime(entry.modifiedAt) : this.defaultDosDateTime;
    fields.usesDataDescriptor = true;
    return fields;
  }

  /** The shared fields as an EntryRecord, for the rare records built as buffers of their own. */
  private asRecord(path: string): EntryRecord {
    return { ...this.fields, name: Buffer.from(path) };
  }

  /**
   * Counts the entry (whose header fields are in `this.fields`) and records it for the manifest; returns
   * its inventory index, for its digest.
   */
  private finishEntry(path: string, contentItemIds: readonly string[] | undefined): number {
    this.entryCount++;
    this.uncompressedBytes += this.fields.uncompressedSize;
    this.centralDirectory.add(this.fields, path);
    return this.inventory.add(path, this.fields.uncompressedSize, contentItemIds);
  }
}

async function* sliceBody(body: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < body.length; at += STREAM_SLICE_BYTES) {
    yield await Promise.resolve(body.subarray(at, at + STREAM_SLICE_BYTES));
  }
}
