/**
 * Reading one entry's bytes: its local header (checked against the central directory), then its data, inflated
 * with the declared size enforced as a hard cap while inflating and the CRC-32 checked at the end.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createInflateRaw, crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { openNativeHandle, type NativeZlibHandle } from '../native-zlib';
import type { InflateRaw } from 'node:zlib';
import { ArchiveRejectedError, reject } from './errors';
import { overlap } from './rules';
import {
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  FLAG_MASKED_HEADERS,
  FLAG_STRONG_ENCRYPTION,
  FLAG_UTF8,
  LOCAL_HEADER_LENGTH,
  METHOD_STORED,
  SIG_LOCAL_HEADER,
  parseLocalHeader,
} from './zip-format';
import type { ZipEntry } from './zip-format';
import type { RandomAccessSource } from './sources';

export type ReadRange = (offset: number, length: number) => Promise<Buffer>;

/** Entries up to this size are inflated in one synchronous call; larger ones are streamed. */
export const SMALL_ENTRY_BYTES = 4 * 1024 * 1024;
const INFLATE_CHUNK_BYTES = 64 * 1024;

/**
 * A read-ahead window for a front-to-back pass: local headers and small entries that sit next to each other
 * are served from one large read instead of one read each (100,000 entries would otherwise cost 200,000 reads).
 */
export class ReadAhead {
  private windowStart = 0;
  private window: Buffer = Buffer.alloc(0);
  readonly reads = { count: 0, bytes: 0 };

  constructor(
    private readonly source: RandomAccessSource,
    readonly windowBytes: number,
  ) {}

  /** The bytes if the current window holds them: lets the hot loop skip a promise per entry. */
  peek(offset: number, length: number): Buffer | undefined {
    const relative = offset - this.windowStart;
    return relative >= 0 && relative + length <= this.window.length
      ? this.window.subarray(relative, relative + length)
      : undefined;
  }

  readonly read: ReadRange = async (offset, length) => {
    if (offset + length > this.source.size) throw truncatedAt(offset);
    const relative = offset - this.windowStart;
    if (relative >= 0 && relative + length <= this.window.length)
      return this.window.subarray(relative, relative + length);
    if (length > this.windowBytes) return this.fetch(offset, length);
    this.window = await this.fetch(offset, Math.min(this.source.size - offset, this.windowBytes));
    this.windowStart = offset;
    return this.window.subarray(0, length);
  };

  private async fetch(offset: number, length: number): Promise<Buffer> {
    this.reads.count++;
    this.reads.bytes += length;
    return this.source.read(offset, length);
  }
}

function truncatedAt(offset: number): ArchiveRejectedError {
  return reject(
    'truncated',
    'The archive is truncated: an entry extends past the end of the file. Upload the complete file again.',
    {
      offset,
    },
  );
}

// Flag bits that must agree between the local header and the directory; the rest are compression hints.
const COMPARED_FLAGS =
  FLAG_ENCRYPTED | FLAG_DATA_DESCRIPTOR | FLAG_STRONG_ENCRYPTION | FLAG_UTF8 | FLAG_MASKED_HEADERS;

function headerMismatch(entry: ZipEntry, what: string): ArchiveRejectedError {
  return reject(
    'header_mismatch',
    `An entry's local header disagrees with the central directory about its ${what} (entry ${entry.index}). The archive is damaged or crafted: re-create it.`,
    { entryIndex: entry.index, field: what },
  );
}

/**
 * Reads and checks an entry's local header; returns where its data starts. `nextStart` is where the next
 * entry (or the central directory) begins: the data must end before it.
 */
export async function readLocalHeader(
  read: ReadRange,
  sourceSize: number,
  entry: ZipEntry,
  nextStart: number,
  nextIndex: number,
): Promise<number> {
  const fixedLength = LOCAL_HEADER_LENGTH + entry.nameBytes.length;
  if (entry.localHeaderOffset + fixedLength > sourceSize) throw truncatedAt(entry.localHeaderOffset);
  const fixed = await read(entry.localHeaderOffset, fixedLength);
  const extraLength = fixed.readUInt16LE(28);
  const extra =
    needsLocalExtra(fixed) && extraLength > 0
      ? await read(entry.localHeaderOffset + fixedLength, extraLength)
      : undefined;
  return checkLocalHeader(fixed, extra, sourceSize, entry, nextStart, nextIndex);
}

/** Whether the local sizes live in its ZIP64 extra field (which then has to be read too). */
export function needsLocalExtra(fixed: Buffer): boolean {
  return fixed.readUInt32LE(18) === 0xffffffff || fixed.readUInt32LE(22) === 0xffffffff;
}

/** Checks a local header (fixed part + name, and the extra when `needsLocalExtra`); returns where the data starts. */
export function checkLocalHeader(
  fixed: Buffer,
  extra: Buffer | undefined,
  sourceSize: number,
  entry: ZipEntry,
  nextStart: number,
  nextIndex: number,
): number {
  if (fixed.readUInt32LE(0) !== SIG_LOCAL_HEADER) throw headerMismatch(entry, 'signature');
  if (fixed.readUInt16LE(26) !== entry.nameBytes.length) throw headerMismatch(entry, 'name');
  const local = parseLocalHeader(fixed, extra, entry.index);
  if (!local.nameBytes.equals(entry.nameBytes)) throw headerMismatch(entry, 'name');
  if (local.method !== entry.method) throw headerMismatch(entry, 'compression method');
  if ((local.flags & COMPARED_FLAGS) !== (entry.flags & COMPARED_FLAGS)) throw headerMismatch(entry, 'flags');
  if ((entry.flags & FLAG_DATA_DESCRIPTOR) === 0) {
    // Without a data descriptor the local header carries the real CRC and sizes.
    if (local.crc32 !== entry.crc32) throw headerMismatch(entry, 'CRC-32');
    if (local.compressedSize !== entry.compressedSize || local.uncompressedSize !== entry.uncompressedSize) {
      throw headerMismatch(entry, 'sizes');
    }
  }
  const dataStart = entry.localHeaderOffset + local.length;
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > sourceSize) throw truncatedAt(dataStart);
  if (dataEnd > nextStart) throw overlap(entry.index, nextIndex);
  return dataStart;
}

/** Turns zlib and allocation failures into the rejection they mean; leaves I/O errors alone. */
export function entryDataError(error: unknown, entry: ZipEntry): unknown {
  if (error instanceof ArchiveRejectedError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return sizeTooLarge(entry);
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return reject(
      'crc_mismatch',
      `An entry's compressed data is damaged and cannot be inflated (entry ${entry.index}). Re-create the chatbook.`,
      { entryIndex: entry.index },
    );
  }
  return error;
}

function sizeTooLarge(entry: ZipEntry): ArchiveRejectedError {
  return reject(
    'size_mismatch',
    `An entry inflates to more bytes than its header declares (entry ${entry.index}), which is how zip bombs hide. Re-create the chatbook.`,
    { entryIndex: entry.index, declaredBytes: entry.uncompressedSize },
  );
}

function checkResult(entry: ZipEntry, length: number, crc: number): void {
  if (length !== entry.uncompressedSize) {
    throw reject(
      'size_mismatch',
      `An entry's data has a different length than its header declares (entry ${entry.index}). The archive is damaged: re-create it.`,
      { entryIndex: entry.index, declaredBytes: entry.uncompressedSize, actualBytes: length },
    );
  }
  if (crc !== entry.crc32) {
    throw reject(
      'crc_mismatch',
      `An entry's data does not match its CRC-32 checksum (entry ${entry.index}). The archive is damaged: upload it again or re-create it.`,
      { entryIndex: entry.index },
    );
  }
}

/**
 * One inflater reused for every small entry. `inflateRawSync` builds a whole zlib stream (native state, 32 KiB
 * window, Transform machinery) per call: ~16 us, which dominates an archive of 100,000 small files (unzip -t
 * spends ~11 us per entry in total). Driving one native handle directly costs ~1 us. The handle and its write
 * state are Node internals (stable since Node 10; checked on 20, 22, 24): when they are missing, or a self-test
 * fails, `inflateRawSync` is used instead. Whatever path runs, every output is size- and CRC-checked.
 */
class ReusableInflater {
  private stream: InflateRaw | undefined;
  private handle: NativeZlibHandle | undefined;
  private state: Uint32Array | undefined;
  private usable = true;

  constructor() {
    const sample = Buffer.from('chatbook reader self-test '.repeat(8));
    const output = Buffer.alloc(sample.length + 1);
    try {
      this.usable =
        this.inflateInto(deflateRawSync(sample), output) === sample.length &&
        output.subarray(0, sample.length).equals(sample);
    } catch {
      this.usable = false;
    }
  }

  /** Inflates into `output`; returns the bytes written (output.length means "it did not fit"), undefined when unavailable. */
  inflateInto(input: Buffer, output: Buffer): number | undefined {
    if (!this.usable || !this.open()) return undefined;
    const stream = this.stream!;
    const handle = this.handle!;
    handle.reset();
    handle.writeSync(constants.Z_FINISH, input, 0, input.length, output, 0, output.length);
    // A zlib error (damaged data, unexpected end) destroys the stream synchronously; start afresh next time.
    if (stream.destroyed) {
      this.stream = undefined;
      throw Object.assign(new Error('invalid deflate data'), { code: 'Z_DATA_ERROR' });
    }
    return output.length - this.state![0]!;
  }

  private open(): boolean {
    if (this.stream) return true;
    const stream = createInflateRaw();
    const native = openNativeHandle(stream);
    if (!native) {
      this.usable = false;
      return false;
    }
    this.stream = stream;
    this.handle = native.handle;
    this.state = native.state;
    return true;
  }
}

let sharedInflater: ReusableInflater | undefined;

/** Inflates a small entry in one call, the declared size a hard cap (+1 byte to detect a lie); checks size and CRC. */
export function inflateSmall(entry: ZipEntry, compressed: Buffer): Buffer {
  let output: Buffer;
  if (entry.method === METHOD_STORED) {
    output = compressed;
  } else {
    try {
      sharedInflater ??= new ReusableInflater();
      const target = Buffer.allocUnsafe(entry.uncompressedSize + 1);
      const written = sharedInflater.inflateInto(compressed, target);
      output =
        written === undefined
          ? inflateRawSync(compressed, { maxOutputLength: entry.uncompressedSize + 1 })
          : target.subarray(0, written);
    } catch (error) {
      throw entryDataError(error, entry);
    }
  }
  if (output.length > entry.uncompressedSize) throw sizeTooLarge(entry);
  checkResult(entry, output.length, crc32(output));
  return output;
}

export function isSmallEntry(entry: ZipEntry, windowBytes: number): boolean {
  return entry.uncompressedSize <= SMALL_ENTRY_BYTES && entry.compressedSize <= windowBytes;
}

async function* compressedChunks(
  read: ReadRange,
  dataStart: number,
  length: number,
  chunkBytes: number,
): AsyncGenerator<Buffer> {
  for (let position = 0; position < length; position += chunkBytes) {
    yield await read(dataStart + position, Math.min(chunkBytes, length - position));
  }
}

/**
 * The entry's uncompressed bytes as a stream of chunks, never more than a chunk in memory. Throws size_mismatch
 * as soon as the output passes the declared size, and crc_mismatch/size_mismatch at the end.
 */
export async function* entryChunks(
  read: ReadRange,
  entry: ZipEntry,
  dataStart: number,
  chunkBytes: number,
): AsyncGenerator<Buffer> {
  const compressed = compressedChunks(read, dataStart, entry.compressedSize, chunkBytes);
  let output: AsyncIterable<Buffer>;
  let piping: Promise<void> | undefined;
  if (entry.method === METHOD_STORED) {
    output = compressed;
  } else {
    const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
    piping = pipeline(Readable.from(compressed, { objectMode: false }), inflater);
    // The iterator below sees the same error; this only keeps it from being reported as unhandled.
    piping.catch(() => undefined);
    output = inflater;
  }
  let length = 0;
  let crc = 0;
  try {
    for await (const chunk of output) {
      length += chunk.length;
      if (length > entry.uncompressedSize) throw sizeTooLarge(entry);
      crc = crc32(chunk, crc);
      yield chunk;
    }
    if (piping) await piping;
  } catch (error) {
    throw entryDataError(error, entry);
  }
  checkResult(entry, length, crc);
}
