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
import type { BodyDigest } from './body-processor';
import { defaultReadme, fileInventory, manifestJsonChunks } from './manifest-json';
import type { InventoryRecord } from './manifest-json';
import { ArchiveOutput } from './output';
import { EntryPathRegistry } from './paths';
import {
  METHOD_DEFLATED,
  METHOD_STORED,
  centralDirectoryHeader,
  dataDescriptor,
  dosDateTime,
  endOfCentralDirectory,
  isAscii,
  localFileHeader,
} from './zip-format';
import type { EntryRecord } from './zip-format';

export interface ChatbookEntry {
  path: string;
  body: Buffer | string | AsyncIterable<Uint8Array>;
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
}

export interface WriteChatbookResult {
  manifest: Record<string, unknown>;
  archiveBytes: number;
  archiveSha256: string;
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
/** Larger in-memory bodies are streamed in slices instead of copied to a worker whole. */
const STREAM_BODIES_ABOVE = 64 * 1024 * 1024;
const STREAM_SLICE_BYTES = 1024 * 1024;
/** Manifests up to this size are serialized once and kept; larger ones are serialized twice instead. */
const MANIFEST_KEEP_BYTES = 16 * 1024 * 1024;

export function writeChatbook(options: WriteChatbookOptions): {
  stream: NodeJS.ReadableStream;
  result: Promise<WriteChatbookResult>;
} {
  const output = new ArchiveOutput({ highWaterMark: OUTPUT_HIGH_WATER_MARK, blockSize: OUTPUT_BLOCK_BYTES });
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

interface PendingEntry {
  path: string;
  body: Buffer;
  contentItemIds: string[];
  dosDateTime: number;
  digest: Promise<BodyDigest>;
}

class ChatbookZipWriter {
  private readonly options: WriteChatbookOptions;
  private readonly output: ArchiveOutput;
  private readonly level: number;
  private readonly processor: BodyProcessor;
  private readonly paths = new EntryPathRegistry();
  private readonly defaultDosDateTime = dosDateTime(new Date());
  private readonly inventory: InventoryRecord[] = [];
  private readonly centralDirectory: Buffer[] = [];
  private centralDirectoryBytes = 0;
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
      this.enqueue({ path: README_PATH, body: readme }, Buffer.from(readme));
      for await (const entry of this.options.entries) {
        this.paths.add(entry.path);
        const body = entry.body;
        if (typeof body === 'string' || Buffer.isBuffer(body)) {
          const bytes = typeof body === 'string' ? Buffer.from(body) : body;
          if (bytes.length > STREAM_BODIES_ABOVE) {
            await this.drainLookahead();
            await this.writeStreamedEntry(entry, sliceBody(bytes));
          } else {
            this.enqueue(entry, bytes);
            await this.trimLookahead();
          }
        } else {
          await this.drainLookahead();
          await this.writeStreamedEntry(entry, body);
        }
      }
      await this.drainLookahead();
      const manifest = this.finalManifest();
      await this.writeManifest(manifest);
      const centralDirectoryOffset = this.output.offset;
      for (const record of this.centralDirectory) this.output.write(record);
      this.output.write(
        endOfCentralDirectory(this.entryCount, this.centralDirectoryBytes, centralDirectoryOffset),
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

  private enqueue(
    entry: Pick<ChatbookEntry, 'path' | 'contentItemIds' | 'modifiedAt'> & { body: unknown },
    body: Buffer,
  ): void {
    this.lookahead.push({
      path: entry.path,
      body,
      contentItemIds: entry.contentItemIds ?? [],
      dosDateTime: entry.modifiedAt ? dosDateTime(entry.modifiedAt) : this.defaultDosDateTime,
      digest: this.processor.digest(body, this.shouldDeflate(entry.path)),
    });
    this.lookaheadBytes += body.length;
  }

  /** Writes out the oldest digested entries while the lookahead is over its bounds. */
  private async trimLookahead(): Promise<void> {
    while (this.lookaheadBytes > LOOKAHEAD_MAX_BYTES || this.lookahead.length > LOOKAHEAD_MAX_ENTRIES) {
      await this.writeOldest();
    }
  }

  private async drainLookahead(): Promise<void> {
    this.processor.flush();
    while (this.lookahead.length > 0) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const pending = this.lookahead.shift()!;
    this.lookaheadBytes -= pending.body.length;
    const digest = await pending.digest;
    const data = digest.deflated ?? pending.body;
    const record = this.newRecord(
      pending.path,
      pending.dosDateTime,
      digest.deflated ? METHOD_DEFLATED : METHOD_STORED,
    );
    record.crc32 = digest.crc32;
    record.compressedSize = data.length;
    record.uncompressedSize = pending.body.length;
    record.usesDataDescriptor = false;
    const utf8 = !isAscii(pending.path);
    this.output.write(localFileHeader(record, utf8));
    this.output.write(data);
    this.finishEntry(record, utf8, {
      path: pending.path,
      size: pending.body.length,
      sha256Hex: digest.sha256Hex,
      contentItemIds: pending.contentItemIds,
    });
    if (this.output.blocked) await this.output.ready();
  }

  /** A body of unknown size: local header without sizes, data, then a data descriptor. */
  private async writeStreamedEntry(entry: ChatbookEntry, body: AsyncIterable<Uint8Array>): Promise<void> {
    const deflate = this.shouldDeflate(entry.path);
    const record = this.newRecord(
      entry.path,
      entry.modifiedAt ? dosDateTime(entry.modifiedAt) : this.defaultDosDateTime,
      deflate ? METHOD_DEFLATED : METHOD_STORED,
    );
    const utf8 = !isAscii(entry.path);
    this.output.write(localFileHeader(record, utf8));
    const hash = createHash('sha256');
    let crc = 0;
    let size = 0;
    const account = (chunk: Uint8Array): Buffer => {
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      crc = crc32(bytes, crc);
      hash.update(bytes);
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
    record.crc32 = crc >>> 0;
    record.compressedSize = compressed;
    record.uncompressedSize = size;
    this.output.write(dataDescriptor(record));
    this.finishEntry(record, utf8, {
      path: entry.path,
      size,
      sha256Hex: hash.digest('hex'),
      contentItemIds: entry.contentItemIds ?? [],
    });
    if (this.output.blocked) await this.output.ready();
  }

  private finalManifest(): Record<string, unknown> {
    const manifest: Record<string, unknown> = { ...this.options.manifest, version: this.options.version };
    delete manifest.file_inventory;
    if (this.options.version === '1.1.0') manifest.file_inventory = fileInventory(this.inventory);
    return manifest;
  }

  /** manifest.json, stored with known sizes; its JSON is produced in chunks so memory stays bounded. */
  private async writeManifest(manifest: Record<string, unknown>): Promise<void> {
    let crc = 0;
    let size = 0;
    let kept: Buffer[] | undefined = [];
    for (const chunk of manifestJsonChunks(manifest)) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      if (kept && size <= MANIFEST_KEEP_BYTES) kept.push(chunk);
      else kept = undefined;
    }
    const record = this.newRecord(MANIFEST_PATH, this.defaultDosDateTime, METHOD_STORED);
    record.crc32 = crc >>> 0;
    record.compressedSize = size;
    record.uncompressedSize = size;
    record.usesDataDescriptor = false;
    this.output.write(localFileHeader(record, false));
    for (const chunk of kept ?? manifestJsonChunks(manifest)) {
      this.output.write(chunk);
      if (this.output.blocked) await this.output.ready();
    }
    this.entryCount++;
    this.uncompressedBytes += size;
    this.addCentralRecord(centralDirectoryHeader(record, false));
  }

  private newRecord(path: string, dateTime: number, method: number): EntryRecord {
    return {
      name: Buffer.from(path),
      method,
      crc32: 0,
      compressedSize: 0,
      uncompressedSize: 0,
      localHeaderOffset: this.output.offset,
      dosDateTime: dateTime,
      usesDataDescriptor: true,
    };
  }

  private finishEntry(record: EntryRecord, utf8: boolean, inventory: InventoryRecord): void {
    this.entryCount++;
    this.uncompressedBytes += record.uncompressedSize;
    this.inventory.push(inventory);
    this.addCentralRecord(centralDirectoryHeader(record, utf8));
  }

  private addCentralRecord(header: Buffer): void {
    this.centralDirectory.push(header);
    this.centralDirectoryBytes += header.length;
  }
}

async function* sliceBody(body: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < body.length; at += STREAM_SLICE_BYTES) {
    yield await Promise.resolve(body.subarray(at, at + STREAM_SLICE_BYTES));
  }
}
