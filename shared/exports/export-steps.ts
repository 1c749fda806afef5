/**
 * The export state machine's steps: Prepare (plan, stored in S3) → Archive (stream the chatbook into a
 * multipart upload) → Finalize (size, SHA-256, expiry, completed); MarkFailed records a failure and aborts the
 * upload. Every step is safe to run twice, and a cancelled job is never completed.
 */
import { DomainError } from '../errors';
import type { Job, JobKey } from '../jobs/job';
import {
  complete,
  refuse,
  markFailed,
  record,
  requireJob,
  start,
  StepError,
  type FailureInput,
  type StepDeps,
  type StepInput,
} from '../workflows/steps';
import { ExportStopped } from './archive';
import type { ExportSpec } from './export-request';
import { exportKeys, releaseArchive, writeArchive, type ExportDeps } from './export-service';
import { planExport, type ExportPlan } from './plan';

export type ExportStepDeps = StepDeps & Omit<ExportDeps, 'workflows'>;

function specOf(job: Job): ExportSpec {
  if (!job.request) throw new StepError('Chatbooks.InvalidInput', 'The export job has no request.');
  return job.request as unknown as ExportSpec;
}

function planKeyOf(job: Job): string {
  return exportKeys(job.userId, job.jobId, job.archive?.fileName ?? '').plan;
}

export const exportSteps = {
  prepare: async (deps: ExportStepDeps, input: StepInput) => {
    const job = await start(deps, 'export', input, 'prepare');
    const key: JobKey = { ...input, kind: 'export' };
    let plan: ExportPlan;
    try {
      plan = await planExport(deps.library, input.userId, specOf(job));
    } catch (error) {
      if (error instanceof DomainError) return refuse(deps, 'export', input, error);
      throw error;
    }
    await deps.objects.putJson(planKeyOf(job), plan);
    await deps.jobs.update(key, ['in_progress'], {
      totalItems: plan.totalItems,
      totalBytes: plan.totalBytes,
    });
    return { totalItems: plan.totalItems, totalBytes: plan.totalBytes };
  },

  archive: async (deps: ExportStepDeps, input: StepInput) => {
    const job = await record(deps, 'export', input, 'archive');
    // A retry after a crash: the earlier run's upload is abandoned, and this run writes the archive again.
    if (job.archive?.uploadId)
      await deps.objects.abortUpload(job.archive.key, job.archive.uploadId).catch(() => undefined);
    const plan = (await deps.objects.getJson(planKeyOf(job))) as ExportPlan;
    const key: JobKey = { ...input, kind: 'export' };
    try {
      const written = await writeArchive(deps, job, specOf(job), plan);
      const { expiresAt: _expiresAt, ...archive } = written.archive;
      const kept = await deps.jobs.update(key, ['in_progress'], {
        archive,
        processedItems: written.processedItems,
        processedBytes: written.processedBytes,
        ...(written.warnings.length ? { warnings: written.warnings } : {}),
      });
      if (!kept) {
        // Cancelled while the upload completed: the archive must not outlive the job.
        await releaseArchive(deps.objects, { ...job, archive });
        throw new StepError('Chatbooks.JobNotRunnable', 'The export was cancelled.');
      }
      return { sizeBytes: archive.sizeBytes };
    } catch (error) {
      if (error instanceof ExportStopped) {
        await releaseArchive(deps.objects, (await deps.jobs.get(key)) ?? job);
        throw new StepError('Chatbooks.JobNotRunnable', 'The export stopped: it is no longer running.');
      }
      if (error instanceof DomainError) return refuse(deps, 'export', input, error);
      throw error;
    }
  },

  finalize: async (deps: ExportStepDeps, input: StepInput) => {
    const before = await requireJob(deps, 'export', input);
    if (before.status === 'in_progress' && before.archive) {
      const expiresAt = new Date(
        deps.clock.now().getTime() + deps.config.retentionHours * 3600_000,
      ).toISOString();
      await deps.jobs.update({ ...input, kind: 'export' }, ['in_progress'], {
        archive: { ...before.archive, expiresAt },
      });
    }
    const job = await complete(deps, 'export', input, 'finalize');
    await deps.objects.deleteObject(planKeyOf(job)).catch(() => undefined);
    return { status: job.status, expiresAt: job.archive?.expiresAt ?? null };
  },

  markFailed: async (deps: ExportStepDeps, failure: FailureInput) => {
    const outcome = await markFailed(deps, 'export', failure);
    if (
      typeof failure.userId === 'string' &&
      typeof failure.jobId === 'string' &&
      outcome.status !== 'completed'
    ) {
      const job = await deps.jobs.get({ userId: failure.userId, jobId: failure.jobId, kind: 'export' });
      if (job && job.status !== 'completed') await releaseArchive(deps.objects, job);
    }
    return outcome;
  },
};
