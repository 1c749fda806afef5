/**
 * The import state machine's steps: Validate (the whole archive, pinned to the ETag the request validated) →
 * Plan (batches of the import plan as index ranges of whole report pages; the library's identities read once
 * into a snapshot) → ImportBatch, one range at a time, in plan order so links resolve, each passing the
 * identities it took on to the next → Finalize (counts, completed). Every step is safe to run twice: pages
 * already recorded for the job are not written again. A cancelled job stops at the next batch, or within a batch
 * at its next page.
 */
import { z } from 'zod';
import { CONTENT_TYPES, type ContentType } from '../chatbook/layout';
import { openZipArchive, type ChatbookArchive } from '../chatbook/reader';
import { chatbookLimitsFor } from '../quotas/tiers';
import { openUpload } from './open-upload';
import { DomainError } from '../errors';
import type { Tier } from '../http/auth';
import type { Job, JobKey } from '../jobs/job';
import type { LibraryStore } from '../library/library';
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
import {
  ImportIdentities,
  importItems,
  planImport,
  type EntryReader,
  type IdentitySnapshot,
  type ImportOptions,
} from './import-items';
import type { ImportSpec } from './import-request';
import { countOutcomes } from './import-service';
import type { UploadObjects } from './ports';
import { allRecords, RECORD_PAGE_SIZE, type ImportRecords } from './records';
import { userPrefix } from '../aws/object-classes';

/** Batches a job is split into, at most about: each one opens the archive again. */
const MAX_BATCHES = 20;

/** The identities snapshot of a job: written by Plan, passed on by every batch (temp: removed at the end). */
export function identitiesKey(userId: string, jobId: string): string {
  return `${userPrefix(userId)}chatbooks/temp/imports/${jobId}/identities.json`;
}

/** The import plan of a job, written by Plan so batches need not parse the manifest again (temp, removed at the end). */
export function planKey(userId: string, jobId: string): string {
  return `${userPrefix(userId)}chatbooks/temp/imports/${jobId}/plan.json`;
}

const storedPlanSchema = z.object({
  format: z.string(),
  exportId: z.string().nullable(),
  items: z.array(
    z.object({ type: z.enum(CONTENT_TYPES), sourceId: z.string(), title: z.string(), path: z.string() }),
  ),
});
type StoredPlan = z.infer<typeof storedPlanSchema>;

/** The plan Plan stored, or undefined (a job planned before plans were stored, or a damaged object). */
async function readPlan(deps: ImportStepDeps, input: StepInput): Promise<StoredPlan | undefined> {
  const raw: unknown = await deps.objects.getJson(planKey(input.userId, input.jobId)).catch(() => undefined);
  const parsed = storedPlanSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function exportIdOf(archive: Pick<ChatbookArchive, 'manifest'>): string | null {
  const exportId = archive.manifest.export_id;
  return typeof exportId === 'string' ? exportId : null;
}

/**
 * What a batch imports from: the archive and the plan. A chatbook is opened as a plain ZIP, held to the same
 * container rules and CRC-checked as it is read, without its manifest (Validate checked that, on this very
 * object: the ETag is pinned); a converted upload is converted again; a job planned before plans were stored
 * plans again from the manifest.
 */
async function openBatch(
  deps: ImportStepDeps,
  spec: JobImport,
  plan: StoredPlan | undefined,
): Promise<{ archive: EntryReader & Pick<ChatbookArchive, 'close'>; plan: Omit<StoredPlan, 'format'> }> {
  if (plan?.format === 'chatbook') {
    const { source } = await deps.objects.open(spec.uploadKey, spec.etag);
    const limits = chatbookLimitsFor(spec.tier, spec.maxFileBytes);
    return { archive: await openZipArchive(source, { limits, verifyData: false }), plan };
  }
  const archive = await openJobArchive(deps, spec, false);
  return {
    archive,
    plan: plan ?? { items: planImport(archive, optionsOf(spec)).items, exportId: exportIdOf(archive) },
  };
}

export interface ImportStepDeps extends StepDeps {
  library: LibraryStore;
  records: ImportRecords;
  objects: UploadObjects;
  /** Items per ImportBatch (rounded up to whole report pages). */
  batchSize: number;
}

type JobImport = ImportSpec & { uploadKey: string; etag?: string; tier: Tier; maxFileBytes?: number };

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
  // A converted upload converts the same way every time (same ids and paths), so every step sees one archive.
  const options = { sourceFormat: spec.sourceFormat, verifyData, maxFileBytes: spec.maxFileBytes };
  return (await openUpload(source, spec.tier, options)).archive;
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
    const spec = importOf(job);
    const { source } = await deps.objects.open(spec.uploadKey, spec.etag);
    const { archive, format } = await openUpload(source, spec.tier, {
      sourceFormat: spec.sourceFormat,
      verifyData: false,
      maxFileBytes: spec.maxFileBytes,
    });
    let types: Set<ContentType>;
    try {
      const { items } = planImport(archive, optionsOf(spec));
      types = new Set(items.map((item) => item.type));
      const plan: StoredPlan = { format, exportId: exportIdOf(archive), items };
      await deps.objects.putJson(planKey(input.userId, input.jobId), plan);
    } finally {
      await archive.close();
    }
    const identities = await new ImportIdentities(deps.library, input.userId, input.jobId).load(types);
    await deps.objects.putJson(identitiesKey(input.userId, input.jobId), identities.toSnapshot());
    // Batches are whole report pages; a batch smaller than a page is one page.
    const pageSize = Math.min(RECORD_PAGE_SIZE, Math.max(1, deps.batchSize));
    const wanted = Math.max(deps.batchSize, Math.ceil(job.totalItems / MAX_BATCHES));
    const size = Math.ceil(Math.max(1, wanted) / pageSize) * pageSize;
    const batches: BatchRange[] = [];
    for (let begin = 0; begin < job.totalItems; begin += size) {
      batches.push({ start: begin, end: Math.min(job.totalItems, begin + size), pageSize });
    }
    return { batches };
  },

  importBatch: async (deps: ImportStepDeps, input: StepInput & { batch: BatchRange }) => {
    const { start: first, end, pageSize } = input.batch;
    const step = `import_batch:${first}-${end}`;
    const job = await record(deps, 'import', input, step);
    const key: JobKey = { ...input, kind: 'import' };
    const spec = importOf(job);
    let opened: Awaited<ReturnType<typeof openBatch>>;
    try {
      opened = await openBatch(deps, spec, await readPlan(deps, input));
    } catch (error) {
      if (error instanceof DomainError) return refuse(deps, 'import', input, error);
      throw error;
    }
    const { archive, plan } = opened;
    try {
      const snapshotKey = identitiesKey(input.userId, input.jobId);
      const identities = ImportIdentities.fromSnapshot(
        (await deps.objects.getJson(snapshotKey)) as IdentitySnapshot,
        deps.library,
        input.userId,
        input.jobId,
      );
      const { records, stopped } = await importItems(
        archive,
        plan.items,
        { start: first, end, pageSize },
        optionsOf(spec),
        {
          userId: input.userId,
          jobId: input.jobId,
          now: deps.clock.now(),
          library: deps.library,
          records: deps.records,
          source: { name: job.name, exportId: plan.exportId },
          firstRun: job.events.filter((event) => event.step === step).length === 1,
        },
        identities,
        // Progress after every page; a job no longer running (cancelled) stops there.
        (reached) => deps.jobs.update(key, ['in_progress'], { processedItems: reached }),
      );
      if (stopped) {
        throw new StepError('Chatbooks.JobNotRunnable', 'The import stopped: it is no longer running.');
      }
      // The next batch's renames must avoid the names this one took.
      await deps.objects.putJson(snapshotKey, identities.toSnapshot());
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
    await deps.objects.deleteObject(identitiesKey(input.userId, input.jobId)).catch(() => undefined);
    await deps.objects.deleteObject(planKey(input.userId, input.jobId)).catch(() => undefined);
    return { status: job.status, items: records.length };
  },
};
