// The JobStore port in memory, with the DynamoDB adapter's conditional semantics, for unit tests of steps.
import type {
  Job,
  JobKey,
  JobKind,
  JobListQuery,
  JobPage,
  JobPatch,
  JobStatus,
  JobStore,
} from '../../shared/jobs/job';

export class MemoryJobStore implements JobStore {
  readonly jobs = new Map<string, Job>();

  private id(key: JobKey): string {
    return `${key.userId}/${key.kind}/${key.jobId}`;
  }

  create(job: Job): Promise<void> {
    this.jobs.set(this.id(job), structuredClone(job));
    return Promise.resolve();
  }

  get(key: JobKey): Promise<Job | undefined> {
    const job = this.jobs.get(this.id(key));
    return Promise.resolve(job && structuredClone(job));
  }

  transition(key: JobKey, from: readonly JobStatus[], to: JobStatus, step: string, patch: JobPatch = {}) {
    const job = this.jobs.get(this.id(key));
    if (!job || !from.includes(job.status)) return Promise.resolve(undefined);
    Object.assign(job, patch, { status: to });
    job.events.push({ at: 'now', step, status: to });
    return Promise.resolve(structuredClone(job));
  }

  update(key: JobKey, when: readonly JobStatus[], patch: JobPatch): Promise<boolean> {
    const job = this.jobs.get(this.id(key));
    if (!job || !when.includes(job.status)) return Promise.resolve(false);
    Object.assign(job, structuredClone(patch));
    return Promise.resolve(true);
  }

  list(userId: string, kind: JobKind, query: JobListQuery): Promise<JobPage> {
    const jobs = [...this.jobs.values()]
      .filter(
        (job) => job.userId === userId && job.kind === kind && (!query.status || job.status === query.status),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, query.limit);
    return Promise.resolve({ jobs: structuredClone(jobs) });
  }

  recordDownload(key: JobKey, at: string): Promise<Job | undefined> {
    const job = this.jobs.get(this.id(key));
    if (job?.status !== 'completed') return Promise.resolve(undefined);
    job.downloadCount = (job.downloadCount ?? 0) + 1;
    job.lastDownloadedAt = at;
    return Promise.resolve(structuredClone(job));
  }
}
