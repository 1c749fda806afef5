import type { DomainError } from '../errors';
import type { Clock, Job, JobKind, JobStore } from '../jobs/job';

/**
 * The workflow steps of the export and import state machines. State carries keys only (user id, job id,
 * batch ranges); each step reads and writes the job item, and every write is conditional, so a step that
 * runs twice (a retry, a redelivery) leaves the job as one run would.
 */
export interface StepInput {
  userId: string;
  jobId: string;
}

export interface BatchRange {
  /** Index of the first item of the batch (inclusive). */
  start: number;
  /** Index after the last item (exclusive). */
  end: number;
  /** Items per report page within the batch (imports), the same for every batch of a job. */
  pageSize?: number;
}

/** Errors whose `name` the state machines match in Retry and Catch. */
export class StepError extends Error {
  constructor(
    readonly errorName:
      'Chatbooks.JobNotFound' | 'Chatbooks.JobNotRunnable' | 'Chatbooks.InvalidInput' | 'Chatbooks.Transient',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = errorName;
  }
}

export interface StepDeps {
  jobs: JobStore;
  clock: Clock;
}

export async function requireJob(deps: StepDeps, kind: JobKind, input: StepInput): Promise<Job> {
  const job = await deps.jobs.get({ ...input, kind });
  if (!job) throw new StepError('Chatbooks.JobNotFound', `No ${kind} job ${input.jobId} for this user.`);
  return job;
}

/** Starts the job: pending -> in_progress. Already in progress means a retry of this step: fine. */
export async function start(deps: StepDeps, kind: JobKind, input: StepInput, step: string): Promise<Job> {
  const key = { ...input, kind };
  const started = await deps.jobs.transition(key, ['pending'], 'in_progress', step, {
    startedAt: deps.clock.now().toISOString(),
  });
  if (started) return started;
  const job = await requireJob(deps, kind, input);
  if (job.status === 'in_progress') return job;
  throw new StepError('Chatbooks.JobNotRunnable', `The ${kind} job is ${job.status}; it will not run.`);
}

/** Records that a step ran on a job that must still be in progress. */
export async function record(deps: StepDeps, kind: JobKind, input: StepInput, step: string): Promise<Job> {
  const job = await deps.jobs.transition({ ...input, kind }, ['in_progress'], 'in_progress', step);
  if (job) return job;
  const current = await requireJob(deps, kind, input);
  throw new StepError(
    'Chatbooks.JobNotRunnable',
    `The ${kind} job is ${current.status}; step ${step} stops here.`,
  );
}

/** Completes the job: in_progress -> completed. A job already completed by an earlier run stays as it is. */
export async function complete(deps: StepDeps, kind: JobKind, input: StepInput, step: string): Promise<Job> {
  const job = await requireJob(deps, kind, input);
  const completed = await deps.jobs.transition({ ...input, kind }, ['in_progress'], 'completed', step, {
    completedAt: deps.clock.now().toISOString(),
    processedItems: job.totalItems,
  });
  if (completed) return completed;
  const current = await requireJob(deps, kind, input);
  if (current.status === 'completed') return current;
  throw new StepError(
    'Chatbooks.JobNotRunnable',
    `The ${kind} job is ${current.status}; it cannot complete.`,
  );
}

export interface FailureInput {
  userId: unknown;
  jobId: unknown;
  error?: { Error?: string | undefined; Cause?: string | undefined } | undefined;
}

/** Messages a person can act on, by the error name the state machine caught; internals never reach the job. */
const FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  'Chatbooks.JobNotFound': 'The job record was not found while it ran.',
  'Chatbooks.InvalidInput': 'The workflow was started with invalid input.',
  'Chatbooks.Transient': 'A storage service stayed unavailable after several retries. Start the job again.',
  'States.Timeout': 'The job took longer than its time limit. Try a smaller selection.',
};

/** Marks a job failed, unless it already ended (a cancelled job stays cancelled). Never throws on bad keys. */
export async function markFailed(
  deps: StepDeps,
  kind: JobKind,
  failure: FailureInput,
): Promise<{ status: string }> {
  const { userId, jobId } = failure;
  if (typeof userId !== 'string' || typeof jobId !== 'string' || !userId || !jobId)
    return { status: 'unrecorded' };
  const key = { userId, jobId, kind };
  const errorName = failure.error?.Error ?? 'Unknown';
  if (errorName === 'Chatbooks.JobNotRunnable') {
    // The job was cancelled or finished elsewhere: nothing to mark.
    return { status: (await deps.jobs.get(key))?.status ?? 'missing' };
  }
  const failed = await deps.jobs.transition(key, ['pending', 'in_progress'], 'failed', 'mark_failed', {
    completedAt: deps.clock.now().toISOString(),
    errorCode: errorName.startsWith('Chatbooks.') ? errorName.slice('Chatbooks.'.length) : 'internal',
    errorMessage:
      FAILURE_MESSAGES[errorName] ??
      `The ${kind} failed unexpectedly. Start it again; if it fails again, contact support with job id ${jobId}.`,
  });
  return { status: failed?.status ?? (await deps.jobs.get(key))?.status ?? 'missing' };
}

/**
 * A refusal a person can act on, met inside a step (the selection vanished, the upload changed or fails
 * validation): the job fails with its own message, and the step stops the workflow without MarkFailed rewriting it.
 */
export async function refuse(
  deps: StepDeps,
  kind: JobKind,
  input: StepInput,
  error: DomainError,
): Promise<never> {
  await deps.jobs.transition({ ...input, kind }, ['pending', 'in_progress'], 'failed', 'refused', {
    completedAt: deps.clock.now().toISOString(),
    errorCode: error.code,
    errorMessage: error.message,
  });
  throw new StepError('Chatbooks.JobNotRunnable', `The ${kind} was refused: ${error.code}`);
}
