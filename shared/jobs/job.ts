/**
 * Jobs: one export or import a user asked for, and the states it passes through.
 * pending -> in_progress -> completed | failed | cancelled; a completed export later becomes expired.
 */
export const JOB_KINDS = ['export', 'import'] as const;

/** Job and upload ids are random UUIDs; anything else is refused before it reaches a key. */
export const UUID_PATTERN = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/i;
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
  /** Bytes planned and written so far (exports: library bytes read into the archive). */
  totalBytes?: number;
  processedBytes?: number;
  /** What the user asked for (an export's request, normalized); read by the workflow steps. */
  request?: Record<string, unknown>;
  /** An export's archive while it is written and once it is done. */
  archive?: ExportArchive;
  /** The running workflow execution, so a cancel can stop it. */
  executionArn?: string;
  warnings?: string[];
  /** An import's outcomes so far: imported, skipped, renamed, merged, overwritten, failed. */
  outcomes?: Record<string, number>;
  downloadCount?: number;
  lastDownloadedAt?: string;
}

export interface ExportArchive {
  /** The S3 key of the chatbook, under users/<uid>/chatbooks/exports/<job_id>/. */
  key: string;
  fileName: string;
  /** Set while the multipart upload is open, so a failure or a cancel can abort it. */
  uploadId?: string;
  sizeBytes?: number;
  sha256?: string;
  formatVersion?: string;
  expiresAt?: string;
}

export interface JobKey {
  userId: string;
  kind: JobKind;
  jobId: string;
}

/** What a step may change on a job besides its status. */
export type JobPatch = Partial<
  Pick<
    Job,
    | 'startedAt'
    | 'completedAt'
    | 'errorCode'
    | 'errorMessage'
    | 'totalItems'
    | 'processedItems'
    | 'totalBytes'
    | 'processedBytes'
    | 'archive'
    | 'executionArn'
    | 'warnings'
    | 'outcomes'
  >
>;

export interface JobListQuery {
  limit: number;
  cursor?: string | undefined;
  status?: JobStatus | undefined;
}

export interface JobPage {
  jobs: Job[];
  nextCursor?: string;
}

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
  /** Sets fields (progress) without an event, only while the job is in one of `when`; false otherwise. */
  update(key: JobKey, when: readonly JobStatus[], patch: JobPatch): Promise<boolean>;
  /** A user's jobs of one kind, newest first. */
  list(userId: string, kind: JobKind, query: JobListQuery): Promise<JobPage>;
  /** Counts one download of a completed job; returns the job as it is after, or undefined if not completed. */
  recordDownload(key: JobKey, at: string): Promise<Job | undefined>;
}

/** A job's state machine: started once per job (by name), stopped on cancel. */
export interface JobWorkflows {
  /** Starts the workflow for the job (idempotent by job id); returns the execution ARN. */
  start(input: { userId: string; jobId: string }): Promise<string>;
  /** Stops a running execution; an execution already finished is not an error. */
  stop(executionArn: string, cause: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
