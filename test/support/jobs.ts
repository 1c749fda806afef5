// Jobs written straight to the store, with no workflow behind them: they stay where a test puts them.
import { randomUUID } from 'node:crypto';
import type { Job, JobKind } from '../../shared/jobs/job';

/** A job of `kind` for `userId`, pending and created now unless `overrides` say otherwise. */
export function bareJob(userId: string, kind: JobKind, overrides: Partial<Job> = {}): Job {
  const at = overrides.createdAt ?? new Date().toISOString();
  const status = overrides.status ?? 'pending';
  return {
    userId,
    jobId: randomUUID(),
    kind,
    status,
    name: 'Stuck job',
    createdAt: at,
    updatedAt: at,
    totalItems: 0,
    processedItems: 0,
    events: [{ at, step: 'request', status }],
    ...overrides,
  };
}
