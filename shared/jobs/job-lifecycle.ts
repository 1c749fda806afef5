/** What export and import jobs share around their workflows: starting one, cancelling one. */
import { ConflictError, NotFoundError } from '../errors';
import {
  UUID_PATTERN,
  type Clock,
  type Job,
  type JobKey,
  type JobKind,
  type JobStore,
  type JobWorkflows,
} from './job';

/**
 * Creates the pending job and starts its workflow, recording the execution. When the workflow cannot start, the
 * job fails with a message to retry, so no job is left pending with nothing to run it.
 */
export async function createAndStart(
  deps: { jobs: JobStore; workflows: JobWorkflows; clock: Clock },
  job: Job,
): Promise<Job> {
  await deps.jobs.create(job);
  const key: JobKey = { userId: job.userId, kind: job.kind, jobId: job.jobId };
  try {
    const executionArn = await deps.workflows.start({ userId: job.userId, jobId: job.jobId });
    await deps.jobs.update(key, ['pending', 'in_progress'], { executionArn });
    return { ...job, executionArn };
  } catch (error) {
    await deps.jobs.transition(key, ['pending'], 'failed', 'start_workflow', {
      completedAt: deps.clock.now().toISOString(),
      errorCode: 'workflow_unavailable',
      errorMessage: `The ${job.kind} could not be started. Try again in a minute.`,
    });
    throw error;
  }
}

/**
 * Marks a pending or running job cancelled (a conditional write: no step can complete it afterwards) and stops
 * its execution. A job that has already ended is a 409 that says what it ended as.
 */
export async function cancelJob(
  deps: { jobs: JobStore; workflows: JobWorkflows; clock: Clock },
  key: JobKey,
  current: Job,
  finishedHint: (job: Job) => string,
): Promise<Job> {
  const cancelled = await deps.jobs.transition(key, ['pending', 'in_progress'], 'cancelled', 'cancel', {
    completedAt: deps.clock.now().toISOString(),
  });
  if (!cancelled) {
    const latest = (await deps.jobs.get(key)) ?? current;
    throw new ConflictError(
      'job_finished',
      `The ${key.kind} is already ${latest.status}; only pending or running ${key.kind}s can be cancelled.${finishedHint(latest)}`,
      { details: { status: latest.status, processed_items: latest.processedItems } },
    );
  }
  if (cancelled.executionArn) {
    await deps.workflows.stop(cancelled.executionArn, 'Cancelled by the user.').catch(() => undefined);
  }
  return cancelled;
}

/** The caller's job of that kind; anything else (a malformed id, another user's job) is the same 404. */
export async function requireOwnJob(
  jobs: JobStore,
  userId: string,
  kind: JobKind,
  jobId: string,
): Promise<Job> {
  const job = UUID_PATTERN.test(jobId) ? await jobs.get({ userId, kind, jobId }) : undefined;
  if (!job) {
    throw new NotFoundError(
      'job_not_found',
      `No ${kind} job ${jobId.slice(0, 64)} for you. List yours with GET /${kind}/jobs.`,
    );
  }
  return job;
}
