/**
 * Export use cases: start an export (in the request when small, else through the workflow), list, read and
 * cancel export jobs, and hand out downloads. The workflow's steps live in export-steps.ts.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { userPrefix } from '../aws/object-classes';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  TooLargeError,
  ValidationError,
} from '../errors';
import {
  UUID_PATTERN,
  type Clock,
  type Job,
  type JobKey,
  type JobListQuery,
  type JobStatus,
  type JobStore,
} from '../jobs/job';
import type { LibraryStore } from '../library/library';
import { cancelJob, createAndStart, requireOwnJob } from '../jobs/job-lifecycle';
import { buildExportArchive, type BuildArchiveInput } from './archive';
import { buildForeignExport, TARGET_FILES, type ExportTarget } from './foreign-export';
import type { ExportSpec } from './export-request';
import { planExport, type ExportPlan } from './plan';
import type { ExportObjects, ExportWorkflows } from './ports';
import type { AuthContext } from '../http/auth';
import type { QuotaService } from '../quotas/quotas';

export interface ExportConfig {
  /** How long a finished export stays downloadable. */
  retentionHours: number;
  /** Lifetime of the presigned S3 URL a download redirects to. */
  presignTtlSeconds: number;
  /** When set, share links (`?exp=&token=`) can be minted and are verified. */
  shareSecret?: string | undefined;
  /** Lifetime of a share link (capped by the export's expiry). */
  shareTtlSeconds: number;
  /** A request-time (sync) export stays under both. */
  syncMaxItems: number;
  syncMaxBytes: number;
}

export const DEFAULT_EXPORT_CONFIG: ExportConfig = {
  retentionHours: 24,
  presignTtlSeconds: 300,
  shareTtlSeconds: 3600,
  syncMaxItems: 500,
  syncMaxBytes: 25 * 1024 * 1024,
};

export interface ExportDeps {
  jobs: JobStore;
  library: LibraryStore;
  objects: ExportObjects;
  workflows: ExportWorkflows;
  clock: Clock;
  config: ExportConfig;
}

export const DOWNLOAD_PATH = '/api/v1/chatbooks/download';

/** S3 keys of one export: the archive (exports/, downloadable) and its plan (temp/, removed at the end). */
export function exportKeys(userId: string, jobId: string, fileName: string) {
  const base = `${userPrefix(userId)}chatbooks`;
  return {
    archive: `${base}/exports/${jobId}/${fileName}`,
    plan: `${base}/temp/exports/${jobId}/plan.json`,
  };
}

/** The download's file name: the export's name with path and shell characters replaced. */
export function archiveFileName(name: string, target: ExportTarget = 'chatbook'): string {
  const safe = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._()-]+/gu, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
  return `${safe === '' ? 'chatbook' : safe}${TARGET_FILES[target].extension}`;
}

export interface ExportJobView {
  job_id: string;
  status: JobStatus;
  chatbook_name: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  progress_percentage: number;
  total_items: number;
  processed_items: number;
  total_bytes: number;
  processed_bytes: number;
  file_size_bytes: number | null;
  sha256: string | null;
  format_version: string | null;
  file_name: string | null;
  expires_at: string | null;
  download_url: string | null;
  share_url?: string;
  download_count: number;
  error: { code: string; message: string } | null;
  error_message: string | null;
  warnings: string[];
}

export class ExportService {
  constructor(
    private readonly deps: ExportDeps,
    private readonly quotas: QuotaService,
  ) {}

  /**
   * Plans the export, admits it under the caller's quotas, then runs it in the request (small) or starts the
   * workflow (large, or asked for).
   */
  async start(auth: AuthContext, spec: ExportSpec): Promise<{ job: ExportJobView; sync: boolean }> {
    const { config } = this.deps;
    const userId = auth.userId;
    const plan = await planExport(this.deps.library, userId, spec);
    const small = plan.totalItems <= config.syncMaxItems && plan.totalBytes <= config.syncMaxBytes;
    if (spec.async === false && !small) {
      throw new TooLargeError(
        'too_large_for_sync',
        `This export has ${plan.totalItems} items and about ${Math.ceil(plan.totalBytes / 1048576)} MB; a synchronous export takes at most ${config.syncMaxItems} items and ${config.syncMaxBytes / 1048576} MB. Send "async": true and follow the job.`,
        {
          details: {
            total_items: plan.totalItems,
            total_bytes: plan.totalBytes,
            max_items: config.syncMaxItems,
            max_bytes: config.syncMaxBytes,
          },
        },
      );
    }
    const sync = spec.async === false || (spec.async === undefined && small);
    const jobId = randomUUID();
    const job = await this.quotas.runAdmitted(auth, 'export', jobId, this.deps.jobs, () =>
      sync
        ? this.runInRequest(this.newJob(userId, jobId, spec, plan, 'in_progress'), spec, plan)
        : createAndStart(this.deps, this.newJob(userId, jobId, spec, plan, 'pending')),
    );
    return { job: this.view(job), sync };
  }

  private newJob(userId: string, jobId: string, spec: ExportSpec, plan: ExportPlan, status: JobStatus): Job {
    const now = this.deps.clock.now().toISOString();
    const fileName = archiveFileName(spec.name, spec.target);
    return {
      userId,
      jobId,
      kind: 'export',
      status,
      name: spec.name,
      createdAt: now,
      updatedAt: now,
      ...(status === 'in_progress' ? { startedAt: now } : {}),
      totalItems: plan.totalItems,
      processedItems: 0,
      totalBytes: plan.totalBytes,
      processedBytes: 0,
      events: [{ at: now, step: 'request', status }],
      request: spec as unknown as Record<string, unknown>,
      archive: {
        key: exportKeys(userId, jobId, fileName).archive,
        fileName,
        formatVersion: spec.formatVersion,
      },
    };
  }

  private async runInRequest(job: Job, spec: ExportSpec, plan: ExportPlan): Promise<Job> {
    await this.deps.jobs.create(job);
    const key: JobKey = { userId: job.userId, kind: 'export', jobId: job.jobId };
    try {
      const written = await writeArchive(this.deps, job, spec, plan);
      const completed = await this.deps.jobs.transition(key, ['in_progress'], 'completed', 'sync_export', {
        completedAt: this.deps.clock.now().toISOString(),
        processedItems: written.processedItems,
        processedBytes: written.processedBytes,
        archive: written.archive,
        ...(written.warnings.length ? { warnings: written.warnings } : {}),
      });
      if (!completed) throw new ConflictError('export_cancelled', 'The export was cancelled while it ran.');
      return completed;
    } catch (error) {
      await this.deps.jobs.transition(key, ['in_progress'], 'failed', 'sync_export', {
        completedAt: this.deps.clock.now().toISOString(),
        errorCode: error instanceof DomainError ? error.code : 'internal',
        errorMessage:
          error instanceof DomainError
            ? error.message
            : `The export failed unexpectedly. Try again; if it fails again, contact support with job id ${job.jobId}.`,
      });
      throw error;
    }
  }

  async list(
    userId: string,
    query: JobListQuery,
  ): Promise<{ jobs: ExportJobView[]; next_cursor: string | null }> {
    const page = await this.deps.jobs.list(userId, 'export', query);
    return { jobs: page.jobs.map((job) => this.view(job)), next_cursor: page.nextCursor ?? null };
  }

  async get(userId: string, jobId: string): Promise<ExportJobView> {
    return this.view(await this.require(userId, jobId));
  }

  /**
   * Cancels a pending or running export: marks it cancelled (so no step can complete it), stops the execution,
   * aborts the upload and removes any archive already written.
   */
  async cancel(userId: string, jobId: string): Promise<ExportJobView> {
    const current = await this.require(userId, jobId);
    const key: JobKey = { userId, kind: 'export', jobId };
    const cancelled = await cancelJob(this.deps, key, current, (job) =>
      job.status === 'completed' ? ' Its archive expires on its own; download it or let it go.' : '',
    );
    await releaseArchive(this.deps.objects, cancelled);
    return this.view(cancelled);
  }

  /**
   * Checks that the caller may download the job now (owner, state, expiry, share signature), counts the download
   * and returns the presigned URL to redirect to.
   */
  async download(
    userId: string,
    jobId: string,
    share: { exp?: string | undefined; token?: string | undefined },
  ): Promise<{ location: string }> {
    if (!UUID_PATTERN.test(jobId)) {
      throw new ValidationError(
        'invalid_job_id',
        'Invalid job ID format: a job id is a UUID. Use the job_id that POST /export returned (GET /export/jobs lists yours).',
      );
    }
    const job = await this.require(userId, jobId);
    const now = this.deps.clock.now();
    if (job.status === 'expired' || (job.status === 'completed' && isPast(job.archive?.expiresAt, now))) {
      throw new GoneError(
        'export_expired',
        'This export has expired and its archive was removed. Export again to get a fresh one.',
        {
          details: { expired_at: job.archive?.expiresAt ?? null },
        },
      );
    }
    if (job.status !== 'completed' || !job.archive?.key) {
      throw new ConflictError(
        'export_not_ready',
        `The export is ${job.status}, not completed. ${job.status === 'pending' || job.status === 'in_progress' ? 'Wait for it to complete (GET /export/jobs/{id}).' : 'Start a new export.'}`,
        { details: { status: job.status } },
      );
    }
    if (share.exp !== undefined || share.token !== undefined) this.verifyShare(job, share, now);
    const counted = await this.deps.jobs.recordDownload({ userId, kind: 'export', jobId }, now.toISOString());
    if (!counted)
      throw new GoneError(
        'export_expired',
        'This export expired a moment ago. Export again to get a fresh one.',
      );
    const ttl = Math.max(
      1,
      Math.min(this.deps.config.presignTtlSeconds, secondsUntil(job.archive.expiresAt, now) ?? Infinity),
    );
    return { location: await this.deps.objects.presignDownload(job.archive.key, job.archive.fileName, ttl) };
  }

  private verifyShare(
    job: Job,
    share: { exp?: string | undefined; token?: string | undefined },
    now: Date,
  ): void {
    const secret = this.deps.config.shareSecret;
    if (!secret) {
      throw new ValidationError(
        'share_links_disabled',
        'Share links are not enabled on this service. Download without exp and token.',
      );
    }
    if (share.exp === undefined || share.token === undefined) {
      throw new ForbiddenError(
        'missing_signature',
        'A share link needs both exp and token. Use the share_url of the job as given.',
      );
    }
    if (!/^\d{1,12}$/.test(share.exp))
      throw new ValidationError('invalid_exp', 'exp must be a Unix time in seconds.');
    if (Number(share.exp) * 1000 < now.getTime()) {
      throw new GoneError(
        'share_link_expired',
        'This share link has expired. Ask the owner for a new one (GET /export/jobs/{id}).',
      );
    }
    const expected = Buffer.from(shareToken(secret, job.jobId, share.exp, job.userId), 'hex');
    const given = Buffer.from(/^[0-9a-f]{64}$/i.test(share.token) ? share.token : '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ForbiddenError(
        'invalid_signature',
        'The share link signature is not valid for this export. Use the link exactly as given.',
      );
    }
  }

  private require(userId: string, jobId: string): Promise<Job> {
    return requireOwnJob(this.deps.jobs, userId, 'export', jobId);
  }

  view(job: Job): ExportJobView {
    const now = this.deps.clock.now();
    const downloadable = job.status === 'completed' && !isPast(job.archive?.expiresAt, now);
    const total = job.totalItems;
    const progress =
      job.status === 'completed'
        ? 100
        : total > 0
          ? Math.min(99, Math.floor((job.processedItems / total) * 100))
          : 0;
    const share = downloadable && this.deps.config.shareSecret ? this.shareUrl(job, now) : undefined;
    return {
      job_id: job.jobId,
      status: job.status,
      chatbook_name: job.name,
      created_at: job.createdAt,
      started_at: job.startedAt ?? null,
      completed_at: job.completedAt ?? null,
      progress_percentage: progress,
      total_items: total,
      processed_items: job.processedItems,
      total_bytes: job.totalBytes ?? 0,
      processed_bytes: job.processedBytes ?? 0,
      file_size_bytes: job.archive?.sizeBytes ?? null,
      sha256: job.archive?.sha256 ?? null,
      format_version: job.archive?.formatVersion ?? null,
      /** The download's file name: `.chatbook`, or `.json`/`.zip` for another tool's format. */
      file_name: job.archive?.fileName ?? null,
      expires_at: job.archive?.expiresAt ?? null,
      download_url: downloadable ? `${DOWNLOAD_PATH}/${job.jobId}` : null,
      ...(share ? { share_url: share } : {}),
      download_count: job.downloadCount ?? 0,
      error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
      error_message: job.errorMessage ?? null,
      warnings: job.warnings ?? [],
    };
  }

  private shareUrl(job: Job, now: Date): string {
    const secret = this.deps.config.shareSecret ?? '';
    const expiry = Math.floor(now.getTime() / 1000) + this.deps.config.shareTtlSeconds;
    const exportExpiry = job.archive?.expiresAt
      ? Math.floor(Date.parse(job.archive.expiresAt) / 1000)
      : expiry;
    const exp = String(Math.min(expiry, exportExpiry));
    return `${DOWNLOAD_PATH}/${job.jobId}?exp=${exp}&token=${shareToken(secret, job.jobId, exp, job.userId)}`;
  }
}

/** tldw's newest signer: HMAC-SHA256 over "<job_id>:<exp>:<user_id>", hex; binding the owner. */
export function shareToken(secret: string, jobId: string, exp: string, userId: string): string {
  return createHmac('sha256', secret).update(`${jobId}:${exp}:${userId}`).digest('hex');
}

function isPast(iso: string | undefined, now: Date): boolean {
  return iso !== undefined && Date.parse(iso) <= now.getTime();
}

function secondsUntil(iso: string | undefined, now: Date): number | undefined {
  return iso === undefined ? undefined : Math.floor((Date.parse(iso) - now.getTime()) / 1000);
}

/** Aborts an open upload and deletes whatever the job wrote; best effort (lifecycle rules catch the rest). */
export async function releaseArchive(objects: ExportObjects, job: Job): Promise<void> {
  const archive = job.archive;
  if (!archive?.key) return;
  if (archive.uploadId) await objects.abortUpload(archive.key, archive.uploadId).catch(() => undefined);
  await objects.deleteObject(archive.key).catch(() => undefined);
  await objects.deleteObject(exportKeys(job.userId, job.jobId, archive.fileName).plan).catch(() => undefined);
}

export interface WrittenArchive {
  archive: NonNullable<Job['archive']>;
  processedItems: number;
  processedBytes: number;
  warnings: string[];
}

/**
 * Streams the plan's archive into S3, recording the upload id and progress on the job while it is in progress.
 * Throws ExportStopped when the job leaves in_progress (a cancel) and aborts the upload.
 */
export async function writeArchive(
  deps: Omit<ExportDeps, 'workflows'>,
  job: Job,
  spec: ExportSpec,
  plan: ExportPlan,
): Promise<WrittenArchive> {
  const key: JobKey = { userId: job.userId, kind: 'export', jobId: job.jobId };
  const archive = job.archive ?? { key: '', fileName: archiveFileName(spec.name, spec.target) };
  let processedBytes = 0;
  const input: BuildArchiveInput = {
    store: deps.library,
    userId: job.userId,
    jobId: job.jobId,
    spec,
    plan,
    now: deps.clock.now(),
    onProgress: async (progress) => {
      processedBytes = progress.processedBytes;
      return deps.jobs.update(key, ['in_progress'], progress);
    },
  };
  const target = spec.target ?? 'chatbook';
  const built = target === 'chatbook' ? buildExportArchive(input) : buildForeignExport(input, target);
  const [uploaded, written] = await Promise.all([
    deps.objects.uploadArchive(archive.key, built.stream, {
      fileName: archive.fileName,
      contentType: TARGET_FILES[target].contentType,
      onUploadId: async (uploadId) => {
        await deps.jobs.update(key, ['in_progress'], { archive: { ...archive, uploadId } });
      },
    }),
    built.result,
  ]);
  return {
    archive: {
      key: archive.key,
      fileName: archive.fileName,
      sizeBytes: uploaded.sizeBytes,
      sha256: written.archiveSha256,
      formatVersion: spec.formatVersion,
      expiresAt: new Date(deps.clock.now().getTime() + deps.config.retentionHours * 3600_000).toISOString(),
    },
    processedItems: written.processedItems,
    processedBytes,
    warnings: written.warnings,
  };
}
