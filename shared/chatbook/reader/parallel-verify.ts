/**
 * The validation pass's small entries, inflated and checked on a worker thread while the main thread parses
 * the manifest and checks local headers. On an archive of 100,000 small files, inflating them one by one costs
 * about what `unzip -t` takes for the whole archive (zlib builds Huffman tables per entry); on a second core it
 * overlaps the manifest's JSON parse and schema check.
 *
 * The main thread stays in charge: it reads the archive (the worker never sees the source, which may be S3),
 * checks each local header, and copies the compressed bytes of a run of entries into a job. The worker inflates
 * each with the declared size as a hard cap, checks size and CRC-32, optionally computes SHA-256, and sends back
 * the bytes to keep. When the worker is behind, the main thread verifies entries itself (the same checks, in
 * entry-data.ts): the pass shares its work instead of waiting. Results are applied in file order, and a failure
 * becomes the same rejection the inline path throws.
 */
import { Worker } from 'node:worker_threads';
import { asError } from '../../errors';
import { dataFailure } from './entry-data';
import type { DataFailureKind } from './entry-data';
import { METHOD_STORED } from './zip-format';
import type { ZipEntry } from './zip-format';

/** A job's compressed input: large enough to amortize a message, small enough to share work finely. */
const JOB_INPUT_BYTES = 512 * 1024;
const JOB_MAX_ENTRIES = 2048;
/** Jobs queued on the worker beyond which the main thread verifies entries itself. */
const MAX_QUEUED_JOBS = 2;
const META_FIELDS = 6;
const FLAG_KEEP = 1;
const FLAG_HASH = 2;
const EMPTY = Buffer.alloc(0);
const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

/**
 * CommonJS run with `eval: true`: a Lambda bundle has no separate worker file to load. It mirrors the inline
 * path (entry-data.ts: ReusableInflater, verifySmall); keep the two in step.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const completed = new Int32Array(workerData.completed);
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => crypto.createHash('sha256').update(data).digest();
let stream, handle, state, usable = true;
function openHandle() {
  stream = zlib.createInflateRaw();
  stream.on('error', () => undefined);
  handle = stream._handle;
  state = stream._writeState;
  if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array)) {
    usable = false;
    stream.destroy();
    stream = undefined;
  }
}
// Bytes written (capacity: it did not fit), or -2 when the data cannot be inflated.
function inflateInto(input, at, length, output, outAt, capacity) {
  if (usable && !stream) openHandle();
  if (usable) {
    handle.reset();
    handle.writeSync(zlib.constants.Z_FINISH, input, at, length, output, outAt, capacity);
    if (stream.destroyed) { stream = undefined; return -2; }
    return capacity - state[0];
  }
  try {
    return zlib.inflateRawSync(input.subarray(at, at + length), { maxOutputLength: capacity }).copy(output, outAt);
  } catch (error) {
    return error && error.code === 'ERR_BUFFER_TOO_LARGE' ? capacity : -2;
  }
}
(() => {
  const sample = Buffer.from('chatbook reader worker self-test '.repeat(8));
  const out = Buffer.alloc(sample.length + 1);
  try {
    const packed = zlib.deflateRawSync(sample);
    if (inflateInto(packed, 0, packed.length, out, 0, out.length) !== sample.length || !out.subarray(0, sample.length).equals(sample)) usable = false;
  } catch { usable = false; }
  if (!usable) stream = undefined;
})();
let scratch = Buffer.allocUnsafe(64 * 1024);
parentPort.on('message', ({ id, input, meta, count, keptBytes }) => {
  const source = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const output = keptBytes > 0 ? Buffer.allocUnsafeSlow(keptBytes + 1) : undefined;
  const offsets = new Int32Array(count).fill(-1);
  let digests;
  let used = 0;
  let failure;
  for (let i = 0; i < count; i++) {
    const m = i * ${META_FIELDS};
    const at = meta[m], compressedSize = meta[m + 1], size = meta[m + 2], method = meta[m + 3], crc = meta[m + 4], flags = meta[m + 5];
    const keep = (flags & ${FLAG_KEEP}) !== 0 && size > 0;
    let bytes;
    if (method === ${METHOD_STORED}) {
      if (compressedSize > size) { failure = { index: i, kind: 'too_large', actual: compressedSize }; break; }
      if (compressedSize !== size) { failure = { index: i, kind: 'size', actual: compressedSize }; break; }
      bytes = source.subarray(at, at + compressedSize);
    } else {
      let target = output, targetAt = used;
      if (!keep) {
        if (scratch.length < size + 1) scratch = Buffer.allocUnsafe(size + 1);
        target = scratch;
        targetAt = 0;
      }
      const written = inflateInto(source, at, compressedSize, target, targetAt, size + 1);
      if (written === -2) { failure = { index: i, kind: 'damaged', actual: 0 }; break; }
      if (written > size) { failure = { index: i, kind: 'too_large', actual: written }; break; }
      if (written !== size) { failure = { index: i, kind: 'size', actual: written }; break; }
      bytes = target.subarray(targetAt, targetAt + written);
    }
    if ((zlib.crc32(bytes) >>> 0) !== crc) { failure = { index: i, kind: 'crc', actual: size }; break; }
    if ((flags & ${FLAG_HASH}) !== 0) {
      digests ??= new Uint8Array(32 * count);
      digests.set(sha256(bytes), 32 * i);
    }
    if (keep) {
      if (method === ${METHOD_STORED}) bytes.copy(output, used);
      offsets[i] = used;
      used += size;
    }
  }
  const transfer = [offsets.buffer, input.buffer];
  if (output) transfer.push(output.buffer);
  if (digests) transfer.push(digests.buffer);
  Atomics.add(completed, 0, 1);
  parentPort.postMessage({ id, output, offsets, digests, failure, input }, transfer);
});
`;

interface JobRequest {
  id: number;
  input: Uint8Array;
  meta: Float64Array;
  count: number;
  keptBytes: number;
}

interface JobReply {
  id: number;
  output: Uint8Array | undefined;
  offsets: Int32Array;
  digests: Uint8Array | undefined;
  failure: { index: number; kind: DataFailureKind; actual: number } | undefined;
  /** The job's input buffer, sent back for reuse. */
  input: Uint8Array;
}

interface Job {
  entries: ZipEntry[];
  reply: JobReply | undefined;
  settled: Promise<void>;
}

/**
 * One verified entry: when kept, its bytes are output[at, + uncompressed size) (no view is made per entry: most
 * are kept until items() hands them out); its raw SHA-256 when asked for.
 */
export type VerifiedEntryHandler = (
  entry: ZipEntry,
  output: Buffer | undefined,
  at: number,
  digest: Buffer | undefined,
) => void;

export class ParallelVerifier {
  private readonly worker: Worker;
  private readonly completed = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Map<
    number,
    { resolve: (reply: JobReply) => void; reject: (error: Error) => void }
  >();
  /** Posted jobs not yet applied, in file order. */
  private readonly inFlight: Job[] = [];
  private posted = 0;
  private nextId = 0;
  private failure: Error | undefined;
  private firstFailure: Error | undefined;
  /** Entries left to verify inline before asking the worker again. */
  private inlineBytesLeft = 0;
  private readonly freeInputs: Uint8Array<ArrayBuffer>[] = [];
  // The job being filled.
  private window: Buffer = EMPTY;
  private spanStart = 0;
  private spanEnd = 0;
  private readonly meta = new Float64Array(JOB_MAX_ENTRIES * META_FIELDS);
  private entries: ZipEntry[] = [];
  private keptBytes = 0;

  constructor() {
    // No inherited execArgv: the worker source is plain CommonJS and needs no loader (such as tsx's hooks).
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      resourceLimits: WORKER_RESOURCE_LIMITS,
      workerData: { completed: this.completed.buffer },
    });
    // An abandoned validation must not keep the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: JobReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    this.worker.on('error', (error) => {
      this.fail(error);
    });
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0)
        this.fail(new Error(`The chatbook reader's worker exited with code ${code}.`));
    });
  }

  /** Jobs the worker has not finished yet (read without a trip through the event loop). */
  get queuedJobs(): number {
    return this.posted - Atomics.load(this.completed, 0);
  }

  /**
   * Whether this entry goes to the worker (then `add` it) or is verified inline. Decided per run of entries:
   * a job being filled takes the entry; otherwise the worker gets the next run if it is not behind, and the
   * main thread takes a job's worth itself if it is.
   */
  takes(entry: ZipEntry): boolean {
    if (this.entries.length > 0) return true;
    if (this.inlineBytesLeft > 0) {
      this.inlineBytesLeft -= Math.max(1, entry.compressedSize);
      return false;
    }
    if (this.queuedJobs < MAX_QUEUED_JOBS) return true;
    this.inlineBytesLeft = JOB_INPUT_BYTES - Math.max(1, entry.compressedSize);
    return false;
  }

  /**
   * Queues an entry whose compressed bytes are window[at, + compressed size) and whose local header has been
   * checked. Entries of a job share one window: the job copies the span they cover once, when it is sent, not
   * each entry's bytes. `keep` asks for the inflated bytes back, `hash` for their SHA-256.
   */
  add(entry: ZipEntry, window: Buffer, at: number, keep: boolean, hash: boolean): void {
    if (
      this.entries.length > 0 &&
      (window !== this.window || at + entry.compressedSize - this.spanStart > JOB_INPUT_BYTES)
    )
      this.flush();
    if (this.entries.length === 0) {
      this.window = window;
      this.spanStart = at;
    }
    const m = this.entries.length * META_FIELDS;
    const meta = this.meta;
    meta[m] = at - this.spanStart;
    meta[m + 1] = entry.compressedSize;
    meta[m + 2] = entry.uncompressedSize;
    meta[m + 3] = entry.method;
    meta[m + 4] = entry.crc32 >>> 0;
    meta[m + 5] = (keep ? FLAG_KEEP : 0) | (hash ? FLAG_HASH : 0);
    this.spanEnd = at + entry.compressedSize;
    if (keep) this.keptBytes += entry.uncompressedSize;
    this.entries.push(entry);
    if (this.entries.length >= JOB_MAX_ENTRIES) this.flush();
  }

  /** Sends the job being filled, if any. */
  flush(): void {
    const count = this.entries.length;
    if (count === 0) return;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const span = this.spanEnd - this.spanStart;
    const input = this.takeInput(span);
    this.window.copy(input, 0, this.spanStart, this.spanEnd);
    const meta = this.meta.slice(0, count * META_FIELDS);
    const job: Job = { entries: this.entries, reply: undefined, settled: Promise.resolve() };
    job.settled = new Promise<JobReply>((resolve, reject) => this.pending.set(id, { resolve, reject })).then(
      (reply) => {
        job.reply = reply;
      },
    );
    // A worker failure rejects it; drain() is where that is seen.
    job.settled.catch(() => undefined);
    const request: JobRequest = { id, input, meta, count, keptBytes: this.keptBytes };
    this.worker.postMessage(request, [input.buffer, meta.buffer]);
    this.posted++;
    this.inFlight.push(job);
    this.entries = [];
    this.keptBytes = 0;
    this.window = EMPTY;
  }

  /** Applies the jobs already answered, in order, without waiting; throws the first failure. */
  applyAnswered(onVerified: VerifiedEntryHandler): void {
    while (this.inFlight.length > 0 && this.inFlight[0]!.reply)
      this.apply(this.inFlight.shift()!, onVerified);
  }

  /** Sends what is being filled, waits for every job and applies them in order; throws the first failure. */
  async drain(onVerified: VerifiedEntryHandler): Promise<void> {
    if (this.firstFailure !== undefined) throw this.firstFailure;
    this.flush();
    while (this.inFlight.length > 0) {
      const job = this.inFlight[0]!;
      if (!job.reply) await job.settled;
      this.inFlight.shift();
      this.apply(job, onVerified);
    }
  }

  async close(): Promise<void> {
    this.pending.clear();
    await this.worker.terminate();
  }

  private apply(job: Job, onVerified: VerifiedEntryHandler): void {
    // Once a job has failed (in the worker, or in what its results were checked against), that is the first
    // failure in file order: every later drain answers with it.
    if (this.firstFailure !== undefined) throw this.firstFailure;
    const reply = job.reply!;
    if (reply.input.buffer.byteLength >= JOB_INPUT_BYTES && this.freeInputs.length < MAX_QUEUED_JOBS + 1)
      // Transferred back and forth, never shared: a plain ArrayBuffer.
      this.freeInputs.push(new Uint8Array(reply.input.buffer as ArrayBuffer));
    const output = reply.output
      ? Buffer.from(reply.output.buffer, reply.output.byteOffset, reply.output.byteLength)
      : undefined;
    const digests = reply.digests
      ? Buffer.from(reply.digests.buffer, reply.digests.byteOffset, reply.digests.byteLength)
      : undefined;
    const verified = reply.failure ? reply.failure.index : job.entries.length;
    try {
      for (let i = 0; i < verified; i++) {
        const at = reply.offsets[i]!;
        onVerified(job.entries[i]!, at >= 0 ? output : undefined, at, digests?.subarray(32 * i, 32 * i + 32));
      }
      if (reply.failure) {
        const failed = job.entries[reply.failure.index]!;
        throw dataFailure(failed, reply.failure.kind, reply.failure.actual);
      }
    } catch (error) {
      this.firstFailure = asError(error);
      throw this.firstFailure;
    }
  }

  /** A buffer of exactly `length` bytes over an ArrayBuffer of its own (it is transferred). */
  private takeInput(length: number): Uint8Array<ArrayBuffer> {
    const free = this.freeInputs.pop();
    if (free && free.buffer.byteLength >= length) return new Uint8Array(free.buffer, 0, length);
    return new Uint8Array(new ArrayBuffer(Math.max(length, JOB_INPUT_BYTES)), 0, length);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** Whether a pass over these entries is worth a worker: enough small entries that inflating them dominates. */
export function worthAWorker(smallEntries: number, smallCompressedBytes: number): boolean {
  return smallEntries >= 2000 || smallCompressedBytes >= 16 * 1024 * 1024;
}
