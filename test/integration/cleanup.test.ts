// The cleanup through the local cloud, judged by a fake clock (the scheduled event's time): it expires exports
// past expires_at and deletes exactly their objects, fails stuck jobs, removes day-old uploads, repairs quota
// counters, does each thing once when two runs race, and POST /cleanup touches only the caller's data.
import assert from 'node:assert/strict';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { after, before, describe, it } from 'node:test';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import { DynamoQuotaLedger } from '../../shared/aws/dynamo-quota-ledger';
import type { CleanupResult } from '../../shared/cleanup/sweep';
import { jobSlot, utcDay } from '../../shared/quotas/quotas';
import type { Job } from '../../shared/jobs/job';
import { bareJob } from '../support/jobs';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

let cloud: TestCloud;
let s3: S3Client;
let jobs: DynamoJobStore;
let ledger: DynamoQuotaLedger;
const API = '/api/v1/chatbooks';
const HOUR = 3600_000;

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: cloud.resources.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

/** A finished sync export of the user's notes: its job id. */
async function exportNotes(user: string): Promise<string> {
  const response = await cloud.post(`${API}/export`, user, {
    name: 'Notes',
    selection: { note: 'all' },
    async: false,
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { job_id: string }).job_id;
}

async function exportStatus(user: string, jobId: string): Promise<string> {
  const response = await cloud.call(`${API}/export/jobs/${jobId}`, { user });
  return ((await response.json()) as { status: string }).status;
}

async function runScheduled(time: Date): Promise<CleanupResult> {
  const [result] = (await cloud.runRule('cleanup', { time })) as CleanupResult[];
  assert.ok(result);
  return result;
}

function staleJob(user: string, createdAt: Date): Job {
  return bareJob(user, 'import', {
    status: 'in_progress',
    createdAt: createdAt.toISOString(),
    totalItems: 1,
  });
}

before(async () => {
  cloud = await startTestCloud({ functionEnvironment: { TIER_QUOTAS: '{}' } });
  s3 = cloud.s3;
  jobs = new DynamoJobStore(cloud.documents, cloud.resources.jobsTable);
  ledger = new DynamoQuotaLedger(cloud.documents, cloud.resources.jobsTable);
  for (const user of ['cl-ann', 'cl-bob']) {
    const created = await cloud.post('/api/v1/library/note', user, {
      content: { title: `Note of ${user}`, content: 'cleanup test' },
    });
    assert.equal(created.status, 201);
  }
});

after(async () => {
  await cloud.dispose();
});

describe('the cleanup', () => {
  it('expires exactly the exports past expires_at, deletes their objects, fails stuck jobs and repairs counters', async () => {
    const now = new Date();
    const annExport = await exportNotes('cl-ann');
    const bobExport = await exportNotes('cl-bob');
    const annPrefix = `users/cl-ann/chatbooks/exports/${annExport}/`;
    assert.equal((await keysUnder(annPrefix)).length, 1);
    const stored = (await ledger.read('cl-ann', utcDay(now))).storageBytes;
    assert.ok(stored > 0);

    // A job stuck for five hours that holds a slot, a slot leaked by a job that ended, storage counted wrong.
    const stuck = staleJob('cl-ann', new Date(now.getTime() - 5 * HOUR));
    await jobs.create(stuck);
    assert.ok(await ledger.claimSlot('cl-ann', jobSlot('import', stuck.jobId), 10));
    assert.ok(await ledger.claimSlot('cl-ann', jobSlot('export', annExport), 10));
    await ledger.addStorage('cl-bob', 12345);
    const bobStored = (await ledger.read('cl-bob', utcDay(now))).storageBytes;
    const uploadId = await cloud.upload('cl-ann', Buffer.from('not yet imported'));

    // An hour on: the exports have a day to go and the upload is fresh; the stuck job fails, the counters mend.
    const first = await runScheduled(new Date(now.getTime() + HOUR));
    assert.equal(first.expiredExports, 0);
    assert.equal(first.deletedUploads, 0);
    assert.equal(first.failedStale, 1);
    assert.equal(first.releasedSlots, 1, 'the leaked slot of the completed export');
    assert.equal(first.correctedStorage, 1, "Bob's storage");
    assert.equal((await jobs.get(stuck))?.status, 'failed');
    assert.equal((await jobs.get(stuck))?.errorCode, 'stale_job');
    const ann = await ledger.read('cl-ann', utcDay(now));
    assert.deepEqual(ann.activeJobs, []);
    assert.equal((await ledger.read('cl-bob', utcDay(now))).storageBytes, bobStored - 12345);
    assert.equal(await exportStatus('cl-ann', annExport), 'completed');

    // A day and an hour on, two runs at once: each export expires once, its objects go, the upload goes.
    const later = new Date(now.getTime() + 25 * HOUR);
    const [a, b] = await Promise.all([runScheduled(later), runScheduled(later)]);
    assert.equal(a.expiredExports + b.expiredExports, 2);
    assert.equal(a.failedStale + b.failedStale, 0);
    assert.equal(await exportStatus('cl-ann', annExport), 'expired');
    assert.equal(await exportStatus('cl-bob', bobExport), 'expired');
    assert.deepEqual(await keysUnder(annPrefix), []);
    assert.deepEqual(await keysUnder(`users/cl-bob/chatbooks/exports/${bobExport}/`), []);
    assert.deepEqual(await keysUnder(`users/cl-ann/chatbooks/imports/${uploadId}`), []);
    assert.equal((await ledger.read('cl-ann', utcDay(now))).storageBytes, 0);
    assert.equal((await ledger.read('cl-bob', utcDay(now))).storageBytes, 0);
    // Library files are not the cleanup's: the notes are still there.
    const notes = (await (await cloud.call('/api/v1/library/note', { user: 'cl-ann' })).json()) as {
      items: unknown[];
    };
    assert.equal(notes.items.length, 1);
    const download = await cloud.call(`${API}/download/${annExport}`, { user: 'cl-ann', redirect: 'manual' });
    assert.equal(download.status, 410);

    // Ann's trail has the ends of her jobs and what the scheduled run did for her; Bob's has none of it.
    const trail = async (user: string) =>
      (
        (await (await cloud.call(`${API}/audit?limit=100`, { user })).json()) as {
          events: { action: string; job_id: string | null; details: Record<string, unknown> }[];
        }
      ).events;
    const annTrail = await trail('cl-ann');
    assert.ok(annTrail.some((event) => event.action === 'export.expired' && event.job_id === annExport));
    assert.ok(annTrail.some((event) => event.action === 'import.failed' && event.job_id === stuck.jobId));
    assert.ok(
      annTrail.some((event) => event.action === 'cleanup.scheduled' && event.details.deleted_uploads === 1),
    );
    assert.ok(!(await trail('cl-bob')).some((event) => event.job_id === annExport));

    const again = await runScheduled(later);
    assert.deepEqual(
      [
        again.expiredExports,
        again.deletedObjects,
        again.failedStale,
        again.deletedUploads,
        again.releasedSlots,
      ],
      [0, 0, 0, 0, 0],
    );
  });

  it("POST /cleanup runs for the caller only and never touches another user's jobs", async () => {
    const old = new Date(Date.now() - 5 * HOUR);
    const annStuck = staleJob('cl-ann', old);
    const bobStuck = staleJob('cl-bob', old);
    await jobs.create(annStuck);
    await jobs.create(bobStuck);
    const response = await cloud.post(`${API}/cleanup`, 'cl-ann', {});
    assert.equal(response.status, 200);
    const body = (await response.json()) as { failed_stale_jobs: number; expired_exports: number };
    assert.equal(body.failed_stale_jobs, 1);
    assert.equal(body.expired_exports, 0);
    assert.equal((await jobs.get(annStuck))?.status, 'failed');
    assert.equal((await jobs.get(bobStuck))?.status, 'in_progress');
  });
});
