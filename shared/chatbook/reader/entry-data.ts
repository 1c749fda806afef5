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
  localZip64Sizes,
  nameMatchesAt,
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
    const relative = this.find(offset, length);
    return relative < 0 ? undefined : this.window.subarray(relative, relative + length);
  }

  /** Where the range starts in `buffer` when the current window holds it, else -1 (no view allocated). */
  find(offset: number, length: number): number {
    const relative = offset - this.windowStart;
    return relative >= 0 && relative + length <= this.window.length ? relative : -1;
  }

  /** The current window, for positions returned by `find`. */
  get buffer(): Buffer {
    return this.window;
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
  const fixedLength = LOCAL_HEADER_LENGTH + entry.nameLength;
  if (entry.localHeaderOffset + fixedLength > sourceSize) throw truncatedAt(entry.localHeaderOffset);
  const fixed = await read(entry.localHeaderOffset, fixedLength);
  const extraLength = fixed.readUInt16LE(28);
  const extra =
    needsLocalExtra(fixed, 0) && extraLength > 0
      ? await read(entry.localHeaderOffset + fixedLength, extraLength)
      : undefined;
  return checkLocalHeader(fixed, 0, extra, sourceSize, entry, nextStart, nextIndex);
}

/** Whether the local sizes (header at `at`) live in its ZIP64 extra field (which then has to be read too). */
export function needsLocalExtra(buffer: Buffer, at: number): boolean {
  return buffer.readUInt32LE(at + 18) === 0xffffffff || buffer.readUInt32LE(at + 22) === 0xffffffff;
}

/**
 * Checks a local header whose fixed part and name are in `buffer` at `at` (and its extra in `extra` when
 * `needsLocalExtra`), in place: no view or object per entry. Returns where the data starts.
 */
export function checkLocalHeader(
  buffer: Buffer,
  at: number,
  extra: Buffer | undefined,
  sourceSize: number,
  entry: ZipEntry,
  nextStart: number,
  nextIndex: number,
): number {
  if (buffer.readUInt32LE(at) !== SIG_LOCAL_HEADER) throw headerMismatch(entry, 'signature');
  const nameLength = buffer.readUInt16LE(at + 26);
  if (nameLength !== entry.nameLength) throw headerMismatch(entry, 'name');
  const extraLength = buffer.readUInt16LE(at + 28);
  let compressedSize = buffer.readUInt32LE(at + 18);
  let uncompressedSize = buffer.readUInt32LE(at + 22);
  if (extra && (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff)) {
    const sizes = localZip64Sizes(extra, entry.index);
    if (sizes) [uncompressedSize, compressedSize] = sizes;
  }
  if (!nameMatchesAt(entry, buffer, at + LOCAL_HEADER_LENGTH)) throw headerMismatch(entry, 'name');
  if (buffer.readUInt16LE(at + 8) !== entry.method) throw headerMismatch(entry, 'compression method');
  if ((buffer.readUInt16LE(at + 6) & COMPARED_FLAGS) !== (entry.flags & COMPARED_FLAGS))
    throw headerMismatch(entry, 'flags');
  if ((entry.flags & FLAG_DATA_DESCRIPTOR) === 0) {
    // Without a data descriptor the local header carries the real CRC and sizes.
    if (buffer.readUInt32LE(at + 14) !== entry.crc32) throw headerMismatch(entry, 'CRC-32');
    if (compressedSize !== entry.compressedSize || uncompressedSize !== entry.uncompressedSize) {
      throw headerMismatch(entry, 'sizes');
    }
  }
  const dataStart = entry.localHeaderOffset + LOCAL_HEADER_LENGTH + nameLength + extraLength;
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
  if (typeof code === 'string' && code.startsWith('Z_')) return damagedData(entry);
  return error;
}

function damagedData(entry: ZipEntry): ArchiveRejectedError {
  return reject(
    'crc_mismatch',
    `An entry's compressed data is damaged and cannot be inflated (entry ${entry.index}). Re-create the chatbook.`,
    { entryIndex: entry.index },
  );
}

function sizeTooLarge(entry: ZipEntry): ArchiveRejectedError {
  return reject(
    'size_mismatch',
    `An entry inflates to more bytes than its header declares (entry ${entry.index}), which is how zip bombs hide. Re-create the chatbook.`,
    { entryIndex: entry.index, declaredBytes: entry.uncompressedSize },
  );
}

function sizeMismatch(entry: ZipEntry, length: number): ArchiveRejectedError {
  return reject(
    'size_mismatch',
    `An entry's data has a different length than its header declares (entry ${entry.index}). The archive is damaged: re-create it.`,
    { entryIndex: entry.index, declaredBytes: entry.uncompressedSize, actualBytes: length },
  );
}

function crcMismatch(entry: ZipEntry): ArchiveRejectedError {
  return reject(
    'crc_mismatch',
    `An entry's data does not match its CRC-32 checksum (entry ${entry.index}). The archive is damaged: upload it again or re-create it.`,
    { entryIndex: entry.index },
  );
}

function checkResult(entry: ZipEntry, length: number, crc: number): void {
  if (length !== entry.uncompressedSize) throw sizeMismatch(entry, length);
  if (crc !== entry.crc32) throw crcMismatch(entry);
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
    // Input and output both at an offset, as the validation pass uses them.
    const sample = Buffer.from('chatbook reader self-test '.repeat(8));
    const input = Buffer.concat([Buffer.from('pad'), deflateRawSync(sample), Buffer.from('pad')]);
    const output = Buffer.alloc(sample.length + 8);
    try {
      this.usable =
        this.inflateInto(input, 3, input.length - 6, output, 5, sample.length + 1) === sample.length &&
        output.subarray(5, 5 + sample.length).equals(sample);
    } catch {
      this.usable = false;
    }
  }

  /**
   * Inflates input[inOffset, +inLength) into output[outOffset, +outLength); returns the bytes written
   * (outLength means "it did not fit"), undefined when unavailable.
   */
  inflateInto(
    input: Buffer,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): number | undefined {
    if (!this.usable || !this.open()) return undefined;
    const stream = this.stream!;
    const handle = this.handle!;
    handle.reset();
    handle.writeSync(constants.Z_FINISH, input, inOffset, inLength, output, outOffset, outLength);
    // A zlib error (damaged data, unexpected end) destroys the stream synchronously; start afresh next time.
    if (stream.destroyed) {
      this.stream = undefined;
      throw Object.assign(new Error('invalid deflate data'), { code: 'Z_DATA_ERROR' });
    }
    return outLength - this.state![0]!;
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
  if (entry.method === METHOD_STORED) return checkSmall(entry, compressed);
  const target = Buffer.allocUnsafe(entry.uncompressedSize + 1);
  return checkSmall(entry, target.subarray(0, inflateAt(entry, compressed, 0, target, 0)));
}

/** Inflates into output[outOffset, + declared size + 1); returns the bytes written (inflateRawSync when the handle is unavailable). */
function inflateAt(entry: ZipEntry, input: Buffer, at: number, output: Buffer, outOffset: number): number {
  const capacity = entry.uncompressedSize + 1;
  try {
    sharedInflater ??= new ReusableInflater();
    const written = sharedInflater.inflateInto(input, at, entry.compressedSize, output, outOffset, capacity);
    if (written !== undefined) return written;
    const inflated = inflateRawSync(input.subarray(at, at + entry.compressedSize), {
      maxOutputLength: capacity,
    });
    return inflated.copy(output, outOffset);
  } catch (error) {
    throw entryDataError(error, entry);
  }
}

/** Why an entry's data failed where it was verified off the main thread; mapped to the inline path's rejections. */
export type DataFailureKind = 'damaged' | 'too_large' | 'size' | 'crc';

/** The rejection the inline path throws for the same failure, so both paths answer alike. */
export function dataFailure(entry: ZipEntry, kind: DataFailureKind, actualLength: number): unknown {
  switch (kind) {
    case 'damaged':
      return entryDataError(
        Object.assign(new Error('invalid deflate data'), { code: 'Z_DATA_ERROR' }),
        entry,
      );
    case 'too_large':
      return sizeTooLarge(entry);
    case 'size':
      return sizeMismatch(entry, actualLength);
    case 'crc':
      return crcMismatch(entry);
  }
}

function checkSmall(entry: ZipEntry, output: Buffer): Buffer {
  if (output.length > entry.uncompressedSize) throw sizeTooLarge(entry);
  checkResult(entry, output.length, crc32(output));
  return output;
}

/**
 * Small buffers handed out as views of shared slabs, like Node's own pool but larger, one view per entry and
 * no copy: the validation pass inflates kept item files straight into them.
 */
class Slab {
  private static readonly SLAB_BYTES = 64 * 1024;
  /** Larger requests get a buffer of their own. */
  private static readonly MAX_SHARED_BYTES = 8 * 1024;
  private slab = Buffer.allocUnsafe(0);
  private used = 0;
  buffer = this.slab;
  offset = 0;

  /** Makes `buffer` hold `length` free bytes from `offset`. */
  reserve(length: number): void {
    if (length > Slab.MAX_SHARED_BYTES) {
      this.buffer = Buffer.allocUnsafe(length);
      this.offset = 0;
      return;
    }
    if (this.used + length > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Slab.SLAB_BYTES);
      this.used = 0;
    }
    this.buffer = this.slab;
    this.offset = this.used;
  }

  /** The first `length` reserved bytes, kept. */
  commit(length: number): Buffer {
    if (this.buffer === this.slab) this.used = this.offset + length;
    return this.buffer.subarray(this.offset, this.offset + length);
  }
}

const kept = new Slab();
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The validation pass for a small entry whose compressed bytes are input[at, + compressed size): inflates it
 * (the declared size a hard cap), checks size and CRC. With `keep`, returns the bytes in a buffer of their
 * own to keep; otherwise a view of a scratch buffer that the next call overwrites.
 */
export function verifySmall(entry: ZipEntry, input: Buffer, at: number, keep: boolean): Buffer {
  const size = entry.uncompressedSize;
  if (entry.method === METHOD_STORED) {
    const length = entry.compressedSize;
    if (!keep) return checkSmall(entry, input.subarray(at, at + length));
    kept.reserve(length);
    input.copy(kept.buffer, kept.offset, at, at + length);
    return checkSmall(entry, kept.commit(length));
  }
  if (!keep) {
    if (scratch.length < size + 1) scratch = Buffer.allocUnsafe(size + 1);
    return checkSmall(entry, scratch.subarray(0, inflateAt(entry, input, at, scratch, 0)));
  }
  kept.reserve(size + 1);
  const written = inflateAt(entry, input, at, kept.buffer, kept.offset);
  if (written > size) throw sizeTooLarge(entry);
  return checkSmall(entry, kept.commit(written));
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
