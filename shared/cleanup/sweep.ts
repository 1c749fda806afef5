/**
 * The cleanup: expires finished exports past their expiry and deletes their objects, fails jobs stuck past a
 * timeout, removes uploads and temp files never used after a day, and repairs quota counters. It runs for
 * everyone on the schedule and for one user on POST /cleanup. Every change is a conditional write or an
 * idempotent delete, so two runs at once do each thing once.
 */
import { TERMINAL_STATUSES, type Clock, type Job, type JobKey, type JobStore } from '../jobs/job';
import { utcDay, type QuotaLedger } from '../quotas/quotas';
import type { AuditLog } from '../audit/audit';

/** Jobs that have not reached a terminal state, oldest first, across users (the operator's view). */
export interface ActiveJobIndex {
  listActiveCreatedBefore(cutoff: Date, limit: number): Promise<JobKey[]>;
}

/** Completed exports by expiry, across users. */
export interface ExpiringExportIndex {
  listExpiringBefore(cutoff: Date, limit: number): Promise<JobKey[]>;
}

/** What the cleanup needs of the bucket. */
export interface CleanupObjects {
  /** Deletes everything under the export's folder; returns how many objects went. */
  deleteExportObjects(userId: string, jobId: string): Promise<number>;
  /** Deletes the user's uploads and temp files last written before `before`; returns how many went. */
  deleteStaleUploads(userId: string, before: Date): Promise<number>;
}

export interface CleanupDeps {
  /** Transitions go through the job-ended listeners, which give back quota and audit each end. */
  jobs: JobStore;
  activeIndex: ActiveJobIndex;
  expiringIndex: ExpiringExportIndex;
  objects: CleanupObjects;
  ledger: QuotaLedger;
  clock: Clock;
  /** The scheduled run records what it did for each user in their audit trail (a user's own run is audited as a request). */
  audit?: AuditLog;
}

export interface CleanupOptions {
  staleAfterMs: number;
  uploadMaxAgeMs?: number;
  /** How many of each kind one run handles (the schedule comes back for the rest). */
  batchSize?: number;
  /** A slot whose job is missing may belong to a job being created this instant: look again after this. */
  missingJobGraceMs?: number;
}

export interface CleanupResult {
  expiredExports: number;
  deletedObjects: number;
  failedStale: number;
  deletedUploads: number;
  releasedSlots: number;
  correctedStorage: number;
}

/** What POST /cleanup answers. */
export interface CleanupView {
  expired_exports: number;
  deleted_objects: number;
  failed_stale_jobs: number;
  deleted_uploads: number;
  released_slots: number;
  corrected_storage: boolean;
}

export function cleanupView(result: CleanupResult): CleanupView {
  return {
    expired_exports: result.expiredExports,
    deleted_objects: result.deletedObjects,
    failed_stale_jobs: result.failedStale,
    deleted_uploads: result.deletedUploads,
    released_slots: result.releasedSlots,
    corrected_storage: result.correctedStorage > 0,
  };
}

export const STALE_JOB_MESSAGE =
  'The job stopped making progress and was ended by the cleanup. Start it again; nothing was kept from this run.';

const DAY_MS = 24 * 3600 * 1000;
const ACTIVE = ['pending', 'in_progress'] as const;

/** The scope of a run: everyone (the schedule) or one user (POST /cleanup). */
export type CleanupScope = { kind: 'all' } | { kind: 'user'; userId: string };

export async function runCleanup(
  deps: CleanupDeps,
  scope: CleanupScope,
  options: CleanupOptions,
): Promise<CleanupResult> {
  const now = deps.clock.now();
  const batch = options.batchSize ?? 100;
  const result: CleanupResult = {
    expiredExports: 0,
    deletedObjects: 0,
    failedStale: 0,
    deletedUploads: 0,
    releasedSlots: 0,
    correctedStorage: 0,
  };

  const expiring =
    scope.kind === 'all'
      ? await deps.expiringIndex.listExpiringBefore(now, batch)
      : await userJobsWhere(deps.jobs, scope.userId, 'export', ['completed'], batch, (job) =>
          isPast(job.archive?.expiresAt, now),
        );
  for (const key of expiring) {
    // The job becomes expired first, so a repair running now never counts it, and only then are its bytes deleted.
    const expired = await deps.jobs.transition(key, ['completed'], 'expired', 'cleanup');
    if (!expired) continue;
    result.expiredExports += 1;
    result.deletedObjects += await deps.objects.deleteExportObjects(key.userId, key.jobId);
  }

  const cutoff = new Date(now.getTime() - options.staleAfterMs);
  const stale =
    scope.kind === 'all'
      ? await deps.activeIndex.listActiveCreatedBefore(cutoff, batch)
      : [
          ...(await userJobsWhere(deps.jobs, scope.userId, 'export', ACTIVE, batch, (job) =>
            isPast(job.createdAt, cutoff),
          )),
          ...(await userJobsWhere(deps.jobs, scope.userId, 'import', ACTIVE, batch, (job) =>
            isPast(job.createdAt, cutoff),
          )),
        ];
  for (const key of stale) {
    const failed = await deps.jobs.transition(key, ACTIVE, 'failed', 'cleanup', {
      completedAt: now.toISOString(),
      errorCode: 'stale_job',
      errorMessage: STALE_JOB_MESSAGE,
    });
    // A step still running finds the job failed at its next conditional write and stops there.
    if (failed) result.failedStale += 1;
  }

  // Every user who uploaded or ran a job has a quota item, so the ledger's users are everyone with objects here.
  const uploadCutoff = new Date(now.getTime() - (options.uploadMaxAgeMs ?? DAY_MS));
  for await (const userId of usersIn(scope, (limit, cursor) => deps.ledger.listUsers(limit, cursor))) {
    const deletedUploads = await deps.objects.deleteStaleUploads(userId, uploadCutoff);
    const repaired = await repairQuota(deps, userId, now, options.missingJobGraceMs ?? 2000);
    result.deletedUploads += deletedUploads;
    result.releasedSlots += repaired.releasedSlots;
    if (repaired.correctedStorage) result.correctedStorage += 1;
    const changed = deletedUploads > 0 || repaired.releasedSlots > 0 || repaired.correctedStorage;
    if (scope.kind === 'all' && changed && deps.audit) {
      // Expired and failed jobs are audited as job ends; what else the run did for this user is recorded here.
      await deps.audit.record(userId, {
        at: now.toISOString(),
        action: 'cleanup.scheduled',
        outcome: 'succeeded',
        details: {
          deleted_uploads: deletedUploads,
          released_slots: repaired.releasedSlots,
          corrected_storage: repaired.correctedStorage,
        },
      });
    }
  }
  return result;
}

/**
 * Puts one user's counters right: slots of jobs that ended (or never came to be) are released, and the storage
 * counter is set to the bytes of their completed exports, only if no job ended while it was being summed.
 */
async function repairQuota(
  deps: CleanupDeps,
  userId: string,
  now: Date,
  missingJobGraceMs: number,
): Promise<{ releasedSlots: number; correctedStorage: boolean }> {
  const day = utcDay(now);
  const state = await deps.ledger.read(userId, day);
  const ended: string[] = [];
  const missing: JobKey[] = [];
  for (const slot of state.activeJobs) {
    const key = slotKey(userId, slot);
    if (!key) {
      ended.push(slot);
      continue;
    }
    const job = await deps.jobs.get(key);
    if (!job) missing.push(key);
    else if (TERMINAL_STATUSES.has(job.status)) ended.push(slot);
  }
  if (missing.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, missingJobGraceMs));
    for (const key of missing) {
      if (!(await deps.jobs.get(key))) ended.push(`${key.kind}#${key.jobId}`);
    }
  }
  await deps.ledger.releaseSlots(userId, ended);

  let held = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.jobs.list(userId, 'export', { limit: 100, status: 'completed', cursor });
    for (const job of page.jobs) held += job.archive?.sizeBytes ?? 0;
    cursor = page.nextCursor;
  } while (cursor);
  const correctedStorage =
    held !== state.storageBytes && (await deps.ledger.setStorage(userId, held, state.storageBytes));
  return { releasedSlots: ended.length, correctedStorage };
}

function slotKey(userId: string, slot: string): JobKey | undefined {
  const [kind, jobId] = slot.split('#');
  if ((kind !== 'export' && kind !== 'import') || !jobId) return undefined;
  return { userId, kind, jobId };
}

function isPast(iso: string | undefined, now: Date): boolean {
  return iso !== undefined && Date.parse(iso) <= now.getTime();
}

async function userJobsWhere(
  jobs: JobStore,
  userId: string,
  kind: 'export' | 'import',
  statuses: readonly Job['status'][],
  limit: number,
  keep: (job: Job) => boolean,
): Promise<JobKey[]> {
  const keys: JobKey[] = [];
  for (const status of statuses) {
    let cursor: string | undefined;
    do {
      const page = await jobs.list(userId, kind, { limit: 100, status, cursor });
      for (const job of page.jobs) if (keep(job)) keys.push({ userId, kind, jobId: job.jobId });
      cursor = page.nextCursor;
    } while (cursor && keys.length < limit);
  }
  return keys.slice(0, limit);
}

async function* usersIn(
  scope: CleanupScope,
  page: (limit: number, cursor?: string) => Promise<{ userIds: string[]; cursor?: string }>,
): AsyncGenerator<string> {
  if (scope.kind === 'user') {
    yield scope.userId;
    return;
  }
  let cursor: string | undefined;
  do {
    const next = await page(100, cursor);
    yield* next.userIds;
    cursor = next.cursor;
  } while (cursor);
}
