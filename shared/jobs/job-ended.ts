/**
 * One place that sees every job end: a JobStore that tells listeners about each transition into a terminal
 * state (completed, failed, cancelled, expired). Transitions are conditional, so each end is told once, whichever
 * path ended the job (a workflow step, a request, a cancel, the cleanup).
 */
import { logger } from '../observability/logger';
import {
  TERMINAL_STATUSES,
  type Job,
  type JobKey,
  type JobKind,
  type JobListQuery,
  type JobPage,
  type JobPatch,
  type JobStatus,
  type JobStore,
} from './job';

/** Something to do when a job ends: give back its quota, audit it, count it. */
export type JobEndedListener = (job: Job) => Promise<void> | void;

export class JobEndNotifier implements JobStore {
  constructor(
    private readonly inner: JobStore,
    private readonly listeners: readonly JobEndedListener[],
  ) {}

  create(job: Job): Promise<void> {
    return this.inner.create(job);
  }

  get(key: JobKey): Promise<Job | undefined> {
    return this.inner.get(key);
  }

  async transition(
    key: JobKey,
    from: readonly JobStatus[],
    to: JobStatus,
    step: string,
    patch?: JobPatch,
  ): Promise<Job | undefined> {
    const job = await this.inner.transition(key, from, to, step, patch);
    if (job && TERMINAL_STATUSES.has(to)) await this.notify(job);
    return job;
  }

  update(key: JobKey, when: readonly JobStatus[], patch: JobPatch): Promise<boolean> {
    return this.inner.update(key, when, patch);
  }

  list(userId: string, kind: JobKind, query: JobListQuery): Promise<JobPage> {
    return this.inner.list(userId, kind, query);
  }

  recordDownload(key: JobKey, at: string): Promise<Job | undefined> {
    return this.inner.recordDownload(key, at);
  }

  /** The job has ended already: a listener that fails is logged, never undoes or fails the transition. */
  private async notify(job: Job): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(job);
      } catch (error) {
        logger.error('job end listener failed', { jobId: job.jobId, status: job.status, error });
      }
    }
  }
}
