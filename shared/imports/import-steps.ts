/**
 * The import state machine's steps: Validate (the whole archive, pinned to the ETag the request validated) →
 * Plan (batches of the import plan as index ranges) → ImportBatch, one range at a time, in plan order so links
 * resolve → Finalize (counts, completed). Every step is safe to run twice: items already recorded for the job
 * are not written again. A cancelled job stops at the next batch, or within a batch at its next progress write.
 */
import { openChatbook, type ChatbookArchive } from '../chatbook/reader';
import { DomainError } from '../errors';
import type { Tier } from '../http/auth';
import type { Job, JobKey } from '../jobs/job';
import type { LibraryStore } from '../library/library';
import { TIER_LIMITS } from '../quotas/tiers';
import {
  complete,
  refuse,
  record,
  requireJob,
  start,
  StepError,
  type BatchRange,
  type StepDeps,
  type StepInput,
} from '../workflows/steps';
import { importItems, LibraryIdentities, planImport, type ImportOptions } from './import-items';
import type { ImportSpec } from './import-request';
import { countOutcomes } from './import-service';
import type { UploadObjects } from './ports';
import { allRecords, type ImportRecords } from './records';

/** Items between two progress writes (each write is also where a cancel is noticed). */
const PROGRESS_EVERY_ITEMS = 10;

export interface ImportStepDeps extends StepDeps {
  library: LibraryStore;
  records: ImportRecords;
  objects: UploadObjects;
  /** Items per ImportBatch. */
  batchSize: number;
}

type JobImport = ImportSpec & { uploadKey: string; etag?: string; tier: Tier };

function importOf(job: Job): JobImport {
  const request = job.request as Partial<JobImport> | undefined;
  if (!request?.uploadKey || !request.strategy) {
    throw new StepError('Chatbooks.InvalidInput', 'The import job has no upload to import.');
  }
  return request as JobImport;
}

function optionsOf(spec: JobImport): ImportOptions {
  return {
    strategy: spec.strategy,
    prefix: spec.prefix,
    selection: spec.selection,
    includeMedia: spec.includeMedia,
    includeEmbeddings: spec.includeEmbeddings,
  };
}

async function openJobArchive(
  deps: ImportStepDeps,
  spec: JobImport,
  verifyData: boolean,
): Promise<ChatbookArchive> {
  const { source } = await deps.objects.open(spec.uploadKey, spec.etag);
  return openChatbook(source, {
    limits: { maxArchiveBytes: TIER_LIMITS[spec.tier].maxFileBytes },
    verifyData,
  });
}

export const importSteps = {
  validate: async (deps: ImportStepDeps, input: StepInput) => {
    const job = await start(deps, 'import', input, 'validate');
    const key: JobKey = { ...input, kind: 'import' };
    const spec = importOf(job);
    try {
      const archive = await openJobArchive(deps, spec, true);
      try {
        const { items } = planImport(archive, optionsOf(spec));
        await deps.jobs.update(key, ['in_progress'], { totalItems: items.length });
        return { totalItems: items.length };
      } finally {
        await archive.close();
      }
    } catch (error) {
      if (error instanceof DomainError) return refuse(deps, 'import', input, error);
      throw error;
    }
  },

  plan: async (deps: ImportStepDeps, input: StepInput) => {
    const job = await record(deps, 'import', input, 'plan');
    const batches: BatchRange[] = [];
    for (let begin = 0; begin < job.totalItems; begin += deps.batchSize) {
      batches.push({ start: begin, end: Math.min(job.totalItems, begin + deps.batchSize) });
    }
    return { batches };
  },

  importBatch: async (deps: ImportStepDeps, input: StepInput & { batch: BatchRange }) => {
    const { start: first, end } = input.batch;
    const job = await record(deps, 'import', input, `import_batch:${first}-${end}`);
    const key: JobKey = { ...input, kind: 'import' };
    const spec = importOf(job);
    let archive: ChatbookArchive;
    try {
      archive = await openJobArchive(deps, spec, false);
    } catch (error) {
      if (error instanceof DomainError) return refuse(deps, 'import', input, error);
      throw error;
    }
    try {
      const { items } = planImport(archive, optionsOf(spec));
      const exportId = archive.manifest.export_id;
      let processed = first;
      const records = await importItems(
        archive,
        items.slice(first, end),
        optionsOf(spec),
        {
          userId: input.userId,
          jobId: input.jobId,
          now: deps.clock.now(),
          library: deps.library,
          records: deps.records,
          source: { name: job.name, exportId: typeof exportId === 'string' ? exportId : null },
        },
        new LibraryIdentities(deps.library, input.userId, input.jobId),
        // Progress every few items (and at the batch's end); a job no longer running (cancelled) stops it there.
        () => {
          processed += 1;
          if ((processed - first) % PROGRESS_EVERY_ITEMS !== 0 && processed !== end) return true;
          return deps.jobs.update(key, ['in_progress'], { processedItems: processed });
        },
      );
      if (records.length < end - first) {
        throw new StepError('Chatbooks.JobNotRunnable', 'The import stopped: it is no longer running.');
      }
      return { imported: records.length };
    } finally {
      await archive.close();
    }
  },

  finalize: async (deps: ImportStepDeps, input: StepInput) => {
    const before = await requireJob(deps, 'import', input);
    const records = await allRecords(deps.records, input.userId, input.jobId);
    if (before.status === 'in_progress') {
      await deps.jobs.update({ ...input, kind: 'import' }, ['in_progress'], {
        outcomes: countOutcomes(records),
      });
    }
    const job = await complete(deps, 'import', input, 'finalize');
    return { status: job.status, items: records.length };
  },
};
