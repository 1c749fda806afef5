/**
 * CRC-32, SHA-256 and raw deflate of in-memory entry bodies. Small archives are processed inline on the
 * main thread; once an archive proves big enough to pay for them, a pool of worker threads takes over, so
 * deflate and hashing run on every core while the main thread assembles and hashes the archive.
 *
 * Per-entry costs matter (an archive can hold 100,000 bodies of a few hundred bytes): bodies travel in
 * batches, one promise per batch, results are written into the jobs themselves, and deflate reuses one
 * native zlib handle per window size instead of building a zlib stream per body (see ReusableDeflater).
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { constants, createDeflateRaw, crc32, deflateRawSync } from 'node:zlib';
import { openNativeHandle, type NativeZlibHandle } from '../native-zlib';
import type { DeflateRaw } from 'node:zlib';

/** The import validator rejects entries compressing better than 100:1 (zip-bomb guard); we store those. */
export const MAX_COMPRESSION_RATIO = 100;

/**
 * The deflate window and hash sized to the body: same output for small bodies (no match can reach further
 * back than the body's start), but much cheaper to set up (and reset) per entry.
 */
export function deflateOptions(
  level: number,
  size: number,
): { level: number; windowBits: number; memLevel: number } {
  const bitsNeeded = Math.ceil(Math.log2(size + 262));
  return {
    level,
    windowBits: Math.min(15, Math.max(9, bitsNeeded)),
    memLevel: Math.min(8, Math.max(4, bitsNeeded - 6)),
  };
}

/** One body's work and, once `done`, its results. */
export interface DigestJob {
  body: Buffer;
  deflate: boolean;
  done: boolean;
  crc32: number;
  /** The raw SHA-256 is the 32 bytes at `digestAt` in `digest` (a batch's digests share one buffer). */
  digest: Buffer;
  digestAt: number;
  /** Raw-deflated body, or undefined when the body is to be stored as is. */
  deflated: Buffer | undefined;
  batch: Batch | undefined;
}

interface Batch {
  jobs: DigestJob[];
  bytes: number;
  /** Set when the batch has been sent to a worker; resolves once every job in it is done. */
  settled: Promise<void> | undefined;
}

/**
 * One deflater per window size, reused for every body. `deflateRawSync` builds a whole zlib stream (native
 * state, window, Transform machinery) per call: about twice the cost of deflating a 300-byte body. Driving
 * the native handle directly costs about a microsecond. The handle and its write state are Node internals
 * (stable since Node 10; checked on 20, 22, 24); when they are missing or a self-test fails,
 * `deflateRawSync` is used instead. The worker source below carries the same logic.
 */
class ReusableDeflater {
  private readonly level: number;
  private readonly handles = new Map<
    number,
    { stream: DeflateRaw; handle: NativeZlibHandle; state: Uint32Array }
  >();
  private usable = true;

  constructor(level: number) {
    this.level = level;
    const sample = Buffer.from('chatbook writer self-test '.repeat(8));
    try {
      const out = Buffer.alloc(sample.length);
      const written = this.deflateInto(sample, out, 0, out.length);
      this.usable =
        written > 0 &&
        deflateRawSync(sample, deflateOptions(level, sample.length)).equals(out.subarray(0, written));
    } catch {
      this.usable = false;
    }
  }

  /**
   * Deflates `input` into `output` at `at`, at most `capacity` bytes; returns the bytes written, or -1 when
   * the result did not fit (the body is then stored).
   */
  deflateInto(input: Buffer, output: Buffer, at: number, capacity: number): number {
    const options = deflateOptions(this.level, input.length);
    const entry = this.usable ? this.handleFor(options) : undefined;
    if (entry === undefined) {
      const deflated = deflateRawSync(input, options);
      if (deflated.length >= capacity) return -1;
      deflated.copy(output, at);
      return deflated.length;
    }
    entry.handle.reset();
    entry.handle.writeSync(constants.Z_FINISH, input, 0, input.length, output, at, capacity);
    if (entry.stream.destroyed) {
      this.handles.delete(options.windowBits);
      throw new Error('zlib deflate failed');
    }
    // All output space used: deflate may not have finished, so the body is stored.
    const left = entry.state[0]!;
    return left > 0 ? capacity - left : -1;
  }

  private handleFor(options: {
    level: number;
    windowBits: number;
    memLevel: number;
  }): { stream: DeflateRaw; handle: NativeZlibHandle; state: Uint32Array } | undefined {
    const cached = this.handles.get(options.windowBits);
    if (cached) return cached;
    const stream = createDeflateRaw(options);
    const native = openNativeHandle(stream);
    if (!native) {
      this.usable = false;
      return undefined;
    }
    const entry = { stream, ...native };
    this.handles.set(options.windowBits, entry);
    return entry;
  }

  close(): void {
    for (const { stream } of this.handles.values()) stream.destroy();
    this.handles.clear();
  }
}

const sha256: (data: Buffer) => Buffer =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha256', data, 'buffer')
    : (data) => createHash('sha256').update(data).digest();

/** A worker keeps its deflate scratch buffer up to this size; larger batches (one big body) get their own. */
const SCRATCH_MAX_BYTES = 4 * 1024 * 1024;

/** Worker source, evaluated as CommonJS so it needs no loader or bundler support. Mirrors the inline path. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const { constants, createDeflateRaw, crc32, deflateRawSync } = require('node:zlib');
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => crypto.createHash('sha256').update(data).digest();
const handles = new Map();
let reusable = true;
function options(level, size) {
  const bits = Math.ceil(Math.log2(size + 262));
  return { level, windowBits: Math.min(15, Math.max(9, bits)), memLevel: Math.min(8, Math.max(4, bits - 6)) };
}
function handleFor(opts) {
  let entry = handles.get(opts.windowBits);
  if (entry) return entry;
  const stream = createDeflateRaw(opts);
  stream.on('error', () => undefined);
  if (!stream._handle || typeof stream._handle.writeSync !== 'function' || typeof stream._handle.reset !== 'function' || !(stream._writeState instanceof Uint32Array)) {
    reusable = false; stream.destroy(); return undefined;
  }
  entry = { stream, handle: stream._handle, state: stream._writeState };
  handles.set(opts.windowBits, entry);
  return entry;
}
function deflateInto(level, input, output, at, capacity) {
  const opts = options(level, input.length);
  const entry = reusable ? handleFor(opts) : undefined;
  if (!entry) {
    const out = deflateRawSync(input, opts);
    if (out.length >= capacity) return -1;
    out.copy(output, at);
    return out.length;
  }
  entry.handle.reset();
  entry.handle.writeSync(constants.Z_FINISH, input, 0, input.length, output, at, capacity);
  if (entry.stream.destroyed) { handles.delete(opts.windowBits); throw new Error('zlib deflate failed'); }
  const left = entry.state[0];
  return left > 0 ? capacity - left : -1;
}
const hashes = new Map();
let scratch = Buffer.allocUnsafeSlow(64 * 1024);
parentPort.on('message', (message) => {
  if (message.type === 'hash') {
    let state = hashes.get(message.id);
    if (!state) { state = crypto.createHash('sha256'); hashes.set(message.id, state); }
    const data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
    state.update(data);
    let digest;
    if (message.last) { digest = new Uint8Array(state.digest()); hashes.delete(message.id); }
    // The slice goes back for reuse: a worker's small heap collects dead ArrayBuffers only rarely.
    const slice = message.data;
    parentPort.postMessage({ type: 'hash', id: message.id, bytes: data.length, digest, slice }, digest ? [digest.buffer, slice.buffer] : [slice.buffer]);
    return;
  }
  const { id, packed, offsets, deflate, level } = message;
  const source = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const count = offsets.length - 1;
  const crcs = new Int32Array(count), lengths = new Int32Array(count);
  const digests = new Uint8Array(32 * count);
  // Deflated bodies go to a scratch buffer kept across batches, then back into the batch's own buffer (its
  // bodies are done with), which returns to the main thread: no allocation per batch here, where a worker's
  // small heap would collect dead ArrayBuffers only rarely.
  let output = scratch;
  if (output.length < source.length) {
    output = Buffer.allocUnsafeSlow(source.length);
    if (source.length <= ${SCRATCH_MAX_BYTES}) scratch = output;
  }
  let at = 0;
  for (let i = 0; i < count; i++) {
    const body = source.subarray(offsets[i], offsets[i + 1]);
    crcs[i] = crc32(body);
    digests.set(sha256(body), 32 * i);
    lengths[i] = -1;
    if (deflate[i] && body.length > 0) {
      const written = deflateInto(level, body, output, at, body.length);
      if (written > 0 && written * ${MAX_COMPRESSION_RATIO} >= body.length) { lengths[i] = written; at += written; }
    }
  }
  output.copy(source, 0, 0, at);
  parentPort.postMessage({ type: 'batch', id, crcs, digests, lengths, output: packed.subarray(0, at) }, [packed.buffer, lengths.buffer, crcs.buffer, digests.buffer]);
});
`;

interface BatchRequest {
  type: 'batch';
  id: number;
  packed: Uint8Array;
  offsets: number[];
  deflate: boolean[];
  level: number;
}

interface BatchReply {
  type: 'batch';
  id: number;
  crcs: Int32Array;
  digests: Uint8Array;
  lengths: Int32Array;
  output: Uint8Array;
}

interface HashRequest {
  type: 'hash';
  id: number;
  data: Uint8Array;
  last: boolean;
}

interface HashReply {
  type: 'hash';
  id: number;
  bytes: number;
  digest: Uint8Array | undefined;
  slice: Uint8Array;
}

interface HashJob {
  resolve: (digest: Buffer) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  batches: Map<number, { jobs: DigestJob[]; resolve: () => void; reject: (error: Error) => void }>;
  hashes: Map<number, HashJob>;
  /** Bytes sent and not yet answered: the least loaded worker gets the next message. */
  pendingBytes: number;
}

/** Bodies per message and bytes per message: big enough to amortise messaging, small enough to spread. */
const BATCH_MAX_JOBS = 512;
const BATCH_MAX_BYTES = 512 * 1024;
/** Below this much input an archive is cheaper to process inline than to start workers for. */
const INLINE_BYTES = 2 * 1024 * 1024;
const INLINE_JOBS = 500;
/** Large bodies are hashed off-thread in slices of this size, at most this many bytes in flight. */
const HASH_SLICE_BYTES = 4 * 1024 * 1024;
const HASH_MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Worker heaps: bodies live in ArrayBuffers (outside the heap), so the heap itself stays small. */
const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

export class BodyProcessor {
  private readonly level: number;
  private readonly workerCount: number;
  private workers: PoolWorker[] | undefined;
  private batch: Batch = { jobs: [], bytes: 0, settled: undefined };
  private nextMessageId = 0;
  private submittedBytes = 0;
  private submittedJobs = 0;
  private hashPendingBytes = 0;
  private hashCapacityWaiter: (() => void) | undefined;
  /** Hash slices returned by the workers, reused for the next copies. */
  private readonly freeSlices: Uint8Array<ArrayBuffer>[] = [];
  private failure: Error | undefined;
  private deflater: ReusableDeflater | undefined;
  private scratch = Buffer.allocUnsafe(0);

  constructor(level: number, workerCount = Math.min(4, Math.max(1, availableParallelism()))) {
    this.level = level;
    this.workerCount = workerCount;
  }

  /** Starts the job: inline while the archive is small, else queued for a worker (see `settle`). */
  submit(job: DigestJob): void {
    if (this.failure) throw this.failure;
    this.submittedBytes += job.body.length;
    this.submittedJobs++;
    if (this.workers === undefined) {
      if (this.submittedBytes <= INLINE_BYTES && this.submittedJobs <= INLINE_JOBS) {
        this.digestInline(job);
        return;
      }
      this.startWorkers();
    }
    const batch = this.batch;
    job.batch = batch;
    batch.jobs.push(job);
    batch.bytes += job.body.length;
    if (batch.jobs.length >= BATCH_MAX_JOBS || batch.bytes >= BATCH_MAX_BYTES) this.sendBatch();
  }

  /** Undefined when the job is done; else a promise for its batch (sending the batch if still queued). */
  settle(job: DigestJob): Promise<void> | undefined {
    if (job.done) return undefined;
    if (this.failure) return Promise.reject(this.failure);
    if (job.batch === this.batch) this.sendBatch();
    return job.batch!.settled;
  }

  /** Processes the queued (unsent) batch inline: for when the caller is about to wait for all of it. */
  finishQueuedInline(): void {
    const batch = this.batch;
    if (batch.jobs.length === 0) return;
    this.batch = { jobs: [], bytes: 0, settled: undefined };
    for (const job of batch.jobs) this.digestInline(job);
  }

  /**
   * SHA-256 of a large body on a worker, so it overlaps with the main thread's own work on the body (CRC,
   * output, archive hash). The body is copied in slices; resolves once they are sent, to the digest to come.
   * Awaits while too many bytes are already in flight. Starts the workers if need be.
   */
  async hashOffThread(body: Buffer): Promise<{ digest: Promise<Buffer> }> {
    if (this.failure) throw this.failure;
    if (this.workers === undefined) this.startWorkers();
    const target = this.leastLoaded();
    const id = this.nextMessageId++;
    const digest = new Promise<Buffer>((resolve, reject) => {
      target.hashes.set(id, { resolve, reject });
    });
    // Callers attach their handler later; a worker failure must not count as unhandled meanwhile.
    digest.catch(() => undefined);
    let at = 0;
    do {
      while (this.hashPendingBytes >= HASH_MAX_PENDING_BYTES && this.currentFailure() === undefined) {
        await new Promise<void>((resolve) => {
          this.hashCapacityWaiter = resolve;
        });
      }
      const failure = this.currentFailure();
      if (failure) throw failure;
      const length = Math.min(HASH_SLICE_BYTES, body.length - at);
      const free = this.freeSlices.pop();
      const data = free === undefined || free.length < length ? new Uint8Array(HASH_SLICE_BYTES) : free;
      data.set(body.subarray(at, at + length));
      at += length;
      this.hashPendingBytes += length;
      target.pendingBytes += length;
      const request: HashRequest = {
        type: 'hash',
        id,
        data: data.subarray(0, length),
        last: at >= body.length,
      };
      target.worker.postMessage(request, [data.buffer]);
    } while (at < body.length);
    // Wrapped: an async function's returned promise would otherwise be awaited along with the slices.
    return { digest };
  }

  async close(): Promise<void> {
    this.deflater?.close();
    const workers = this.workers ?? [];
    this.workers = undefined;
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  private digestInline(job: DigestJob): void {
    const body = job.body;
    job.deflated = undefined;
    if (job.deflate && body.length > 0) {
      this.deflater ??= new ReusableDeflater(this.level);
      if (this.scratch.length < body.length)
        this.scratch = Buffer.allocUnsafe(Math.max(body.length, 64 * 1024));
      const written = this.deflater.deflateInto(body, this.scratch, 0, body.length);
      if (written > 0 && written * MAX_COMPRESSION_RATIO >= body.length)
        job.deflated = Buffer.from(this.scratch.subarray(0, written));
    }
    job.crc32 = crc32(body);
    job.digest = sha256(body);
    job.digestAt = 0;
    job.done = true;
    job.batch = undefined;
  }

  private startWorkers(): void {
    this.workers = Array.from({ length: this.workerCount }, () => this.startWorker());
  }

  private leastLoaded(): PoolWorker {
    return this.workers!.reduce((least, candidate) =>
      candidate.pendingBytes < least.pendingBytes ? candidate : least,
    );
  }

  private sendBatch(): void {
    const batch = this.batch;
    if (batch.jobs.length === 0 || this.workers === undefined) return;
    this.batch = { jobs: [], bytes: 0, settled: undefined };
    const jobs = batch.jobs;
    const target = this.leastLoaded();
    const offsets = new Array<number>(jobs.length + 1);
    const deflate = new Array<boolean>(jobs.length);
    // One copy into a buffer of our own, transferred rather than cloned (and back, holding the deflated bodies).
    const packed = new Uint8Array(batch.bytes);
    let at = 0;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      offsets[i] = at;
      packed.set(job.body, at);
      at += job.body.length;
      deflate[i] = job.deflate;
    }
    offsets[jobs.length] = at;
    const id = this.nextMessageId++;
    batch.settled = new Promise<void>((resolve, reject) => {
      target.batches.set(id, { jobs, resolve, reject });
    });
    batch.settled.catch(() => undefined);
    target.pendingBytes += at;
    const request: BatchRequest = { type: 'batch', id, packed, offsets, deflate, level: this.level };
    target.worker.postMessage(request, [packed.buffer]);
  }

  private startWorker(): PoolWorker {
    // No inherited execArgv: the worker source is plain CommonJS and needs no loader (such as tsx's hooks).
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      resourceLimits: WORKER_RESOURCE_LIMITS,
    });
    // The archive's consumer may abandon it; idle workers must not keep the process alive.
    worker.unref();
    const pooled: PoolWorker = { worker, batches: new Map(), hashes: new Map(), pendingBytes: 0 };
    worker.on('message', (reply: BatchReply | HashReply) => {
      if (reply.type === 'hash') this.onHashReply(pooled, reply);
      else this.onBatchReply(pooled, reply);
    });
    worker.on('error', (error) => {
      this.failWith(error);
    });
    worker.on('exit', (code) => {
      if (pooled.batches.size > 0 || pooled.hashes.size > 0)
        this.failWith(new Error(`A chatbook writer worker exited with code ${code}.`));
    });
    return pooled;
  }

  private onBatchReply(pooled: PoolWorker, reply: BatchReply): void {
    const pending = pooled.batches.get(reply.id);
    if (!pending) return;
    pooled.batches.delete(reply.id);
    const output = Buffer.from(reply.output.buffer, reply.output.byteOffset, reply.output.byteLength);
    const { jobs } = pending;
    const digests = Buffer.from(reply.digests.buffer, reply.digests.byteOffset, reply.digests.byteLength);
    let at = 0;
    let bytes = 0;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const length = reply.lengths[i]!;
      bytes += job.body.length;
      job.deflated = length >= 0 ? output.subarray(at, at + length) : undefined;
      if (length >= 0) at += length;
      job.crc32 = reply.crcs[i]! >>> 0;
      job.digest = digests;
      job.digestAt = 32 * i;
      job.done = true;
      job.batch = undefined;
    }
    pooled.pendingBytes -= bytes;
    pending.resolve();
  }

  private onHashReply(pooled: PoolWorker, reply: HashReply): void {
    if (reply.slice.buffer.byteLength === HASH_SLICE_BYTES)
      this.freeSlices.push(new Uint8Array(reply.slice.buffer as ArrayBuffer));
    pooled.pendingBytes -= reply.bytes;
    this.hashPendingBytes -= reply.bytes;
    const waiter = this.hashCapacityWaiter;
    this.hashCapacityWaiter = undefined;
    waiter?.();
    if (reply.digest === undefined) return;
    const job = pooled.hashes.get(reply.id);
    pooled.hashes.delete(reply.id);
    job?.resolve(Buffer.from(reply.digest.buffer, reply.digest.byteOffset, reply.digest.byteLength));
  }

  /** A method rather than the field, so that checks after an await are not narrowed away. */
  private currentFailure(): Error | undefined {
    return this.failure;
  }

  private failWith(error: Error): void {
    this.failure ??= error;
    for (const pooled of this.workers ?? []) {
      for (const pending of pooled.batches.values()) pending.reject(error);
      pooled.batches.clear();
      for (const job of pooled.hashes.values()) job.reject(error);
      pooled.hashes.clear();
    }
    const waiter = this.hashCapacityWaiter;
    this.hashCapacityWaiter = undefined;
    waiter?.();
  }
}
