/**
 * Import use cases: import an uploaded chatbook into the caller's library with a conflict strategy, and read
 * import jobs and their per-item reports. The archive is validated whole before anything is written.
 */
import { randomUUID } from 'node:crypto';
import type { ChatbookArchive } from '../chatbook/reader';
import { openUpload } from './open-upload';
import { DomainError, TooLargeError, UnprocessableError } from '../errors';
import type { AuthContext } from '../http/auth';
import {
  type Clock,
  type Job,
  type JobKey,
  type JobListQuery,
  type JobStatus,
  type JobStore,
  type JobWorkflows,
} from '../jobs/job';
import type { LibraryStore } from '../library/library';
import { cancelJob, createAndStart, requireOwnJob } from '../jobs/job-lifecycle';
import { ImportIdentities, importItems, planImport, type ImportOptions } from './import-items';
import type { ImportSpec } from './import-request';
import type { UploadObjects } from './ports';
import { allRecords, type ImportRecord, type ImportRecords } from './records';
import type { UploadService } from './upload-service';
import type { QuotaService } from '../quotas/quotas';

type ImportPlan = ReturnType<typeof planImport>;

export interface ImportConfig {
  /** An import runs in the request up to both; larger ones need the workflow. */
  syncMaxItems: number;
  syncMaxBytes: number;
}

export const DEFAULT_IMPORT_CONFIG: ImportConfig = { syncMaxItems: 500, syncMaxBytes: 25 * 1024 * 1024 };

/** The import state machine. */
export type ImportWorkflows = JobWorkflows;

export interface ImportDeps {
  workflows: ImportWorkflows;
  jobs: JobStore;
  library: LibraryStore;
  records: ImportRecords;
  uploads: UploadService;
  objects: UploadObjects;
  clock: Clock;
  config: ImportConfig;
  quotas: QuotaService;
}

const OUTCOMES = ['imported', 'skipped', 'renamed', 'merged', 'overwritten', 'failed'] as const;

export interface ImportJobView {
  job_id: string;
  status: JobStatus;
  chatbook_name: string;
  strategy: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  progress_percentage: number;
  total_items: number;
  processed_items: number;
  /** imported, skipped, renamed, merged, overwritten, failed. */
  counts: Record<(typeof OUTCOMES)[number], number>;
  successful_items: number;
  skipped_items: number;
  failed_items: number;
  warnings: string[];
  error: { code: string; message: string } | null;
  report_url: string;
}

export function countOutcomes(records: readonly ImportRecord[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0]));
  for (const record of records) counts[record.outcome] = (counts[record.outcome] ?? 0) + 1;
  return counts;
}

export class ImportService {
  constructor(private readonly deps: ImportDeps) {}

  private async openUpload(
    auth: AuthContext,
    spec: ImportSpec,
  ): Promise<{ archive: ChatbookArchive; key: string; etag: string | undefined; maxFileBytes: number }> {
    const { key, maxFileBytes } = await this.deps.uploads.require(auth, spec.uploadId);
    const { source, etag } = await this.deps.objects.open(key);
    const { archive } = await openUpload(source, auth.tier, {
      sourceFormat: spec.sourceFormat,
      maxFileBytes,
    });
    return { archive, key, etag, maxFileBytes };
  }

  /** Validates the whole archive, then imports it in the request; a refusal writes nothing. */
  async start(auth: AuthContext, spec: ImportSpec): Promise<{ job: ImportJobView; sync: boolean }> {
    const { archive, key: uploadKey, etag, maxFileBytes } = await this.openUpload(auth, spec);
    try {
      const options: ImportOptions = {
        strategy: spec.strategy,
        prefix: spec.prefix,
        selection: spec.selection,
        includeMedia: spec.includeMedia,
        includeEmbeddings: spec.includeEmbeddings,
      };
      const plan = planImport(archive, options);
      const { config } = this.deps;
      const bytes = archive.integrity.uncompressedBytes;
      const small = plan.items.length <= config.syncMaxItems && bytes <= config.syncMaxBytes;
      if (spec.async === false && !small) {
        throw new TooLargeError(
          'too_large_for_sync',
          `This import has ${plan.items.length} items and ${(bytes / 1048576).toFixed(1)} MB; a synchronous import takes at most ${config.syncMaxItems} items and ${config.syncMaxBytes / 1048576} MB. Send "async": true and follow the job.`,
          {
            details: {
              total_items: plan.items.length,
              uncompressed_bytes: bytes,
              max_items: config.syncMaxItems,
            },
          },
        );
      }
      if (plan.items.length === 0) {
        throw new UnprocessableError(
          'nothing_to_import',
          'Nothing in this chatbook matches the selection (and include_media / include_embeddings). Widen the selection.',
          { details: { warnings: plan.warnings } },
        );
      }
      const sync = spec.async === false || (spec.async === undefined && small);
      const jobId = randomUUID();
      return await this.deps.quotas.runAdmitted(auth, 'import', jobId, this.deps.jobs, async () => {
        if (!sync) {
          const upload = { key: uploadKey, etag, maxFileBytes };
          const started = await this.startWorkflow(auth, jobId, spec, archive, upload, plan.items.length);
          return { job: this.view(started), sync };
        }
        return { job: this.view(await this.runInRequest(auth, jobId, spec, archive, plan, options)), sync };
      });
    } finally {
      await archive.close();
    }
  }

  /** A small import, done in the request: the job is created running and ends completed or failed. */
  private async runInRequest(
    auth: AuthContext,
    jobId: string,
    spec: ImportSpec,
    archive: ChatbookArchive,
    plan: ImportPlan,
    options: ImportOptions,
  ): Promise<Job> {
    const now = this.deps.clock.now();
    const job: Job = {
      userId: auth.userId,
      jobId,
      kind: 'import',
      status: 'in_progress',
      name: archive.manifest.name,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      startedAt: now.toISOString(),
      totalItems: plan.items.length,
      processedItems: 0,
      events: [{ at: now.toISOString(), step: 'request', status: 'in_progress' }],
      request: { ...spec },
      warnings: [...archive.warnings, ...plan.warnings],
    };
    await this.deps.jobs.create(job);
    const key: JobKey = { userId: auth.userId, kind: 'import', jobId };
    const exportId = archive.manifest.export_id;
    try {
      const { records } = await importItems(
        archive,
        plan.items,
        { start: 0, end: plan.items.length },
        options,
        {
          userId: auth.userId,
          jobId,
          now,
          library: this.deps.library,
          records: this.deps.records,
          source: { name: job.name, exportId: typeof exportId === 'string' ? exportId : null },
          firstRun: true,
        },
        new ImportIdentities(this.deps.library, auth.userId, jobId),
      );
      const completed = await this.deps.jobs.transition(key, ['in_progress'], 'completed', 'sync_import', {
        completedAt: this.deps.clock.now().toISOString(),
        processedItems: records.length,
        outcomes: countOutcomes(records),
      });
      return completed ?? job;
    } catch (error) {
      // The job ends failed (giving its quota back); what was imported before the error stays and is reported.
      await this.deps.jobs.transition(key, ['in_progress'], 'failed', 'sync_import', {
        completedAt: this.deps.clock.now().toISOString(),
        errorCode: error instanceof DomainError ? error.code : 'internal',
        errorMessage:
          error instanceof DomainError
            ? error.message
            : `The import failed unexpectedly. Try again; if it fails again, contact support with job id ${jobId}.`,
      });
      throw error;
    }
  }

  /** A pending job and the import workflow; the steps open the same upload, pinned to the ETag validated here. */
  private async startWorkflow(
    auth: AuthContext,
    jobId: string,
    spec: ImportSpec,
    archive: ChatbookArchive,
    upload: { key: string; etag: string | undefined; maxFileBytes: number },
    totalItems: number,
  ): Promise<Job> {
    const now = this.deps.clock.now().toISOString();
    const job: Job = {
      userId: auth.userId,
      jobId,
      kind: 'import',
      status: 'pending',
      name: archive.manifest.name,
      createdAt: now,
      updatedAt: now,
      totalItems,
      processedItems: 0,
      events: [{ at: now, step: 'request', status: 'pending' }],
      request: {
        ...spec,
        uploadKey: upload.key,
        ...(upload.etag ? { etag: upload.etag } : {}),
        tier: auth.tier,
        maxFileBytes: upload.maxFileBytes,
      },
      warnings: [...archive.warnings],
    };
    return createAndStart(this.deps, job);
  }

  async list(
    userId: string,
    query: JobListQuery,
  ): Promise<{ jobs: ImportJobView[]; next_cursor: string | null }> {
    const page = await this.deps.jobs.list(userId, 'import', query);
    return { jobs: page.jobs.map((job) => this.view(job)), next_cursor: page.nextCursor ?? null };
  }

  async get(userId: string, jobId: string): Promise<ImportJobView> {
    return this.view(await this.require(userId, jobId));
  }

  /** The per-item report: what happened to each item of the chatbook, and why. */
  async report(userId: string, jobId: string, limit: number, cursor?: string) {
    await this.require(userId, jobId);
    const page = await this.deps.records.list(userId, jobId, limit, cursor);
    return {
      job_id: jobId,
      items: page.records.map((record) => ({
        type: record.type,
        source_id: record.sourceId,
        title: record.title,
        outcome: record.outcome,
        library_id: record.targetId ?? null,
        reason: record.reason ?? null,
        notes: record.notes ?? [],
      })),
      next_cursor: page.nextCursor ?? null,
    };
  }

  /** Cancels a pending or running import: no further batch runs; what was imported stays, and is counted. */
  async cancel(userId: string, jobId: string): Promise<ImportJobView> {
    const current = await this.require(userId, jobId);
    const key: JobKey = { userId, kind: 'import', jobId };
    const cancelled = await cancelJob(
      this.deps,
      key,
      current,
      (job) =>
        ` ${job.processedItems} item(s) were processed; see what happened to each with GET /import/jobs/${job.jobId}/report.`,
    );
    const records = await allRecords(this.deps.records, userId, jobId);
    const outcomes = countOutcomes(records);
    await this.deps.jobs.update(key, ['cancelled'], { outcomes, processedItems: records.length });
    return this.view({ ...cancelled, outcomes, processedItems: records.length });
  }

  private require(userId: string, jobId: string): Promise<Job> {
    return requireOwnJob(this.deps.jobs, userId, 'import', jobId);
  }

  view(job: Job): ImportJobView {
    const counts = Object.fromEntries(
      OUTCOMES.map((outcome) => [outcome, job.outcomes?.[outcome] ?? 0]),
    ) as ImportJobView['counts'];
    const request = job.request as { strategy?: unknown } | undefined;
    return {
      job_id: job.jobId,
      status: job.status,
      chatbook_name: job.name,
      strategy: typeof request?.strategy === 'string' ? request.strategy : null,
      created_at: job.createdAt,
      started_at: job.startedAt ?? null,
      completed_at: job.completedAt ?? null,
      progress_percentage:
        job.status === 'completed'
          ? 100
          : job.totalItems > 0
            ? Math.floor((job.processedItems / job.totalItems) * 100)
            : 0,
      total_items: job.totalItems,
      processed_items: job.processedItems,
      counts,
      successful_items: counts.imported + counts.renamed + counts.merged + counts.overwritten,
      skipped_items: counts.skipped,
      failed_items: counts.failed,
      warnings: job.warnings ?? [],
      error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
      report_url: `/api/v1/chatbooks/import/jobs/${job.jobId}/report`,
    };
  }
}
