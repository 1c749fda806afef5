import type { Clock, JobKey, JobStore } from '../jobs/job';

/** Lists jobs that have not reached a terminal state, oldest first, across users (the operator's view). */
export interface ActiveJobIndex {
  listActiveCreatedBefore(cutoff: Date, limit: number): Promise<JobKey[]>;
}

export interface SweepResult {
  examined: number;
  failedStale: number;
}

export const STALE_JOB_MESSAGE =
  'The job stopped making progress and was ended by the cleanup. Start it again; nothing was kept from this run.';

/**
 * Ends jobs stuck in pending or in_progress for longer than `staleAfterMs`: they become failed with a reason.
 * Conditional writes make two sweeps at once harmless: each job is failed once.
 */
export async function sweepStaleJobs(
  deps: { jobs: JobStore; index: ActiveJobIndex; clock: Clock },
  options: { staleAfterMs: number; batchSize?: number },
): Promise<SweepResult> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - options.staleAfterMs);
  const stale = await deps.index.listActiveCreatedBefore(cutoff, options.batchSize ?? 100);
  let failedStale = 0;
  for (const key of stale) {
    const failed = await deps.jobs.transition(key, ['pending', 'in_progress'], 'failed', 'cleanup', {
      completedAt: now.toISOString(),
      errorCode: 'stale_job',
      errorMessage: STALE_JOB_MESSAGE,
    });
    if (failed) failedStale += 1;
  }
  return { examined: stale.length, failedStale };
}
