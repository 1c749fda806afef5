/**
 * Jobs: one export or import a user asked for, and the states it passes through.
 * pending -> in_progress -> completed | failed | cancelled; a completed export later becomes expired.
 */
export const JOB_KINDS = ['export', 'import'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
  'expired',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'expired',
]);

/** One recorded step of a job's life: a workflow step that ran, or a status it entered. */
export interface JobEvent {
  at: string;
  step: string;
  status: JobStatus;
}

export interface Job {
  userId: string;
  jobId: string;
  kind: JobKind;
  status: JobStatus;
  name: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  errorCode?: string;
  errorMessage?: string;
  totalItems: number;
  processedItems: number;
  events: JobEvent[];
}

export interface JobKey {
  userId: string;
  kind: JobKind;
  jobId: string;
}

/** What a step may change on a job besides its status. */
export type JobPatch = Partial<
  Pick<Job, 'startedAt' | 'completedAt' | 'errorCode' | 'errorMessage' | 'totalItems' | 'processedItems'>
>;

/** The jobs port: the DynamoDB adapter implements it; every key is scoped by the verified user id. */
export interface JobStore {
  create(job: Job): Promise<void>;
  get(key: JobKey): Promise<Job | undefined>;
  /**
   * Moves a job to `to` only if its status is one of `from` (a conditional write), appending the event.
   * Returns the updated job, or undefined when the job is missing or in another state.
   */
  transition(
    key: JobKey,
    from: readonly JobStatus[],
    to: JobStatus,
    step: string,
    patch?: JobPatch,
  ): Promise<Job | undefined>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
