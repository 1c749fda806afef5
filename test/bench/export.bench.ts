/**
 * Export bench: a whole-library export through the local cloud on the `large` seed (~10,400 items, ~700 MB of
 * files), the archive step alone in its own process, and the writer alone on the same entries from local disk.
 *
 *   npm run bench -- export        (or: node --openssl-legacy-provider --import tsx test/bench/export.bench.ts)
 *
 * 1. End to end: a local cloud runs in a child process (under tsx, as `npm start` runs it) on a persistent data
 *    folder (BENCH_CLOUD_DIR, default .local/bench-cloud), seeded once for the user `bench` (a marker file
 *    skips it later). POST /export selects every type whole with media and embeddings, async; the job is
 *    followed to its end, downloaded through the 302 (size and SHA-256 checked) and opened with the format
 *    reader. Its peak RSS is the cloud process's: s3rver, dynalite, the Step Functions emulator and every
 *    Lambda's worker thread share it. When the whole library is refused (422, e.g. export_manifest_too_large),
 *    that is reported and the bench splits it by type into exports run one after another, as the message
 *    suggests; the figures are then the sums over the parts.
 * 2. Archive step alone: a child process (the esbuild bundle, as a Lambda runs) builds the real adapters on the
 *    cloud's emulators, plans the same export, creates an in_progress job and runs writeArchive (library rows
 *    and files from dynalite/s3rver, multipart upload to s3rver). BENCH_CPU_PROF=<dir> profiles it.
 * 3. Writer alone: the downloaded archive's entries are extracted to disk once; a child streams them (read
 *    whole, in archive order, as the writer bench does) with the archive's own manifest through writeChatbook
 *    to /dev/null. No S3, no DynamoDB, no item encoding. Its archive is 16 bytes per file smaller than the
 *    export's: whole buffers need no data descriptor, streamed files (from S3) do.
 *
 * Benchmarks report; they do not assert. The targets (issue 4): ≥ 20 MB/s end to end, ≤ 256 MB peak RSS.
 * BENCH_WORKDIR holds the download and the extracted entries (~1.5 GB; a temp folder by default, removed).
 */
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import type * as CloudModule from '../../infra/local/cloud';
import {
  endpointsOf,
  localClients,
  localLibraryStore,
  seedLibrary,
  type SeedResult,
} from '../../scripts/seed/seed-library';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import { DynamoLibraryStore } from '../../shared/aws/dynamo-library-store';
import { userPrefix } from '../../shared/aws/object-classes';
import { S3ExportObjects } from '../../shared/aws/s3-export-objects';
import { CONTENT_TYPES, type ContentType } from '../../shared/chatbook/layout';
import {
  isArchiveRejection,
  openChatbook,
  openFileSource,
  type ChatbookArchive,
  type ChatbookLimits,
} from '../../shared/chatbook/reader';
import { writeChatbook, type ChatbookEntry } from '../../shared/chatbook/writer';
import { exportRequestSchema, toExportSpec } from '../../shared/exports/export-request';
import {
  archiveFileName,
  DEFAULT_EXPORT_CONFIG,
  exportKeys,
  type ExportJobView,
} from '../../shared/exports/export-service';
import { exportSteps } from '../../shared/exports/export-steps';
import { MANIFEST_BUDGET_BYTES } from '../../shared/exports/plan';
import { systemClock, type Job } from '../../shared/jobs/job';
import { childCommand } from './child';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const BENCH_USER = 'bench';
const SEED_MARKER = 'bench-seeded.json';
const TARGET_MB_PER_S = 20;
const RSS_LIMIT_MB = 256;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 2));
const POLL_MS = 500;
const MB = 1e6;
/** tldw's default upload limits would refuse an archive this size; the bench raises the byte limits only. */
const GIB = 1024 * 1024 * 1024;
const BYTE_LIMITS: Partial<ChatbookLimits> = {
  maxArchiveBytes: 8 * GIB,
  maxUncompressedBytes: 8 * GIB,
  maxEntryBytes: 8 * GIB,
};

type ExportBody = Record<string, unknown>;

/** What POST /export gets: the given types whole (every type by default), with media and embeddings, async. */
function exportBody(types: readonly ContentType[] = CONTENT_TYPES, name = 'Bench export'): ExportBody {
  return {
    name,
    description: 'Items of the large seed, with media and embeddings',
    selection: Object.fromEntries(types.map((type) => [type, 'all'])),
    include_media: true,
    include_embeddings: true,
    async: true,
  };
}

/** One export of the bench: the whole library, or one of the parts it is split into when that is refused. */
interface Part {
  label: string;
  types: readonly ContentType[];
  body: ExportBody;
}

/**
 * Splits the library by type into exports whose manifests fit (greedy on item counts; media and embeddings
 * stay together, since include_embeddings brings a media item's embeddings along anyway).
 */
function splitByType(counts: Readonly<Record<ContentType, number>>, estimatedManifestBytes: number): Part[] {
  const groups = Math.max(2, Math.ceil(estimatedManifestBytes / (0.75 * MANIFEST_BUDGET_BYTES)));
  const units: ContentType[][] = CONTENT_TYPES.filter((type) => type !== 'embedding').map((type) =>
    type === 'media' ? ['media', 'embedding'] : [type],
  );
  const size = (unit: readonly ContentType[]) => unit.reduce((sum, type) => sum + counts[type], 0);
  units.sort((a, b) => size(b) - size(a));
  const parts: ContentType[][] = Array.from({ length: groups }, () => []);
  for (const unit of units) {
    const smallest = parts.reduce((best, part) => (size(part) < size(best) ? part : best));
    smallest.push(...unit);
  }
  return parts.map((types, index) => ({
    label: `part ${index + 1}/${groups} (${types.join(', ')}; ${size(types)} items)`,
    types,
    body: exportBody(types, `Bench export part ${index + 1} of ${groups}`),
  }));
}

class ExportRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly details: Record<string, unknown>,
    message: string,
  ) {
    super(`POST /export answered ${status} ${code}: ${message}`);
  }
}

interface CloudReady {
  type: 'ready';
  url: string;
  token: string;
  aws: CloudModule.LocalCloud['aws'];
  resources: CloudModule.LocalCloud['resources'];
}

/** A process's memory and CPU, from /proc (VmHWM is reset on 'mark') and process.cpuUsage(). */
interface Usage {
  rssKb: number;
  peakKb: number;
  cpuMicros: number;
}

type CloudCommand = 'mark' | 'usage' | 'stop';

function usage(): Usage {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  const cpu = process.cpuUsage();
  return { rssKb: field('VmRSS'), peakKb: field('VmHWM'), cpuMicros: cpu.user + cpu.system };
}

// ---------------------------------------------------------------------------------------------------------
// Child: the local cloud

/** Runs the local cloud (under tsx); answers 'mark' (usage, then reset the peak), 'usage' and 'stop' over IPC. */
async function cloudChild(dataDir: string): Promise<void> {
  // Not bundled into the other children: they never start a cloud.
  const cloudModule = new URL('../../infra/local/cloud.ts', import.meta.url).href;
  const { startLocalCloud } = (await import(cloudModule)) as typeof CloudModule;
  const cloud = await startLocalCloud({ port: 0, dataDir, schedules: false });
  const send = (message: unknown) => process.send?.(message);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= cloud.stop());
  // A signal, or the bench process gone (the IPC channel closes): stop cleanly so dynalite's data is flushed.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(0));
    });
  }
  process.once('disconnect', () => {
    void stop();
  });
  process.on('message', (command: CloudCommand) => {
    if (command === 'stop') {
      void stop().then(() => {
        send(usage());
        process.disconnect();
      });
      return;
    }
    const now = usage();
    // Resets VmHWM (and ru_maxrss) to the current RSS, so the next peak is that of what follows.
    if (command === 'mark') writeFileSync('/proc/self/clear_refs', '5');
    send(now);
  });
  const ready: CloudReady = {
    type: 'ready',
    url: cloud.url,
    token: cloud.token({ userId: BENCH_USER, ttlSeconds: 12 * 3600 }),
    aws: cloud.aws,
    resources: cloud.resources,
  };
  send(ready);
}

class CloudProcess {
  private readonly waiting: ((usage: Usage) => void)[] = [];
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly info: CloudReady,
  ) {
    child.on('message', (message: Usage) => this.waiting.shift()?.(message));
    this.exited = new Promise((resolveExit) =>
      child.once('exit', () => {
        resolveExit();
      }),
    );
  }

  /** Its output (function logs) goes to <dataDir>/bench-cloud.log. */
  static async start(dataDir: string): Promise<CloudProcess> {
    mkdirSync(dataDir, { recursive: true });
    const logFd = openSync(join(dataDir, 'bench-cloud.log'), 'w');
    const child = spawn(
      process.execPath,
      ['--openssl-legacy-provider', '--import', 'tsx', self, '--cloud', dataDir],
      { stdio: ['ignore', logFd, logFd, 'ipc'], cwd: PROJECT_ROOT },
    );
    closeSync(logFd);
    const info = await new Promise<CloudReady>((resolveReady, reject) => {
      child.once('message', (message: CloudReady) => {
        resolveReady(message);
      });
      child.once('exit', (code) => {
        reject(new Error(`the local cloud exited with ${code} before it was ready`));
      });
    });
    return new CloudProcess(child, info);
  }

  private ask(command: CloudCommand): Promise<Usage> {
    return new Promise((resolveUsage, reject) => {
      this.waiting.push(resolveUsage);
      this.child.send(command, (error) => {
        if (error) reject(error);
      });
    });
  }

  /** Usage now; the peak restarts from here. */
  mark(): Promise<Usage> {
    return this.ask('mark');
  }

  usage(): Promise<Usage> {
    return this.ask('usage');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await Promise.race([this.ask('stop'), this.exited]);
    await this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child: the archive step alone

interface StepConfig {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  s3Endpoint: string;
  dynamodbEndpoint: string;
  bucket: string;
  libraryTable: string;
  jobsTable: string;
  userId: string;
  body: ExportBody;
  phase: 'prepare' | 'archive';
  /** The job Prepare created (archive phase). */
  jobId?: string;
}

interface PrepareResult {
  jobId: string;
  planSeconds: number;
  rssKb: number;
}

interface StepResult {
  planSeconds: number;
  seconds: number;
  cpuSeconds: number;
  /** Peak RSS of the Prepare step's own process (planning). */
  rssBeforeKb: number;
  rssKb: number;
  items: number;
  processedBytes: number;
  archiveBytes: number;
  sha256: string;
}

/**
 * The export workflow's steps as Lambdas run them, each in its own process with the real adapters on the local
 * cloud's emulators: `prepare` creates the pending job and runs Prepare (plan into S3); `archive` runs Archive
 * (reads the plan, streams the chatbook into a multipart upload). Each reports its own peak RSS.
 */
async function archiveStepChild(config: StepConfig): Promise<void> {
  const { documents, s3, close } = localClients(config);
  const jobs = new DynamoJobStore(documents, config.jobsTable);
  const deps = {
    jobs,
    clock: systemClock,
    library: new DynamoLibraryStore(documents, config.libraryTable, s3, config.bucket),
    objects: new S3ExportObjects(s3, config.bucket),
    config: DEFAULT_EXPORT_CONFIG,
  };
  const spec = toExportSpec(exportRequestSchema.parse(config.body));
  let result: StepResult | PrepareResult;
  if (config.phase === 'prepare') {
    const now = new Date().toISOString();
    const jobId = randomUUID();
    const fileName = archiveFileName(spec.name);
    const job: Job = {
      userId: config.userId,
      jobId,
      kind: 'export',
      status: 'pending',
      name: spec.name,
      createdAt: now,
      updatedAt: now,
      totalItems: 0,
      processedItems: 0,
      events: [{ at: now, step: 'bench', status: 'pending' }],
      request: spec as unknown as Record<string, unknown>,
      archive: {
        key: exportKeys(config.userId, jobId, fileName).archive,
        fileName,
        formatVersion: spec.formatVersion,
      },
    };
    await jobs.create(job);
    const started = performance.now();
    await exportSteps.prepare(deps, { userId: config.userId, jobId });
    result = {
      jobId,
      planSeconds: (performance.now() - started) / 1000,
      rssKb: process.resourceUsage().maxRSS,
    };
  } else {
    const input = { userId: config.userId, jobId: config.jobId ?? '' };
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await exportSteps.archive(deps, input);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const done = await jobs.get({ ...input, kind: 'export' });
    result = {
      planSeconds: 0,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rssBeforeKb: 0,
      rssKb: process.resourceUsage().maxRSS,
      items: done?.processedItems ?? 0,
      processedBytes: done?.processedBytes ?? 0,
      archiveBytes: done?.archive?.sizeBytes ?? 0,
      sha256: done?.archive?.sha256 ?? '',
    };
  }
  close();
  console.log(JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------------------
// Child: the writer alone

interface ListedEntry {
  path: string;
  ids: string[];
}

interface WriterResult {
  seconds: number;
  cpuSeconds: number;
  rssKb: number;
  archiveBytes: number;
  inputBytes: number;
}

/** Streams the extracted entries, in archive order, with the archive's manifest through writeChatbook. */
async function writerChild(dir: string, outPath: string): Promise<void> {
  const listing = JSON.parse(readFileSync(join(dir, 'listing.json'), 'utf8')) as ListedEntry[];
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  let inputBytes = 0;
  // Read whole and synchronously, one at a time, as the writer bench reads its sets (media files are ≤ 8 MB).
  async function* entries(): AsyncGenerator<ChatbookEntry> {
    for (const entry of listing) {
      const body = readFileSync(join(dir, 'files', entry.path));
      inputBytes += body.length;
      yield await Promise.resolve({ path: entry.path, body, contentItemIds: entry.ids });
    }
  }
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { stream, result } = writeChatbook({ manifest, version: '1.1.0', entries: entries() });
  await pipeline(stream, createWriteStream(outPath));
  const written = await result;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const measured: WriterResult = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssKb: process.resourceUsage().maxRSS,
    archiveBytes: written.archiveBytes,
    inputBytes,
  };
  console.log(JSON.stringify(measured));
}

// ---------------------------------------------------------------------------------------------------------
// Parent

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

function log(message: string): void {
  console.log(`[export] ${message}`);
}

/** Runs a bench child (the bundle) without blocking the event loop; resolves with its last stdout line. */
async function runChild<T>(args: string[], extraNodeArgs: string[] = []): Promise<T> {
  const command = childCommand(self, args);
  const child = spawn(command.command, [...extraNodeArgs, ...command.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: PROJECT_ROOT,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  if (code !== 0) throw new Error(`${args[0]} exited with ${code}: ${stderr.trim().slice(-2000)}`);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as T;
}

async function seedOnce(cloud: CloudReady, dataDir: string): Promise<SeedResult> {
  const marker = join(dataDir, SEED_MARKER);
  if (existsSync(marker)) {
    const seeded = JSON.parse(readFileSync(marker, 'utf8')) as SeedResult & { seconds: number };
    log(
      `library already seeded (${seeded.items} items, ${(seeded.fileBytes / MB).toFixed(0)} MB of files; ${marker})`,
    );
    return seeded;
  }
  log(`seeding user "${BENCH_USER}" with the large seed (once per data folder)...`);
  const { store, close } = localLibraryStore(endpointsOf(cloud));
  const started = performance.now();
  let lastReport = started;
  try {
    const result = await seedLibrary(store, BENCH_USER, 'large', {
      onProgress: (progress) => {
        const now = performance.now();
        if (now - lastReport < 15_000) return;
        lastReport = now;
        log(
          `  seeded ${progress.items}/${progress.totalItems} items, ` +
            `${(progress.fileBytes / MB).toFixed(0)}/${(progress.totalFileBytes / MB).toFixed(0)} MB`,
        );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    await writeFile(marker, `${JSON.stringify({ at: new Date().toISOString(), seconds, ...result })}\n`);
    log(
      `seeded ${result.items} items, ${result.files} files, ${(result.fileBytes / MB).toFixed(0)} MB of files ` +
        `(${(result.mediaBytes / MB).toFixed(0)} MB media) in ${seconds.toFixed(1)} s (load ${load()})`,
    );
    return result;
  } finally {
    close();
  }
}

/** Removes every export archive of the bench user (earlier runs' archives would fill the data folder). */
async function removeExports(cloud: CloudReady): Promise<void> {
  const s3 = new S3Client({
    region: cloud.aws.region,
    credentials: cloud.aws.credentials,
    endpoint: cloud.aws.s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const prefix = `${userPrefix(BENCH_USER)}chatbooks/`;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: cloud.resources.bucket,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        await s3
          .send(new DeleteObjectCommand({ Bucket: cloud.resources.bucket, Key: object.Key }))
          .catch(() => undefined);
      }
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    s3.destroy();
  }
}

interface EndToEnd {
  job: ExportJobView;
  jobSeconds: number;
  wallSeconds: number;
  cloudPeakMb: number;
  cloudBaseMb: number;
  cloudCpuSeconds: number;
  loadDuring: string;
}

async function endToEnd(cloud: CloudProcess, body: ExportBody): Promise<EndToEnd> {
  const { url, token } = cloud.info;
  const headers = { authorization: `Bearer ${token}` };
  const base = await cloud.mark();
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/chatbooks/export`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 202 && response.status !== 200) {
    const refusal = (await response.json()) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    throw new ExportRefused(
      response.status,
      refusal.error?.code ?? 'unknown',
      refusal.error?.details ?? {},
      refusal.error?.message ?? JSON.stringify(refusal),
    );
  }
  const posted = (await response.json()) as ExportJobView;
  log(
    `POST /export answered ${response.status} in ${((performance.now() - started) / 1000).toFixed(1)} s: job ` +
      `${posted.job_id}, ${posted.total_items} items, ${(posted.total_bytes / MB).toFixed(0)} MB planned`,
  );
  let job = posted;
  let lastReport = performance.now();
  const loads: number[] = [];
  while (job.status === 'pending' || job.status === 'in_progress') {
    await new Promise((resolveWait) => setTimeout(resolveWait, POLL_MS));
    const polled = await fetch(`${url}/api/v1/chatbooks/export/jobs/${posted.job_id}`, { headers });
    if (polled.status !== 200)
      throw new Error(`GET /export/jobs answered ${polled.status}: ${await polled.text()}`);
    job = (await polled.json()) as ExportJobView;
    loads.push(loadavg()[0]!);
    if (performance.now() - lastReport > 15_000) {
      lastReport = performance.now();
      log(
        `  ${job.status} ${job.processed_items}/${job.total_items} items, ` +
          `${(job.processed_bytes / MB).toFixed(0)}/${(job.total_bytes / MB).toFixed(0)} MB (load ${load()})`,
      );
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const after = await cloud.usage();
  const jobSeconds =
    job.started_at && job.completed_at
      ? (Date.parse(job.completed_at) - Date.parse(job.started_at)) / 1000
      : NaN;
  return {
    job,
    jobSeconds,
    wallSeconds,
    cloudPeakMb: after.peakKb / 1024,
    cloudBaseMb: base.rssKb / 1024,
    cloudCpuSeconds: (after.cpuMicros - base.cpuMicros) / 1e6,
    loadDuring: loads.length ? `${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}` : load(),
  };
}

/** GET /download/{id}, follow the 302, stream to `path`; resolves with size, SHA-256 and seconds. */
async function download(
  cloud: CloudReady,
  job: ExportJobView,
  path: string,
): Promise<{ bytes: number; sha256: string; seconds: number }> {
  const redirect = await fetch(`${cloud.url}${job.download_url ?? ''}`, {
    headers: { authorization: `Bearer ${cloud.token}` },
    redirect: 'manual',
  });
  const location = redirect.headers.get('location');
  if (redirect.status !== 302 || !location) {
    throw new Error(
      `GET ${job.download_url ?? '(no download_url)'} answered ${redirect.status}: ${await redirect.text()}`,
    );
  }
  const started = performance.now();
  const object = await fetch(location);
  if (object.status !== 200 || !object.body) throw new Error(`the presigned GET answered ${object.status}`);
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    Readable.fromWeb(object.body as WebReadableStream<Uint8Array>),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(path),
  );
  return { bytes, sha256: hash.digest('hex'), seconds: (performance.now() - started) / 1000 };
}

interface Validation {
  /** With tldw's default limits (an upload of this size is refused on its byte limits). */
  defaultLimits: string;
  /** With the byte limits raised; the 10 MiB manifest, ratio and entry-count limits kept. */
  raisedByteLimits: string;
  contentItems: number;
  manifestBytes: number;
  entries: number;
  inventoryVerified: number;
}

function rejection(error: unknown): string {
  if (isArchiveRejection(error)) return `REJECTED ${error.code}: ${error.message}`;
  return `ERROR ${(error as Error).message}`;
}

/** Opens the archive with the reader (whole validation); extracts its entries for the writer-only case. */
async function validateAndExtract(path: string, extractDir: string): Promise<Validation> {
  const result: Validation = {
    defaultLimits: 'ok',
    raisedByteLimits: 'ok',
    contentItems: 0,
    manifestBytes: 0,
    entries: 0,
    inventoryVerified: 0,
  };
  const first = await openFileSource(path);
  try {
    const archive = await openChatbook(first);
    await archive.close();
  } catch (error) {
    result.defaultLimits = rejection(error);
  } finally {
    await first.close().catch(() => undefined);
  }
  let archive: ChatbookArchive;
  const source = await openFileSource(path);
  try {
    archive = await openChatbook(source, { limits: BYTE_LIMITS });
  } catch (error) {
    await source.close().catch(() => undefined);
    result.raisedByteLimits = rejection(error);
    return result;
  }
  try {
    result.contentItems = archive.manifest.content_items.length;
    result.entries = archive.entries.length;
    result.inventoryVerified = archive.integrity.inventoryVerifiedFiles;
    const manifestText = await archive.readEntry('manifest.json');
    result.manifestBytes = manifestText.length;
    const manifest = JSON.parse(manifestText.toString('utf8')) as Record<string, unknown>;
    const inventory = (manifest.file_inventory ?? []) as { path: string; content_item_ids?: string[] }[];
    const ids = new Map(inventory.map((record) => [record.path, record.content_item_ids ?? []]));
    delete manifest.file_inventory;
    const listing: ListedEntry[] = [];
    const made = new Set<string>();
    for (const entry of archive.entries) {
      if (entry.isDirectory || entry.name === 'manifest.json' || entry.name === 'README.md') continue;
      const target = join(extractDir, 'files', entry.name);
      const folder = dirname(target);
      if (!made.has(folder)) {
        await mkdir(folder, { recursive: true });
        made.add(folder);
      }
      await pipeline(archive.openEntry(entry.name), createWriteStream(target));
      listing.push({ path: entry.name, ids: ids.get(entry.name) ?? [] });
    }
    await writeFile(join(extractDir, 'listing.json'), JSON.stringify(listing));
    await writeFile(join(extractDir, 'manifest.json'), JSON.stringify(manifest));
  } finally {
    await archive.close();
  }
  return result;
}

interface Row {
  name: string;
  seconds: number;
  archiveBytes: number;
  libraryBytes: number;
  peakRssMb: number;
  /** Whose RSS: the child's own, or the whole local cloud's. */
  rssNote: string;
  cpuSeconds: number;
  target: string;
  verdict: string;
}

function printTable(rows: Row[]): void {
  const header = [
    'case',
    'seconds',
    'archive MB/s',
    'library MB/s',
    'CPU s',
    'peak RSS MB',
    'RSS of',
    'target',
    'result',
  ];
  const lines = rows.map((row) => [
    row.name,
    row.seconds.toFixed(1),
    (row.archiveBytes / MB / row.seconds).toFixed(1),
    row.libraryBytes ? (row.libraryBytes / MB / row.seconds).toFixed(1) : '',
    Number.isNaN(row.cpuSeconds) ? '' : row.cpuSeconds.toFixed(1),
    row.peakRssMb.toFixed(0),
    row.rssNote,
    row.target,
    row.verdict,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

interface PartRun {
  part: Part;
  e2e?: EndToEnd;
  validation?: Validation;
  extractDir?: string;
  step?: StepResult & { emulatorCpuSeconds: number; emulatorPeakMb: number };
  writer?: WriterResult & { peakRssKb: number };
}

function sum(runs: PartRun[], value: (run: PartRun) => number): number {
  return runs.reduce((total, run) => total + value(run), 0);
}

/** Runs the export through the API, downloads it, checks it against the job, validates it and extracts it. */
async function exportPart(
  cloud: CloudProcess,
  run: PartRun,
  runDir: string,
  findings: string[],
): Promise<void> {
  const e2e = run.e2e!;
  const { job } = e2e;
  log(
    `${run.part.label}: job ${job.status} in ${e2e.jobSeconds.toFixed(1)} s (started_at → completed_at), ` +
      `${e2e.wallSeconds.toFixed(1)} s from the POST; ${job.processed_items}/${job.total_items} items, ` +
      `${((job.file_size_bytes ?? 0) / MB).toFixed(1)} MB archive, ${(job.processed_bytes / MB).toFixed(1)} MB read; ` +
      `cloud RSS ${e2e.cloudBaseMb.toFixed(0)} MB before, peak ${e2e.cloudPeakMb.toFixed(0)} MB; cloud CPU ` +
      `${e2e.cloudCpuSeconds.toFixed(1)} s; load ${e2e.loadDuring} during`,
  );
  if (job.status !== 'completed') {
    findings.push(
      `END TO END (${run.part.label}): the export ended ${job.status}: ${JSON.stringify(job.error ?? job.error_message)}`,
    );
    run.e2e = undefined;
    return;
  }
  if (job.warnings.length)
    findings.push(`end to end: ${job.warnings.length} warning(s), e.g. ${job.warnings[0]!}`);
  const archivePath = join(runDir, `export-${job.job_id}.chatbook`);
  const got = await download(cloud.info, job, archivePath);
  const same = got.bytes === job.file_size_bytes && got.sha256 === job.sha256;
  log(
    `  downloaded ${(got.bytes / MB).toFixed(1)} MB through the 302 in ${got.seconds.toFixed(1)} s; ` +
      `size and SHA-256 ${same ? 'match the job' : 'DO NOT match the job'}`,
  );
  if (!same) findings.push(`DOWNLOAD: size/SHA-256 differ from the job (${got.bytes} ${got.sha256})`);
  run.extractDir = join(runDir, `extract-${job.job_id}`);
  const validation = await validateAndExtract(archivePath, run.extractDir);
  run.validation = validation;
  await rm(archivePath, { force: true });
  log(
    `  reader with tldw's default limits: ${validation.defaultLimits}\n[export]   reader with the byte limits ` +
      `raised (10 MiB manifest, ratio and entry limits kept): ${validation.raisedByteLimits}; ` +
      `${validation.contentItems} content items (job: ${job.processed_items}), ${validation.entries} entries, ` +
      `${validation.inventoryVerified} inventory records verified, manifest.json ` +
      `${(validation.manifestBytes / 1048576).toFixed(2)} MiB`,
  );
  if (validation.raisedByteLimits !== 'ok')
    findings.push(`ARCHIVE DOES NOT VALIDATE (${run.part.label}): ${validation.raisedByteLimits}`);
  else if (validation.contentItems !== job.processed_items)
    findings.push(
      `ARCHIVE (${run.part.label}) holds ${validation.contentItems} content items, the job says ${job.processed_items}`,
    );
}

async function main(): Promise<void> {
  const dataDir = resolve(PROJECT_ROOT, process.env.BENCH_CLOUD_DIR ?? '.local/bench-cloud');
  const ownWorkdir = process.env.BENCH_WORKDIR === undefined;
  const workdir = process.env.BENCH_WORKDIR ?? (await mkdtemp(join(tmpdir(), 'chatbooks-export-bench-')));
  const runDir = join(workdir, `export-${process.pid}`);
  await mkdir(runDir, { recursive: true });
  log(`load average ${load()} (1, 5, 15 min); ${RUNS} runs of the writer-only case; data folder ${dataDir}`);
  const cloudStarted = performance.now();
  const cloud = await CloudProcess.start(dataDir);
  const findings: string[] = [];
  let runs: PartRun[];
  try {
    log(`local cloud up in ${((performance.now() - cloudStarted) / 1000).toFixed(1)} s at ${cloud.info.url}`);
    const seeded = await seedOnce(cloud.info, dataDir);
    if (seeded.items < 10_000 || seeded.mediaBytes < 500 * MB)
      findings.push(
        `the seed is below the issue's size: ${seeded.items} items, ${(seeded.mediaBytes / MB).toFixed(0)} MB media`,
      );
    await removeExports(cloud.info);

    // 1. End to end: the whole library in one export; split by type when that is refused.
    log(`end to end: POST /export (every type, media and embeddings, async); load ${load()}`);
    const whole: Part = { label: 'whole library', types: CONTENT_TYPES, body: exportBody() };
    try {
      runs = [{ part: whole, e2e: await endToEnd(cloud, whole.body) }];
    } catch (error) {
      if (error instanceof ExportRefused && error.code === 'export_manifest_too_large') {
        findings.push(`WHOLE-LIBRARY EXPORT REFUSED: ${error.message}`);
        const estimate = Number(error.details.estimated_manifest_bytes ?? 0);
        runs = splitByType(seeded.counts, estimate).map((part) => ({ part }));
        log(error.message);
        log(`splitting by type as the message suggests: ${runs.map((run) => run.part.label).join('; ')}`);
        for (const run of runs) {
          try {
            run.e2e = await endToEnd(cloud, run.part.body);
          } catch (partError) {
            findings.push(`END TO END FAILED (${run.part.label}): ${(partError as Error).message}`);
          }
        }
      } else {
        findings.push(`END TO END FAILED: ${(error as Error).message}`);
        runs = [{ part: whole }];
      }
    }
    for (const run of runs) if (run.e2e) await exportPart(cloud, run, runDir, findings);
    if (runs.length > 1 && runs.every((run) => run.validation)) {
      const manifests = runs.map((run) => run.validation!.manifestBytes);
      log(
        `the parts' manifests: ${manifests.map((bytes) => (bytes / 1048576).toFixed(2)).join(' + ')} = ` +
          `${(manifests.reduce((a, b) => a + b, 0) / 1048576).toFixed(2)} MiB (the reader's limit is 10 MiB)`,
      );
    }

    // 2. The archive step alone, in its own process, on the same emulators.
    const profileDir = process.env.BENCH_CPU_PROF;
    for (const run of runs) {
      log(
        `archive step alone, ${run.part.label} (child process, real adapters on the emulators); load ${load()}`,
      );
      const config: StepConfig = {
        region: cloud.info.aws.region,
        credentials: cloud.info.aws.credentials,
        s3Endpoint: cloud.info.aws.s3Endpoint,
        dynamodbEndpoint: cloud.info.aws.dynamodbEndpoint,
        bucket: cloud.info.resources.bucket,
        libraryTable: cloud.info.resources.libraryTable,
        jobsTable: cloud.info.resources.jobsTable,
        userId: BENCH_USER,
        body: run.part.body,
        phase: 'prepare',
      };
      try {
        const prepared = await runChild<PrepareResult>(['--archive-step', JSON.stringify(config)]);
        const before = await cloud.mark();
        const archived = await runChild<StepResult>(
          ['--archive-step', JSON.stringify({ ...config, phase: 'archive', jobId: prepared.jobId })],
          [
            ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : []),
            // e.g. BENCH_NODE_ARGS=--max-semi-space-size=4 to try V8 settings on the archive step.
            ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
          ],
        );
        const step = { ...archived, planSeconds: prepared.planSeconds, rssBeforeKb: prepared.rssKb };
        const after = await cloud.usage();
        run.step = {
          ...step,
          emulatorCpuSeconds: (after.cpuMicros - before.cpuMicros) / 1e6,
          emulatorPeakMb: after.peakKb / 1024,
        };
        log(
          `  planned in ${step.planSeconds.toFixed(1)} s, wrote ${step.items} items, ` +
            `${(step.archiveBytes / MB).toFixed(1)} MB in ${step.seconds.toFixed(1)} s; peak RSS ` +
            `${(step.rssKb / 1024).toFixed(0)} MB (Prepare, in its own process: ${(step.rssBeforeKb / 1024).toFixed(0)} MB); own CPU ${step.cpuSeconds.toFixed(1)} s, emulators' CPU ` +
            `${run.step.emulatorCpuSeconds.toFixed(1)} s (cloud peak RSS meanwhile ${run.step.emulatorPeakMb.toFixed(0)} MB); ` +
            `load ${load()}${profileDir ? `; CPU profile in ${resolve(profileDir)}` : ''}`,
        );
      } catch (error) {
        findings.push(`ARCHIVE STEP ALONE FAILED (${run.part.label}): ${(error as Error).message}`);
      }
      await removeExports(cloud.info);
    }

    // 3. The writer alone, on the extracted entries.
    for (const run of runs) {
      if (run.validation?.raisedByteLimits !== 'ok' || !run.extractDir) {
        findings.push(
          `writer only (${run.part.label}): skipped (no validated archive to take the entries from)`,
        );
        continue;
      }
      log(
        `writer only, ${run.part.label} (child: extracted entries → writeChatbook → /dev/null); load ${load()}`,
      );
      let peakRssKb = 0;
      for (let attempt = 0; attempt < RUNS; attempt++) {
        const measured = await runChild<WriterResult>(['--writer', run.extractDir, '/dev/null']);
        peakRssKb = Math.max(peakRssKb, measured.rssKb);
        if (!run.writer || measured.seconds < run.writer.seconds) run.writer = { ...measured, peakRssKb };
      }
      run.writer!.peakRssKb = peakRssKb;
      const expected = run.e2e?.job.file_size_bytes ?? 0;
      log(
        `  ${(run.writer!.archiveBytes / MB).toFixed(1)} MB in ${run.writer!.seconds.toFixed(1)} s (best of ${RUNS}), ` +
          `peak RSS ${(peakRssKb / 1024).toFixed(0)} MB, ` +
          `${run.writer!.archiveBytes === expected ? 'same size as the export' : `${run.writer!.archiveBytes - expected} bytes off the export's size`}; load ${load()}`,
      );
      await rm(run.extractDir, { recursive: true, force: true });
    }
  } finally {
    await cloud.stop().catch(() => {
      cloud.kill();
    });
    await rm(runDir, { recursive: true, force: true });
    if (ownWorkdir) await rm(workdir, { recursive: true, force: true });
  }

  const rows: Row[] = [];
  const split = runs.length > 1 ? ` (${runs.length} exports in turn)` : '';
  const e2eRuns = runs.filter((run) => run.e2e);
  const stepRuns = runs.filter((run) => run.step);
  const writerRuns = runs.filter((run) => run.writer);
  if (e2eRuns.length === runs.length) {
    const bytes = sum(e2eRuns, (run) => run.e2e!.job.file_size_bytes ?? 0);
    const seconds = sum(e2eRuns, (run) => run.e2e!.jobSeconds);
    rows.push({
      name: `end to end${split}: HTTP, workflow, S3`,
      seconds,
      archiveBytes: bytes,
      libraryBytes: sum(e2eRuns, (run) => run.e2e!.job.processed_bytes),
      peakRssMb: Math.max(...e2eRuns.map((run) => run.e2e!.cloudPeakMb)),
      rssNote: 'whole cloud',
      cpuSeconds: sum(e2eRuns, (run) => run.e2e!.cloudCpuSeconds),
      target: `>=${TARGET_MB_PER_S} MB/s`,
      verdict: bytes / MB / seconds >= TARGET_MB_PER_S ? 'PASS' : 'MISS',
    });
  }
  if (stepRuns.length === runs.length) {
    const peak = Math.max(...stepRuns.map((run) => run.step!.rssKb)) / 1024;
    const base = {
      seconds: sum(stepRuns, (run) => run.step!.seconds),
      archiveBytes: sum(stepRuns, (run) => run.step!.archiveBytes),
      libraryBytes: sum(stepRuns, (run) => run.step!.processedBytes),
    };
    rows.push({
      name: `archive step alone${split}: child process`,
      ...base,
      peakRssMb: peak,
      rssNote: 'child',
      cpuSeconds: sum(stepRuns, (run) => run.step!.cpuSeconds),
      target: `<=${RSS_LIMIT_MB} MB`,
      verdict: peak <= RSS_LIMIT_MB ? 'PASS' : 'MISS',
    });
    rows.push({
      name: '  + the emulators meanwhile',
      ...base,
      peakRssMb: Math.max(...stepRuns.map((run) => run.step!.emulatorPeakMb)),
      rssNote: 'whole cloud',
      cpuSeconds: sum(stepRuns, (run) => run.step!.emulatorCpuSeconds),
      target: '',
      verdict: '',
    });
  }
  if (writerRuns.length === runs.length) {
    const peak = Math.max(...writerRuns.map((run) => run.writer!.peakRssKb)) / 1024;
    rows.push({
      name: `writer only${split}: local disk, best of ${RUNS}`,
      seconds: sum(writerRuns, (run) => run.writer!.seconds),
      archiveBytes: sum(writerRuns, (run) => run.writer!.archiveBytes),
      libraryBytes: sum(writerRuns, (run) => run.writer!.inputBytes),
      peakRssMb: peak,
      rssNote: 'child',
      cpuSeconds: sum(writerRuns, (run) => run.writer!.cpuSeconds),
      target: `<=${RSS_LIMIT_MB} MB`,
      verdict: peak <= RSS_LIMIT_MB ? 'PASS' : 'MISS',
    });
  }

  console.log(
    `\n[export] MB/s = bytes / seconds (archive bytes; library bytes read: item JSON + files, or the writer's ` +
      `input). End to end: the jobs' started_at → completed_at (Prepare, Archive, Finalize), CPU and peak RSS of ` +
      `the whole local cloud (emulators and every Lambda in one process). Load average now ${load()}.`,
  );
  printTable(rows);
  const e2eRow = rows.find((row) => row.name.startsWith('end to end'));
  const stepRow = rows.find((row) => row.name.startsWith('archive step'));
  const writerRow = rows.find((row) => row.name.startsWith('writer only'));
  const rate = (row: Row) => row.archiveBytes / row.seconds;
  if (writerRow) {
    const ratios = [
      e2eRow ? `end to end / writer ${(rate(e2eRow) / rate(writerRow)).toFixed(2)}x` : undefined,
      stepRow ? `archive step / writer ${(rate(stepRow) / rate(writerRow)).toFixed(2)}x` : undefined,
    ].filter(Boolean);
    if (ratios.length) console.log(`\n[export] throughput ratios: ${ratios.join(', ')}`);
  }
  const verdict = (row: Row | undefined) =>
    row ? (row.verdict === 'PASS' ? 'met' : 'NOT met') : 'not measured';
  console.log(
    `[export] targets: end to end >= ${TARGET_MB_PER_S} MB/s: ${verdict(e2eRow)}; archive step peak RSS <= ` +
      `${RSS_LIMIT_MB} MB: ${verdict(stepRow)}`,
  );
  for (const finding of findings) console.log(`[export] ${finding}`);
  if (!e2eRow || !stepRow) process.exitCode = 1;
}

const mode = process.argv[2];
if (mode === '--cloud') await cloudChild(process.argv[3]!);
else if (mode === '--archive-step') await archiveStepChild(JSON.parse(process.argv[3]!) as StepConfig);
else if (mode === '--writer') await writerChild(process.argv[3]!, process.argv[4]!);
else await main();
