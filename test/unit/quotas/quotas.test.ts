// Quota admission, settlement and tier configuration as pure logic, over the in-memory ledger.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TooManyRequestsError } from '../../../shared/errors';
import type { AuthContext } from '../../../shared/http/auth';
import { JobEndNotifier } from '../../../shared/jobs/job-ended';
import type { Job } from '../../../shared/jobs/job';
import { jobSlot, QuotaService, settleEndedJob, utcDay } from '../../../shared/quotas/quotas';
import { DEFAULT_TIER_QUOTAS, parseTierQuotas } from '../../../shared/quotas/tiers';
import { MemoryJobStore } from '../../support/memory-job-store';
import { MemoryQuotaLedger } from '../../support/memory-quota-ledger';

const NOW = new Date('2026-11-22T22:00:00Z');
const free: AuthContext = { userId: 'ann', tier: 'free' };

function service(ledger = new MemoryQuotaLedger(), jobs = new MemoryJobStore()) {
  return {
    ledger,
    jobs,
    quotas: new QuotaService({ ledger, jobs, clock: { now: () => NOW }, tiers: DEFAULT_TIER_QUOTAS }),
  };
}

function job(overrides: Partial<Job> = {}): Job {
  return {
    userId: 'ann',
    jobId: 'j1',
    kind: 'export',
    status: 'in_progress',
    name: 'n',
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    totalItems: 0,
    processedItems: 0,
    events: [],
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<TooManyRequestsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof TooManyRequestsError, `expected a 429, got ${String(error)}`);
  return error;
}

describe('tier quotas', () => {
  it('lays configured numbers over the defaults, tier by tier', () => {
    const tiers = parseTierQuotas('{"free":{"concurrentJobs":3,"exportsPerDay":null}}');
    assert.equal(tiers.free.concurrentJobs, 3);
    assert.equal(tiers.free.exportsPerDay, null);
    assert.equal(tiers.free.importsPerDay, 10);
    assert.deepEqual(tiers.premium, DEFAULT_TIER_QUOTAS.premium);
    assert.deepEqual(parseTierQuotas(undefined), DEFAULT_TIER_QUOTAS);
  });

  it('refuses configuration it cannot trust', () => {
    assert.throws(() => parseTierQuotas('{free:'), /must be JSON/);
    assert.throws(() => parseTierQuotas('{"free":{"concurrentJobs":0}}'), /invalid/);
    assert.throws(() => parseTierQuotas('{"gold":{}}'), /invalid/);
    assert.throws(() => parseTierQuotas('{"free":{"maxJobs":3}}'), /invalid/);
  });
});

describe('admission', () => {
  it('admits up to the concurrent limit, then refuses with the limit, the use and a retry time', async () => {
    const { quotas, ledger } = service();
    await quotas.admit(free, 'export', 'a');
    await quotas.admit(free, 'import', 'b');
    const error = await refusal(quotas.admit(free, 'export', 'c'));
    assert.equal(error.code, 'concurrent_jobs_exceeded');
    assert.deepEqual(error.details, {
      quota: 'concurrent_jobs',
      tier: 'free',
      limit: 2,
      used: 2,
      frees_at: null,
    });
    assert.ok(error.retryAfterSeconds > 0);
    const state = await ledger.read('ann', utcDay(NOW));
    assert.deepEqual(state.today, { export: 1, import: 1 }, 'a refused job is not counted');
  });

  it('refuses past the daily count until UTC midnight and gives the slot back', async () => {
    const { quotas, ledger } = service();
    await ledger.setOverrides('ann', { exportsPerDay: 1, concurrentJobs: 5 });
    const first = await quotas.admit(free, 'export', 'a');
    const error = await refusal(quotas.admit(free, 'export', 'b'));
    assert.equal(error.code, 'daily_quota_exceeded');
    assert.equal(error.details?.frees_at, '2026-11-23T00:00:00.000Z');
    assert.equal(error.retryAfterSeconds, 2 * 3600);
    assert.deepEqual((await ledger.read('ann', utcDay(NOW))).activeJobs, [jobSlot('export', 'a')]);
    // Undo (the job was never created) gives back both the slot and the count.
    await first.undo();
    const state = await ledger.read('ann', utcDay(NOW));
    assert.deepEqual(state.activeJobs, []);
    assert.equal(state.today.export, 0);
    await quotas.admit(free, 'export', 'c');
  });

  it('refuses exports, not imports, while storage is full, saying when the oldest export expires', async () => {
    const { quotas, ledger, jobs } = service();
    await ledger.addStorage('ann', DEFAULT_TIER_QUOTAS.free.storageBytes ?? 0);
    const expiresAt = new Date(NOW.getTime() + 3600_000).toISOString();
    await jobs.create(job({ status: 'completed', archive: { key: 'k', fileName: 'f', expiresAt } }));
    const error = await refusal(quotas.admit(free, 'export', 'a'));
    assert.equal(error.code, 'storage_quota_exceeded');
    assert.equal(error.details?.frees_at, expiresAt);
    assert.equal(error.retryAfterSeconds, 3600);
    await quotas.admit(free, 'import', 'b');
  });

  it('lets unlimited tiers count without a ceiling', async () => {
    const { quotas, ledger } = service();
    const boss: AuthContext = { userId: 'boss', tier: 'enterprise' };
    for (let i = 0; i < 30; i++) {
      const admitted = await quotas.admit(boss, 'export', `j${i}`);
      await ledger.releaseSlots('boss', [jobSlot('export', `j${i}`)]);
      assert.ok(admitted);
    }
    assert.equal((await quotas.view(boss)).usage.exports_today, 30);
  });

  it('gives the admission back when the job could not be created, not once it exists', async () => {
    const { quotas, ledger, jobs } = service();
    await assert.rejects(
      quotas.runAdmitted(free, 'export', 'a', jobs, () => Promise.reject(new Error('no table'))),
      /no table/,
    );
    assert.deepEqual((await ledger.read('ann', utcDay(NOW))).activeJobs, []);
    await assert.rejects(
      quotas.runAdmitted(free, 'export', 'b', jobs, async () => {
        await jobs.create(job({ jobId: 'b' }));
        throw new Error('failed after create');
      }),
    );
    assert.deepEqual((await ledger.read('ann', utcDay(NOW))).activeJobs, [jobSlot('export', 'b')]);
  });
});

describe('a job’s end', () => {
  it('frees the slot on every end, refunds the day on failure, and holds export bytes until expiry', async () => {
    const ledger = new MemoryQuotaLedger();
    const day = utcDay(NOW);
    for (const id of ['done', 'failed', 'cancelled']) {
      await ledger.claimSlot('ann', jobSlot('export', id), 10);
      await ledger.countJob('ann', day, 'export', null);
    }
    const done = job({
      jobId: 'done',
      status: 'completed',
      archive: { key: 'k', fileName: 'f', sizeBytes: 500 },
    });
    await settleEndedJob(ledger, done);
    await settleEndedJob(ledger, job({ jobId: 'failed', status: 'failed' }));
    await settleEndedJob(ledger, job({ jobId: 'cancelled', status: 'cancelled' }));
    let state = await ledger.read('ann', day);
    assert.deepEqual(state.activeJobs, []);
    assert.equal(state.today.export, 2);
    assert.equal(state.storageBytes, 500);
    await settleEndedJob(ledger, { ...done, status: 'expired' });
    state = await ledger.read('ann', day);
    assert.equal(state.storageBytes, 0);
  });

  it('is told once per end, whichever path ends the job, and a failing listener does not undo it', async () => {
    const inner = new MemoryJobStore();
    const told: string[] = [];
    const store = new JobEndNotifier(inner, [
      (ended) => {
        told.push(`${ended.jobId}:${ended.status}`);
      },
      () => Promise.reject(new Error('listener down')),
    ]);
    await store.create(job({ status: 'pending' }));
    const key = { userId: 'ann', kind: 'export' as const, jobId: 'j1' };
    await store.transition(key, ['pending'], 'in_progress', 'start');
    assert.deepEqual(told, []);
    assert.ok(await store.transition(key, ['in_progress'], 'cancelled', 'cancel'));
    assert.equal(await store.transition(key, ['in_progress'], 'failed', 'mark_failed'), undefined);
    assert.deepEqual(told, ['j1:cancelled']);
    assert.equal((await inner.get(key))?.status, 'cancelled');
  });
});
