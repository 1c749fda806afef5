import { open } from 'node:fs/promises';

/** Random access to the bytes of one archive: a local file, a buffer, an S3 object (through ranged GETs). */
export interface RandomAccessSource {
  readonly size: number;
  /** Exactly `length` bytes from `offset`; the range must lie inside [0, size). */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export function assertRangeInside(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`Invalid read range (offset ${offset}, length ${length}).`);
  }
  if (offset + length > size) {
    throw new RangeError(
      `Read past the end of the source (offset ${offset}, length ${length}, size ${size}).`,
    );
  }
}

/** A source over a buffer already in memory (tests, small uploads). */
export class BufferSource implements RandomAccessSource {
  readonly size: number;
  private readonly buffer: Buffer;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
    this.size = buffer.length;
  }

  read(offset: number, length: number): Promise<Buffer> {
    assertRangeInside(this.size, offset, length);
    return Promise.resolve(this.buffer.subarray(offset, offset + length));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Positional reads (pread) on a local file; the size is taken once, when opened. */
export async function openFileSource(path: string): Promise<RandomAccessSource> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return {
      size,
      async read(offset: number, length: number): Promise<Buffer> {
        assertRangeInside(size, offset, length);
        const buffer = Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) throw new RangeError('The file became shorter while it was being read.');
          filled += bytesRead;
        }
        return buffer;
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export interface BlockCacheOptions {
  /** Size of the aligned blocks fetched from the inner source. Default 1 MiB. */
  blockSize?: number;
  /** Blocks kept, least recently used evicted first. Default 16. */
  maxBlocks?: number;
}

/**
 * Serves small reads from aligned blocks kept in an LRU, so walking a central directory of 10,000 entries, or
 * reading thousands of small local headers, costs a few inner reads (one ranged GET each on S3) instead of
 * thousands. Reads of a block or more go straight to the inner source: they are streaming reads of entry data
 * and would only evict useful blocks.
 */
export class BlockCacheSource implements RandomAccessSource {
  readonly size: number;
  private readonly inner: RandomAccessSource;
  private readonly blockSize: number;
  private readonly maxBlocks: number;
  /** Map iteration order is insertion order: re-inserting on use makes the first key the least recently used. */
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(inner: RandomAccessSource, options: BlockCacheOptions = {}) {
    this.inner = inner;
    this.size = inner.size;
    this.blockSize = options.blockSize ?? 1024 * 1024;
    this.maxBlocks = Math.max(2, options.maxBlocks ?? 16);
    if (!Number.isSafeInteger(this.blockSize) || this.blockSize < 512) {
      throw new RangeError('blockSize must be an integer of at least 512 bytes.');
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    assertRangeInside(this.size, offset, length);
    if (length === 0) return Buffer.alloc(0);
    if (length >= this.blockSize) return this.inner.read(offset, length);
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    const parts = await Promise.all(this.blockRange(first, last));
    const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const start = offset - first * this.blockSize;
    return joined.subarray(start, start + length);
  }

  close(): Promise<void> {
    this.blocks.clear();
    return this.inner.close();
  }

  /** Promises for blocks first..last; missing neighbours are fetched together in one inner read. */
  private blockRange(first: number, last: number): Promise<Buffer>[] {
    const result: Promise<Buffer>[] = [];
    let block = first;
    while (block <= last) {
      const cached = this.blocks.get(block);
      if (cached) {
        this.blocks.delete(block);
        this.blocks.set(block, cached);
        result.push(cached);
        block++;
        continue;
      }
      let runEnd = block;
      while (runEnd < last && !this.blocks.has(runEnd + 1)) runEnd++;
      const runStart = block * this.blockSize;
      const runLength = Math.min(this.size, (runEnd + 1) * this.blockSize) - runStart;
      const run = this.inner.read(runStart, runLength);
      for (let b = block; b <= runEnd; b++) {
        const sliceStart = (b - block) * this.blockSize;
        const part = run.then((bytes) => bytes.subarray(sliceStart, sliceStart + this.blockSize));
        this.remember(b, part);
        result.push(part);
      }
      block = runEnd + 1;
    }
    return result;
  }

  private remember(block: number, bytes: Promise<Buffer>): void {
    this.blocks.set(block, bytes);
    // A failed read must not stay cached: the next caller retries.
    bytes.catch(() => {
      if (this.blocks.get(block) === bytes) this.blocks.delete(block);
    });
    while (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value;
      if (oldest === undefined) break;
      this.blocks.delete(oldest);
    }
  }
}
