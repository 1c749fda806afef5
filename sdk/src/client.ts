/**
 * A typed client of the Chatbooks Cloud API: one method per route (named after the route's operationId in the
 * OpenAPI document), responses parsed with the schemas the document is generated from, and the flows a client
 * needs on top (upload then import, export then download, wait for a job).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import type { ContentType } from '../../shared/chatbook/layout';
import type { exportRequestSchema } from '../../shared/exports/export-request';
import type { auditQuerySchema, importReportQuerySchema } from '../../shared/http/api-parameters';
import { CHATBOOKS_PREFIX, LIBRARY_PREFIX, OPENAPI_PATH } from '../../shared/http/api-paths';
import {
  auditPageSchema,
  errorBodySchema,
  exportJobPageSchema,
  exportJobSchema,
  healthSchema,
  importJobPageSchema,
  importJobSchema,
  importReportSchema,
  inlineUploadSchema,
  libraryItemSchema,
  libraryPageSchema,
  openApiDocumentSchema,
  presignedUploadSchema,
  previewReportSchema,
  quotaSchema,
  cleanupResultSchema,
  type AuditEventResponse,
  type CleanupResponse,
  type QuotaResponse,
  type AuditPageResponse,
  type ExportJob,
  type ExportJobPage,
  type HealthResponse,
  type ImportJob,
  type ImportJobPage,
  type ImportReport,
  type ImportReportItem,
  type InlineUpload,
  type LibraryItemResponse,
  type LibraryPageResponse,
  type OpenApiDocument,
  type PresignedUpload,
  type PreviewResult,
} from '../../shared/http/api-responses';
import type { jobListQuerySchema } from '../../shared/http/job-parameters';
import type { importRequestSchema } from '../../shared/imports/import-request';
import type { uploadRequestSchema } from '../../shared/imports/upload-service';
import type { libraryListQuerySchema, libraryWriteSchema } from '../../shared/library/library-service';
import {
  ChatbooksApiError,
  ChatbooksConnectionError,
  ChatbooksError,
  ChatbooksIntegrityError,
  ChatbooksJobError,
  ChatbooksResponseError,
} from './errors';
import {
  fileNameOf,
  meterDownload,
  openSource,
  presignedPostBody,
  readAll,
  type ProgressCallback,
  type UploadSource,
} from './transfer';

export const SDK_VERSION = '0.1.0';

/** The server takes archives up to this size in the request itself; larger ones go through the presigned POST. */
export const INLINE_UPLOAD_LIMIT = 4 * 1024 * 1024;

export type ExportRequest = z.input<typeof exportRequestSchema>;
export type ImportRequest = z.input<typeof importRequestSchema>;
export type ImportOptions = Omit<ImportRequest, 'upload_id'>;
export type UploadRequest = z.input<typeof uploadRequestSchema>;
export type LibraryWrite = z.input<typeof libraryWriteSchema>;
export type JobListOptions = Partial<z.output<typeof jobListQuerySchema>>;
export type LibraryListOptions = Partial<z.output<typeof libraryListQuerySchema>>;
export type ReportPageOptions = Partial<z.output<typeof importReportQuerySchema>>;
export type AuditListOptions = Partial<z.output<typeof auditQuerySchema>>;

export type JobKind = 'export' | 'import';
export type JobOf<K extends JobKind> = K extends 'export' ? ExportJob : ImportJob;

export const TERMINAL_JOB_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'cancelled',
  'expired',
]);

export interface ChatbooksClientOptions {
  /** The service's origin, e.g. https://api.example.com or http://127.0.0.1:4510. */
  baseUrl: string;
  /** A bearer token, or a function that returns a fresh one for each request. */
  token?: string | (() => string | Promise<string>) | undefined;
  /** Another fetch (tests, proxies); global fetch by default. */
  fetch?: typeof fetch;
  userAgent?: string;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface UploadOptions extends RequestOptions {
  /** The name the archive is uploaded under (a path source gives its own). */
  fileName?: string | undefined;
  /** Required for a stream source: the presigned POST needs the length up front. */
  sizeBytes?: number | undefined;
  /** Upload progress, at most every 100 ms and once at the end. */
  onProgress?: ProgressCallback | undefined;
  /** `auto` (default): in the request when small (≤ 4 MB), else through the presigned POST. */
  via?: 'auto' | 'inline' | 'presigned';
}

export interface StoredUpload {
  upload_id: string;
  size_bytes: number;
  via: 'inline' | 'presigned';
}

export interface WaitOptions extends RequestOptions {
  /** Called with the job after every poll. */
  onProgress?: ((job: ExportJob | ImportJob) => void) | undefined;
  /** The first delay between polls, and the delay while the job moves (default 500 ms). */
  intervalMs?: number | undefined;
  /** The longest delay between polls while nothing moves (default 5 s). */
  maxIntervalMs?: number | undefined;
  /** Give up (ChatbooksError) after this long; no limit by default. */
  timeoutMs?: number | undefined;
}

export interface DownloadOptions extends RequestOptions {
  /** A share link's signature (`exp` and `token` of the job's share_url). */
  share?: { exp: string; token: string } | undefined;
  onProgress?: ProgressCallback | undefined;
}

/** A download in flight: read `body` (a Web stream) to the end, or cancel it. */
export interface ExportDownload {
  /** The presigned URL it comes from (lives minutes). */
  url: string;
  fileName: string | undefined;
  sizeBytes: number | undefined;
  body: ReadableStream<Uint8Array>;
}

export interface DownloadResult {
  bytes: number;
  sha256: string;
  /** The SHA-256 matched the one the export recorded (false when the job had none). */
  verified: boolean;
}

interface CallOptions extends RequestOptions {
  query?: Record<string, string | number | boolean | readonly string[] | undefined> | undefined;
  json?: unknown;
  body?: Uint8Array | undefined;
  headers?: Record<string, string> | undefined;
  redirect?: 'follow' | 'manual';
  /** Statuses that are answers, not errors (beyond 2xx). */
  accept?: readonly number[];
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: CallOptions['query']): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    params.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function requestIdOf(response: Response): string | undefined {
  return (
    response.headers.get('x-request-id') ??
    response.headers.get('apigw-requestid') ??
    response.headers.get('x-amz-request-id') ??
    undefined
  );
}

/** The error an error response stands for: our error model, API Gateway's `{"message"}`, or S3's XML. */
export async function apiErrorOf(response: Response): Promise<ChatbooksApiError> {
  const status = response.status;
  const requestId = requestIdOf(response);
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const model = errorBodySchema.safeParse(body);
  if (model.success) return new ChatbooksApiError({ status, ...model.data.error, requestId });
  const gatewayMessage =
    typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string'
      ? body.message
      : undefined;
  const storageCode = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  const storageMessage = /<Message>([^<]+)<\/Message>/.exec(text)?.[1];
  const code =
    storageCode ??
    (status === 401 ? 'unauthorized' : status === 429 ? 'too_many_requests' : `http_${status}`);
  const message =
    (storageMessage ? `The storage service refused: ${storageMessage}` : undefined) ??
    gatewayMessage ??
    (text.trim().slice(0, 300) || `HTTP ${status} ${response.statusText}`.trim());
  return new ChatbooksApiError({ status, code, message, requestId });
}

async function parseResponse<S extends z.ZodType>(schema: S, response: Response): Promise<z.output<S>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ChatbooksResponseError(
      `The API answered ${response.status} with a body that is not JSON.`,
      response.status,
      [],
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`,
    );
    throw new ChatbooksResponseError(
      `The API answered ${response.status} with a body this SDK does not understand (${issues.slice(0, 3).join('; ')}). Is the SDK older than the service?`,
      response.status,
      issues,
    );
  }
  return parsed.data;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');
}

/** Network failures and 5xx/429 answers: a poll may try again. */
function isTransient(error: unknown): boolean {
  return error instanceof ChatbooksConnectionError || (error instanceof ChatbooksApiError && error.retryable);
}

export class ChatbooksClient {
  readonly baseUrl: string;
  private readonly token: ChatbooksClientOptions['token'];
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;

  constructor(options: ChatbooksClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.userAgent = options.userAgent ?? `chatbooks-sdk/${SDK_VERSION}`;
  }

  // ---- transport

  private async authorization(): Promise<Record<string, string>> {
    const token = typeof this.token === 'function' ? await this.token() : this.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** fetch, with network failures as ChatbooksConnectionError (an abort stays an abort). */
  private async fetchOrThrow(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(url, init);
    } catch (error) {
      if (isAbort(error, init.signal ?? undefined)) throw error;
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new ChatbooksConnectionError(`Could not reach ${new URL(url).origin}: ${reason}`, {
        cause: error,
      });
    }
  }

  private async send(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      ...(await this.authorization()),
      ...options.headers,
    };
    let body: Uint8Array | string | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await this.fetchOrThrow(`${this.baseUrl}${path}${queryString(options.query)}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal ? { signal: options.signal } : {}),
      redirect: options.redirect ?? 'follow',
    });
    if (!response.ok && !options.accept?.includes(response.status)) throw await apiErrorOf(response);
    return response;
  }

  private async call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<z.output<S>> {
    return parseResponse(schema, await this.send(method, path, options));
  }

  // ---- service

  /** Readiness of storage, tables and workflows (a degraded service answers too, with status "degraded"). */
  getHealth(options: RequestOptions = {}): Promise<HealthResponse> {
    return this.call(healthSchema, 'GET', `${CHATBOOKS_PREFIX}/health`, { ...options, accept: [503] });
  }

  getOpenApiDocument(options: RequestOptions = {}): Promise<OpenApiDocument> {
    return this.call(openApiDocumentSchema, 'GET', OPENAPI_PATH, options);
  }

  // ---- exports

  /** Starts an export: completed in the request when small, else a pending job (see waitForJob). */
  createExport(request: ExportRequest, options: RequestOptions = {}): Promise<ExportJob> {
    return this.call(exportJobSchema, 'POST', `${CHATBOOKS_PREFIX}/export`, { ...options, json: request });
  }

  listExportJobs(query: JobListOptions = {}, options: RequestOptions = {}): Promise<ExportJobPage> {
    return this.call(exportJobPageSchema, 'GET', `${CHATBOOKS_PREFIX}/export/jobs`, { ...options, query });
  }

  getExportJob(jobId: string, options: RequestOptions = {}): Promise<ExportJob> {
    return this.call(exportJobSchema, 'GET', `${CHATBOOKS_PREFIX}/export/jobs/${segment(jobId)}`, options);
  }

  cancelExportJob(jobId: string, options: RequestOptions = {}): Promise<ExportJob> {
    return this.call(exportJobSchema, 'DELETE', `${CHATBOOKS_PREFIX}/export/jobs/${segment(jobId)}`, options);
  }

  /**
   * Opens the download of a completed export (each call counts as a download). The API redirects to a presigned
   * URL, which is fetched without the token; the archive arrives as a stream, never buffered.
   */
  async downloadExport(jobId: string, options: DownloadOptions = {}): Promise<ExportDownload> {
    const redirect = await this.send('GET', `${CHATBOOKS_PREFIX}/download/${segment(jobId)}`, {
      ...options,
      query: options.share ? { exp: options.share.exp, token: options.share.token } : undefined,
      redirect: 'manual',
      accept: [301, 302, 303, 307, 308],
    });
    const location = redirect.headers.get('location');
    await redirect.body?.cancel();
    if (!location) {
      throw new ChatbooksResponseError(
        'The download answered without a Location to follow.',
        redirect.status,
        [],
      );
    }
    const url = new URL(location, this.baseUrl).toString();
    const response = await this.fetchOrThrow(url, options.signal ? { signal: options.signal } : {});
    if (!response.ok || !response.body) throw await apiErrorOf(response);
    const length = Number(response.headers.get('content-length'));
    return {
      url,
      fileName: fileNameOf(response.headers.get('content-disposition')),
      sizeBytes: Number.isFinite(length) && length > 0 ? length : undefined,
      body: response.body,
    };
  }

  /** Streams a completed export into `destination` (a Node or Web writable), checking its SHA-256. */
  async downloadExportTo(
    jobId: string,
    destination: NodeJS.WritableStream | WritableStream<Uint8Array>,
    options: DownloadOptions = {},
  ): Promise<DownloadResult & { job: ExportJob }> {
    const job = await this.getExportJob(jobId, options);
    const download = await this.downloadExport(jobId, options);
    const metered = meterDownload(
      download.body,
      download.sizeBytes ?? job.file_size_bytes ?? undefined,
      options.onProgress,
    );
    if (destination instanceof Writable || !(destination instanceof WritableStream)) {
      await pipeline(
        Readable.fromWeb(metered.stream),
        destination as NodeJS.WritableStream,
        ...(options.signal ? [{ signal: options.signal }] : []),
      );
    } else {
      await metered.stream.pipeTo(destination, options.signal ? { signal: options.signal } : {});
    }
    const { bytes, sha256 } = metered.result();
    if (job.sha256 && job.sha256 !== sha256) {
      throw new ChatbooksIntegrityError(
        `The archive of export ${jobId} arrived damaged: its SHA-256 is ${sha256}, the export recorded ${job.sha256}. Download it again.`,
      );
    }
    return { job, bytes, sha256, verified: job.sha256 !== null };
  }

  /**
   * Downloads a completed export to a file: written to `<path>.part` and renamed once whole and verified, so an
   * interrupted download never leaves a damaged file at `path`. An existing file at `path` is replaced.
   */
  async downloadExportToFile(
    jobId: string,
    path: string,
    options: DownloadOptions = {},
  ): Promise<DownloadResult & { job: ExportJob; path: string }> {
    const partial = `${path}.part`;
    try {
      const result = await this.downloadExportTo(jobId, createWriteStream(partial), options);
      await rename(partial, path);
      return { ...result, path };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  /** Export, wait for the job when it runs as one, and download the archive to `path`. */
  async exportToFile(
    request: ExportRequest,
    path: string,
    options: DownloadOptions & { onJobProgress?: WaitOptions['onProgress']; intervalMs?: number } = {},
  ): Promise<DownloadResult & { job: ExportJob; path: string }> {
    const started = await this.createExport(request, options);
    if (started.status !== 'completed') {
      await this.waitForJob('export', started.job_id, {
        signal: options.signal,
        onProgress: options.onJobProgress,
        intervalMs: options.intervalMs,
      });
    }
    return this.downloadExportToFile(started.job_id, path, options);
  }

  // ---- uploads, preview, import

  /** A presigned POST for an archive up to your tier's limit (a declared size over it is a 413 now). */
  createUpload(request: UploadRequest = {}, options: RequestOptions = {}): Promise<PresignedUpload> {
    return this.call(presignedUploadSchema, 'POST', `${CHATBOOKS_PREFIX}/uploads`, {
      ...options,
      json: request,
    });
  }

  /** Stores a small archive (≤ 4 MB) sent in the request itself. */
  uploadInline(bytes: Uint8Array, options: RequestOptions = {}): Promise<InlineUpload> {
    return this.call(inlineUploadSchema, 'POST', `${CHATBOOKS_PREFIX}/uploads`, {
      ...options,
      body: bytes,
      headers: { 'content-type': 'application/zip' },
    });
  }

  /**
   * Uploads a chatbook from a path, bytes, a Blob or a stream, and returns its upload id for preview or import.
   * Small archives go in the request; larger ones stream to the presigned POST with upload progress.
   */
  async uploadChatbook(source: UploadSource, options: UploadOptions = {}): Promise<StoredUpload> {
    const opened = await openSource(source, options);
    const via =
      options.via === 'inline' || (options.via !== 'presigned' && opened.sizeBytes <= INLINE_UPLOAD_LIMIT)
        ? 'inline'
        : 'presigned';
    if (via === 'inline') {
      const stored = await this.uploadInline(await readAll(opened), options);
      options.onProgress?.({ transferredBytes: stored.size_bytes, totalBytes: opened.sizeBytes });
      return { upload_id: stored.upload_id, size_bytes: stored.size_bytes, via };
    }
    const presigned = await this.createUpload(
      {
        file_name: /\.(chatbook|zip)$/i.test(opened.fileName) ? opened.fileName : undefined,
        size_bytes: opened.sizeBytes,
      },
      options,
    );
    const form = presignedPostBody(presigned.fields, opened, options.onProgress);
    const response = await this.fetchOrThrow(presigned.url, {
      method: 'POST',
      headers: { 'content-type': form.contentType, 'content-length': String(form.contentLength) },
      body: form.body,
      duplex: 'half',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) throw await apiErrorOf(response);
    await response.body?.cancel();
    return { upload_id: presigned.upload_id, size_bytes: opened.sizeBytes, via };
  }

  /** Validates an uploaded archive and forecasts its import; writes nothing. */
  previewChatbook(
    uploadId: string,
    options: RequestOptions & { sourceFormat?: string } = {},
  ): Promise<PreviewResult> {
    const { sourceFormat, ...rest } = options;
    return this.call(previewReportSchema, 'POST', `${CHATBOOKS_PREFIX}/preview`, {
      ...rest,
      json: { upload_id: uploadId, ...(sourceFormat ? { source_format: sourceFormat } : {}) },
    });
  }

  /** Uploads (as uploadChatbook does) and previews. */
  async previewFile(source: UploadSource, options: UploadOptions = {}): Promise<PreviewResult> {
    const upload = await this.uploadChatbook(source, options);
    return this.previewChatbook(upload.upload_id, options);
  }

  /** Imports an uploaded archive: completed in the request when small, else a pending job (see waitForJob). */
  createImport(request: ImportRequest, options: RequestOptions = {}): Promise<ImportJob> {
    return this.call(importJobSchema, 'POST', `${CHATBOOKS_PREFIX}/import`, { ...options, json: request });
  }

  /** Uploads and imports; with `wait`, follows a job to its end. */
  async importFile(
    source: UploadSource,
    request: ImportOptions = {},
    options: UploadOptions & {
      wait?: boolean;
      onJobProgress?: WaitOptions['onProgress'];
      intervalMs?: number;
    } = {},
  ): Promise<ImportJob> {
    const upload = await this.uploadChatbook(source, options);
    const job = await this.createImport({ ...request, upload_id: upload.upload_id }, options);
    if (!options.wait || TERMINAL_JOB_STATUSES.has(job.status)) return job;
    return this.waitForJob('import', job.job_id, {
      signal: options.signal,
      onProgress: options.onJobProgress,
      intervalMs: options.intervalMs,
    });
  }

  listImportJobs(query: JobListOptions = {}, options: RequestOptions = {}): Promise<ImportJobPage> {
    return this.call(importJobPageSchema, 'GET', `${CHATBOOKS_PREFIX}/import/jobs`, { ...options, query });
  }

  getImportJob(jobId: string, options: RequestOptions = {}): Promise<ImportJob> {
    return this.call(importJobSchema, 'GET', `${CHATBOOKS_PREFIX}/import/jobs/${segment(jobId)}`, options);
  }

  getImportReport(
    jobId: string,
    query: ReportPageOptions = {},
    options: RequestOptions = {},
  ): Promise<ImportReport> {
    return this.call(importReportSchema, 'GET', `${CHATBOOKS_PREFIX}/import/jobs/${segment(jobId)}/report`, {
      ...options,
      query,
    });
  }

  /** Every item of an import's report, page by page. */
  async *importReportItems(jobId: string, options: RequestOptions = {}): AsyncIterable<ImportReportItem> {
    let cursor: string | undefined;
    do {
      const page = await this.getImportReport(jobId, { limit: 1000, cursor }, options);
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  cancelImportJob(jobId: string, options: RequestOptions = {}): Promise<ImportJob> {
    return this.call(importJobSchema, 'DELETE', `${CHATBOOKS_PREFIX}/import/jobs/${segment(jobId)}`, options);
  }

  // ---- jobs of either kind

  getJob<K extends JobKind>(kind: K, jobId: string, options: RequestOptions = {}): Promise<JobOf<K>> {
    return (
      kind === 'export' ? this.getExportJob(jobId, options) : this.getImportJob(jobId, options)
    ) as Promise<JobOf<K>>;
  }

  cancelJob<K extends JobKind>(kind: K, jobId: string, options: RequestOptions = {}): Promise<JobOf<K>> {
    return (
      kind === 'export' ? this.cancelExportJob(jobId, options) : this.cancelImportJob(jobId, options)
    ) as Promise<JobOf<K>>;
  }

  /**
   * Polls a job until it ends: resolves with the completed job, throws ChatbooksJobError when it fails, is
   * cancelled or expires. Polls every `intervalMs` while the job moves and backs off (×1.5, up to `maxIntervalMs`)
   * while it does not; network errors and 5xx answers are retried. It needs only the job id, so a process that
   * restarts can resume waiting.
   */
  async waitForJob<K extends JobKind>(kind: K, jobId: string, options: WaitOptions = {}): Promise<JobOf<K>> {
    const interval = options.intervalMs ?? 500;
    const maxInterval = Math.max(interval, options.maxIntervalMs ?? 5000);
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let delay = interval;
    let lastProgress = '';
    let transientFailures = 0;
    for (;;) {
      let job: JobOf<K>;
      try {
        job = await this.getJob(kind, jobId, options);
        transientFailures = 0;
      } catch (error) {
        if (!isTransient(error) || ++transientFailures > 5) throw error;
        delay = Math.min(maxInterval, delay * 2);
        await sleep(delay, undefined, options.signal ? { signal: options.signal } : {});
        continue;
      }
      options.onProgress?.(job);
      if (job.status === 'completed') return job;
      if (TERMINAL_JOB_STATUSES.has(job.status)) throw new ChatbooksJobError(kind, job);
      if (Date.now() >= deadline) {
        throw new ChatbooksError(
          `The ${kind} job ${jobId} is still ${job.status} after ${options.timeoutMs} ms; wait for it again with its id.`,
        );
      }
      const progress = `${job.status}:${job.processed_items}:${'processed_bytes' in job ? job.processed_bytes : ''}`;
      delay = progress === lastProgress ? Math.min(maxInterval, delay * 1.5) : interval;
      lastProgress = progress;
      await sleep(
        Math.min(delay, Math.max(0, deadline - Date.now())),
        undefined,
        options.signal ? { signal: options.signal } : {},
      );
    }
  }

  // ---- quotas

  /** Your tier, its limits (with any set for you) and what you use of them. */
  getQuota(options: RequestOptions = {}): Promise<QuotaResponse> {
    return this.call(quotaSchema, 'GET', `${CHATBOOKS_PREFIX}/quota`, options);
  }

  /** Runs the cleanup of your own data now: expired exports, stuck jobs, old uploads, quota counters. */
  runCleanup(options: RequestOptions = {}): Promise<CleanupResponse> {
    return this.call(cleanupResultSchema, 'POST', `${CHATBOOKS_PREFIX}/cleanup`, { ...options, json: {} });
  }

  // ---- audit

  /** One page of your audit trail, newest first (`action` for one action only). */
  listAuditEvents(query: AuditListOptions = {}, options: RequestOptions = {}): Promise<AuditPageResponse> {
    return this.call(auditPageSchema, 'GET', `${CHATBOOKS_PREFIX}/audit`, { ...options, query });
  }

  /** Every event of your audit trail matching the query, newest first, page by page. */
  async *auditEvents(
    query: AuditListOptions = {},
    options: RequestOptions = {},
  ): AsyncIterable<AuditEventResponse> {
    let cursor = query.cursor;
    do {
      const page = await this.listAuditEvents({ limit: 100, ...query, cursor }, options);
      yield* page.events;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  // ---- library

  listLibraryItems(
    type: ContentType,
    query: LibraryListOptions = {},
    options: RequestOptions = {},
  ): Promise<LibraryPageResponse> {
    return this.call(libraryPageSchema, 'GET', `${LIBRARY_PREFIX}/${segment(type)}`, { ...options, query });
  }

  /** Every item of a type (summaries, no content) matching the query, page by page. */
  async *libraryItems(
    type: ContentType,
    query: LibraryListOptions = {},
    options: RequestOptions = {},
  ): AsyncIterable<LibraryItemResponse> {
    let cursor = query.cursor;
    do {
      const page = await this.listLibraryItems(type, { ...query, cursor }, options);
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  getLibraryItem(type: ContentType, id: string, options: RequestOptions = {}): Promise<LibraryItemResponse> {
    return this.call(libraryItemSchema, 'GET', `${LIBRARY_PREFIX}/${segment(type)}/${segment(id)}`, options);
  }

  createLibraryItem(
    type: ContentType,
    write: LibraryWrite,
    options: RequestOptions = {},
  ): Promise<LibraryItemResponse> {
    return this.call(libraryItemSchema, 'POST', `${LIBRARY_PREFIX}/${segment(type)}`, {
      ...options,
      json: write,
    });
  }

  /** Replaces an item's content and tags; `ifMatch` (the version you read) refuses to overwrite a newer one. */
  updateLibraryItem(
    type: ContentType,
    id: string,
    write: LibraryWrite,
    options: RequestOptions & { ifMatch?: number } = {},
  ): Promise<LibraryItemResponse> {
    return this.call(libraryItemSchema, 'PUT', `${LIBRARY_PREFIX}/${segment(type)}/${segment(id)}`, {
      ...options,
      json: write,
      headers: options.ifMatch === undefined ? {} : { 'if-match': `"${options.ifMatch}"` },
    });
  }

  async deleteLibraryItem(type: ContentType, id: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.send('DELETE', `${LIBRARY_PREFIX}/${segment(type)}/${segment(id)}`, options);
    await response.body?.cancel();
  }
}
