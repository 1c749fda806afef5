/**
 * CRC-32, SHA-256 and raw deflate of in-memory entry bodies. Small archives are processed inline on the
 * main thread; once an archive proves big enough to pay for them, a pool of worker threads takes over, so
 * deflate and hashing run on every core while the main thread assembles and hashes the archive.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32, deflateRawSync } from 'node:zlib';

export interface BodyDigest {
  crc32: number;
  sha256Hex: string;
  /** Raw-deflated body, or undefined when the body is to be stored as is. */
  deflated: Buffer | undefined;
}

/** The import validator rejects entries compressing better than 100:1 (zip-bomb guard); we store those. */
export const MAX_COMPRESSION_RATIO = 100;

/**
 * The deflate window and hash sized to the body: same output for small bodies (no match can reach further
 * back than the body's start), but much cheaper to set up per entry.
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

function digestInline(body: Buffer, deflate: boolean, level: number): BodyDigest {
  let deflated: Buffer | undefined;
  if (deflate && body.length > 0) {
    const candidate = deflateRawSync(body, deflateOptions(level, body.length));
    if (candidate.length < body.length && candidate.length * MAX_COMPRESSION_RATIO >= body.length)
      deflated = candidate;
  }
  return { crc32: crc32(body), sha256Hex: createHash('sha256').update(body).digest('hex'), deflated };
}

/** Worker source, evaluated as CommonJS so it needs no loader or bundler support. Mirrors digestInline. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { crc32, deflateRawSync } = require('node:zlib');
parentPort.on('message', ({ id, packed, offsets, deflate, level }) => {
  const source = Buffer.from(packed);
  const count = offsets.length - 1;
  const crcs = new Array(count), hashes = new Array(count), lengths = new Array(count), outputs = [];
  let outputBytes = 0;
  for (let i = 0; i < count; i++) {
    const body = source.subarray(offsets[i], offsets[i + 1]);
    crcs[i] = crc32(body);
    hashes[i] = createHash('sha256').update(body).digest('hex');
    lengths[i] = -1;
    if (deflate[i] && body.length > 0) {
      const bits = Math.ceil(Math.log2(body.length + 262));
      const out = deflateRawSync(body, { level, windowBits: Math.min(15, Math.max(9, bits)), memLevel: Math.min(8, Math.max(4, bits - 6)) });
      if (out.length < body.length && out.length * ${MAX_COMPRESSION_RATIO} >= body.length) {
        lengths[i] = out.length; outputs.push(out); outputBytes += out.length;
      }
    }
  }
  const output = new Uint8Array(outputBytes);
  let at = 0;
  for (const out of outputs) { output.set(out, at); at += out.length; }
  parentPort.postMessage({ id, crcs, hashes, lengths, output }, [output.buffer]);
});
`;

interface BatchRequest {
  id: number;
  packed: Uint8Array;
  offsets: number[];
  deflate: boolean[];
  level: number;
}

interface BatchReply {
  id: number;
  crcs: number[];
  hashes: string[];
  lengths: number[];
  output: Uint8Array;
}

interface Job {
  body: Buffer;
  deflate: boolean;
  resolve: (digest: BodyDigest) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: Map<number, Job[]>;
}

/** Bodies per message and bytes per message: big enough to amortise messaging, small enough to spread. */
const BATCH_MAX_JOBS = 256;
const BATCH_MAX_BYTES = 512 * 1024;
/** Below this much input an archive is cheaper to process inline than to start workers for. */
const INLINE_BYTES = 2 * 1024 * 1024;
const INLINE_JOBS = 500;

export class BodyProcessor {
  private readonly level: number;
  private readonly workerCount: number;
  private workers: PoolWorker[] | undefined;
  private batch: Job[] = [];
  private batchBytes = 0;
  private nextBatchId = 0;
  private submittedBytes = 0;
  private submittedJobs = 0;
  private failure: Error | undefined;

  constructor(level: number, workerCount = Math.min(4, Math.max(1, availableParallelism()))) {
    this.level = level;
    this.workerCount = workerCount;
  }

  digest(body: Buffer, deflate: boolean): Promise<BodyDigest> {
    if (this.failure) return Promise.reject(this.failure);
    this.submittedBytes += body.length;
    this.submittedJobs++;
    if (this.workers === undefined) {
      if (this.submittedBytes <= INLINE_BYTES && this.submittedJobs <= INLINE_JOBS) {
        try {
          return Promise.resolve(digestInline(body, deflate, this.level));
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
      this.workers = Array.from({ length: this.workerCount }, () => this.startWorker());
    }
    return new Promise<BodyDigest>((resolve, reject) => {
      this.batch.push({ body, deflate, resolve, reject });
      this.batchBytes += body.length;
      if (this.batch.length >= BATCH_MAX_JOBS || this.batchBytes >= BATCH_MAX_BYTES) this.flush();
    });
  }

  /** Sends the partly filled batch, so that a caller about to await one of its results is not stuck. */
  flush(): void {
    if (this.batch.length === 0 || this.workers === undefined) return;
    const jobs = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const target = this.workers.reduce((least, candidate) =>
      candidate.inFlight.size < least.inFlight.size ? candidate : least,
    );
    const offsets = [0];
    for (const job of jobs) offsets.push(offsets[offsets.length - 1]! + job.body.length);
    // One copy into a buffer of our own, transferred rather than cloned.
    const packed = new Uint8Array(offsets[offsets.length - 1]!);
    jobs.forEach((job, index) => {
      packed.set(job.body, offsets[index]);
    });
    const id = this.nextBatchId++;
    target.inFlight.set(id, jobs);
    const request: BatchRequest = {
      id,
      packed,
      offsets,
      deflate: jobs.map((job) => job.deflate),
      level: this.level,
    };
    target.worker.postMessage(request, [packed.buffer]);
  }

  async close(): Promise<void> {
    const workers = this.workers ?? [];
    this.workers = undefined;
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  private startWorker(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // The archive's consumer may abandon it; idle workers must not keep the process alive.
    worker.unref();
    const pooled: PoolWorker = { worker, inFlight: new Map() };
    worker.on('message', (reply: BatchReply) => {
      const jobs = pooled.inFlight.get(reply.id);
      if (!jobs) return;
      pooled.inFlight.delete(reply.id);
      const output = Buffer.from(reply.output.buffer, reply.output.byteOffset, reply.output.byteLength);
      let at = 0;
      jobs.forEach((job, index) => {
        const length = reply.lengths[index]!;
        const deflated = length >= 0 ? output.subarray(at, at + length) : undefined;
        if (length >= 0) at += length;
        job.resolve({ crc32: reply.crcs[index]!, sha256Hex: reply.hashes[index]!, deflated });
      });
    });
    worker.on('error', (error) => {
      this.failWith(error);
    });
    worker.on('exit', (code) => {
      if (pooled.inFlight.size > 0)
        this.failWith(new Error(`A chatbook writer worker exited with code ${code}.`));
    });
    return pooled;
  }

  private failWith(error: Error): void {
    this.failure ??= error;
    for (const pooled of this.workers ?? []) {
      for (const jobs of pooled.inFlight.values()) for (const job of jobs) job.reject(error);
      pooled.inFlight.clear();
    }
    for (const job of this.batch) job.reject(error);
    this.batch = [];
  }
}
