import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { JobStatus } from '../../../shared/jobs/job';
import {
  complete,
  markFailed,
  record,
  start,
  StepError,
  type StepDeps,
} from '../../../shared/workflows/steps';
import { MemoryJobStore } from '../../support/memory-job-store';

const clock = { now: () => new Date('2026-01-01T00:00:00Z') };
let store: MemoryJobStore;
let deps: StepDeps;
const key = { userId: 'u1', jobId: 'j1' };

async function seed(kind: 'export' | 'import', status: JobStatus, totalItems = 0) {
  await store.create({
    ...key,
    kind,
    status,
    name: 'n',
    createdAt: 'then',
    updatedAt: 'then',
    totalItems,
    processedItems: 0,
    events: [],
  });
}

beforeEach(() => {
  store = new MemoryJobStore();
  deps = { jobs: store, clock };
});

describe('job lifecycle steps', () => {
  it('start a pending job, and a retried Prepare finds it in progress and goes on', async () => {
    await seed('export', 'pending', 5);
    assert.equal((await start(deps, 'export', key, 'prepare')).totalItems, 5);
    assert.equal((await start(deps, 'export', key, 'prepare')).totalItems, 5);
    const job = await store.get({ ...key, kind: 'export' });
    assert.equal(job?.status, 'in_progress');
    assert.equal(job.startedAt, '2026-01-01T00:00:00.000Z');
    assert.equal(job.events.length, 1);
  });

  it('refuse to run a cancelled job, and never complete it', async () => {
    await seed('export', 'cancelled');
    await assert.rejects(
      start(deps, 'export', key, 'prepare'),
      (e: unknown) => e instanceof StepError && e.name === 'Chatbooks.JobNotRunnable',
    );
    await assert.rejects(complete(deps, 'export', key, 'finalize'), /cancelled/);
    assert.equal((await store.get({ ...key, kind: 'export' }))?.status, 'cancelled');
  });

  it('complete once: a repeated Finalize keeps the job completed', async () => {
    await seed('export', 'in_progress', 2);
    assert.equal((await complete(deps, 'export', key, 'finalize')).status, 'completed');
    assert.equal((await complete(deps, 'export', key, 'finalize')).status, 'completed');
    assert.equal((await store.get({ ...key, kind: 'export' }))?.processedItems, 2);
  });

  it('say a missing job is missing', async () => {
    await assert.rejects(
      record(deps, 'import', key, 'plan'),
      (e: unknown) => e instanceof StepError && e.name === 'Chatbooks.JobNotFound',
    );
  });
});

describe('MarkFailed', () => {
  it('records a message a person can act on, never the raw cause', async () => {
    await seed('import', 'in_progress');
    const result = await markFailed(deps, 'import', {
      ...key,
      error: { Error: 'Chatbooks.Transient', Cause: 'secret stack' },
    });
    assert.deepEqual(result, { status: 'failed' });
    const job = await store.get({ ...key, kind: 'import' });
    assert.equal(job?.errorCode, 'Transient');
    assert.match(job.errorMessage ?? '', /Start the job again/);
    assert.doesNotMatch(JSON.stringify(job), /secret stack/);
  });

  it('names the job id for unknown failures', async () => {
    await seed('import', 'pending');
    await markFailed(deps, 'import', { ...key, error: { Error: 'TypeError', Cause: 'x' } });
    const job = await store.get({ ...key, kind: 'import' });
    assert.equal(job?.errorCode, 'internal');
    assert.match(job.errorMessage ?? '', /job id j1/);
  });

  it('leaves a cancelled job cancelled and tolerates keys that are not strings', async () => {
    await seed('import', 'cancelled');
    assert.deepEqual(
      await markFailed(deps, 'import', { ...key, error: { Error: 'Chatbooks.JobNotRunnable' } }),
      {
        status: 'cancelled',
      },
    );
    assert.deepEqual(await markFailed(deps, 'import', { ...key, error: { Error: 'States.Timeout' } }), {
      status: 'cancelled',
    });
    assert.deepEqual(await markFailed(deps, 'import', { userId: 42, jobId: null }), {
      status: 'unrecorded',
    });
  });
});
