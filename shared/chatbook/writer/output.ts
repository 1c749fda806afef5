/**
 * The archive's output side: a real node:stream Readable fed in large coalesced chunks, with the SHA-256
 * and byte count of everything pushed, and backpressure the producer awaits.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Pieces smaller than this are copied into the current block; larger ones are pushed as they are. */
const COALESCE_BELOW = 256 * 1024;

export class ArchiveOutput {
  readonly stream: Readable;
  /** Absent when the caller does not want the archive's SHA-256 (it costs a second pass on media). */
  private readonly hash: Hash | undefined;
  private readonly blockSize: number;
  private currentBlock: Buffer;
  private blockUsed = 0;
  private bytesPushed = 0;
  private resumeProducer: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(options: { highWaterMark: number; blockSize: number; hashArchive: boolean }) {
    this.blockSize = options.blockSize;
    this.hash = options.hashArchive ? createHash('sha256') : undefined;
    this.currentBlock = Buffer.allocUnsafe(this.blockSize);
    this.stream = new Readable({
      highWaterMark: options.highWaterMark,
      read: () => {
        this.wake();
      },
      destroy: (error, callback) => {
        this.failure ??=
          error ?? new Error('The archive stream was destroyed before the archive was complete.');
        this.wake();
        callback(error);
      },
    });
  }

  /** Bytes written so far, including any still in the coalescing block: the offset of the next byte. */
  get offset(): number {
    return this.bytesPushed + this.blockUsed;
  }

  /** True when the consumer's buffer is full (or the stream failed): the producer should await ready(). */
  get blocked(): boolean {
    return this.failure !== undefined || this.stream.readableLength >= this.stream.readableHighWaterMark;
  }

  /**
   * Makes room for `length` bytes (at most the block size) in the current block and returns where they go:
   * the caller writes them into `block` at that position, then calls `advance(length)`.
   */
  reserve(length: number): number {
    if (this.blockUsed + length > this.blockSize) this.flushBlock();
    return this.blockUsed;
  }

  /** The current coalescing block (valid until the next write, reserve or advance). */
  get block(): Buffer {
    return this.currentBlock;
  }

  advance(length: number): void {
    this.blockUsed += length;
  }

  write(data: Buffer): void {
    if (data.length >= COALESCE_BELOW) {
      this.flushBlock();
      this.push(data);
      return;
    }
    if (this.blockUsed + data.length > this.blockSize) this.flushBlock();
    data.copy(this.currentBlock, this.blockUsed);
    this.blockUsed += data.length;
  }

  /** Resolves when the consumer wants more; rejects if the stream was destroyed meanwhile. */
  async ready(): Promise<void> {
    while (this.failure === undefined && this.stream.readableLength >= this.stream.readableHighWaterMark) {
      await new Promise<void>((resolve) => {
        this.resumeProducer = resolve;
      });
    }
    if (this.failure) throw this.failure;
  }

  /** Pushes what is left and ends the stream; returns the archive's size and SHA-256 (hex) when hashed. */
  finish(): { bytes: number; sha256: string | undefined } {
    this.flushBlock();
    this.stream.push(null);
    return { bytes: this.bytesPushed, sha256: this.hash?.digest('hex') };
  }

  fail(error: Error): void {
    this.failure ??= error;
    if (!this.stream.destroyed) this.stream.destroy(error);
  }

  private flushBlock(): void {
    if (this.blockUsed === 0) return;
    const filled = this.currentBlock.subarray(0, this.blockUsed);
    // A fresh block each time: the pushed one now belongs to the consumer.
    this.currentBlock = Buffer.allocUnsafe(this.blockSize);
    this.blockUsed = 0;
    this.push(filled);
  }

  private push(data: Buffer): void {
    if (this.failure) throw this.failure;
    this.bytesPushed += data.length;
    // Pushed before hashing: the consumer (a disk or network write) starts on it while this thread hashes.
    this.stream.push(data);
    this.hash?.update(data);
  }

  private wake(): void {
    const resume = this.resumeProducer;
    this.resumeProducer = undefined;
    resume?.();
  }
}
