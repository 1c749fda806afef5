// Quotas through the local cloud: atomic admission under concurrency, slots given back on every kind of end,
// daily counts, storage, per-user overrides, and the tier taken from the verified token only.
import assert from 'node:assert/strict';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { after, before, describe, it } from 'node:test';
import { DynamoQuotaLedger } from '../../shared/aws/dynamo-quota-ledger';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

let cloud: TestCloud;
let ledger: DynamoQuotaLedger;
/** A small chatbook to import, exported by a user of its own. */
let chatbook: Buffer;
const API = '/api/v1/chatbooks';
const EXPORT = { name: 'Notes', selection: { note: 'all' }, async: true };

interface QuotaBody {
  tier: string;
  limits: { concurrent_jobs: number; exports_per_day: number | null; storage_bytes: number | null };
  usage: { active_jobs: number; exports_today: number; imports_today: number; storage_bytes: number };
  day_resets_at: string;
}

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details: { quota: string; limit: number; used: number; frees_at: string | null; tier: string };
  };
}

async function quota(user: string, tier?: 'free' | 'premium' | 'enterprise'): Promise<QuotaBody> {
  const response = await fetch(`${cloud.url}${API}/quota`, {
    headers: { authorization: `Bearer ${cloud.token({ userId: user, ...(tier ? { tier } : {}) })}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()) as QuotaBody;
}

async function jobStatus(user: string, kind: 'export' | 'import', jobId: string): Promise<string> {
  const response = await cloud.call(`${API}/${kind}/jobs/${jobId}`, { user });
  return ((await response.json()) as { status: string }).status;
}

async function seedNote(user: string): Promise<void> {
  const created = await cloud.post('/api/v1/library/note', user, {
    content: { title: `A note of ${user}`, content: 'quota test' },
  });
  assert.equal(created.status, 201);
}

before(async () => {
  // The tiers' own defaults (free: 2 at once, 10 exports a day, 1 GB), not the test cloud's lifted ones.
  cloud = await startTestCloud({ functionEnvironment: { TIER_QUOTAS: '{}' } });
  ledger = new DynamoQuotaLedger(cloud.documents, cloud.resources.jobsTable);
  await seedNote('q-source');
  const exported = await cloud.post(`${API}/export`, 'q-source', { ...EXPORT, async: false });
  const { job_id } = (await exported.json()) as { job_id: string };
  const download = await cloud.call(`${API}/download/${job_id}`, { user: 'q-source' });
  assert.equal(download.status, 200);
  chatbook = Buffer.from(await download.arrayBuffer());
});

after(async () => {
  await cloud.dispose();
});

describe('quotas', () => {
  it('starts exactly two of twenty simultaneous exports from a free user; the rest are 429 and write nothing', async () => {
    const user = 'q-free';
    await seedNote(user);
    const release = cloud.holdWorkflows();
    let admitted: string[];
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => cloud.post(`${API}/export`, user, EXPORT)),
      );
      const statuses = responses.map((response) => response.status);
      assert.equal(statuses.filter((status) => status === 202).length, 2, statuses.join(','));
      assert.equal(statuses.filter((status) => status === 429).length, 18, statuses.join(','));
      const refused = responses.find((response) => response.status === 429);
      assert.ok(refused);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      const body = (await refused.json()) as ErrorBody;
      assert.equal(body.error.code, 'concurrent_jobs_exceeded');
      assert.deepEqual(
        { quota: body.error.details.quota, limit: body.error.details.limit, used: body.error.details.used },
        { quota: 'concurrent_jobs', limit: 2, used: 2 },
      );
      assert.equal(body.error.details.frees_at, null);
      assert.match(body.error.message, /runs 2 at once\. Wait for one to finish or cancel one/);
      const accepted = responses.filter((response) => response.status === 202);
      admitted = await Promise.all(
        accepted.map(async (response) => ((await response.json()) as { job_id: string }).job_id),
      );
      const listed = (await (await cloud.call(`${API}/export/jobs`, { user })).json()) as {
        jobs: { job_id: string }[];
      };
      assert.deepEqual(listed.jobs.map((job) => job.job_id).sort(), [...admitted].sort());
      const held = await quota(user);
      assert.equal(held.usage.active_jobs, 2);
      assert.equal(held.usage.exports_today, 2);
    } finally {
      release();
    }
    await cloud.idle();
    for (const jobId of admitted) assert.equal(await jobStatus(user, 'export', jobId), 'completed');
    const after = await quota(user);
    assert.equal(after.usage.active_jobs, 0);
    assert.ok(after.usage.storage_bytes > 0, 'completed exports count as storage');
    assert.equal((await cloud.post(`${API}/export`, user, EXPORT)).status, 202);
    await cloud.idle();
  });

  it('gives the slot back when a job is cancelled or fails, and a failed job does not count for the day', async () => {
    const user = 'q-ends';
    await seedNote(user);
    const release = cloud.holdWorkflows();
    try {
      const first = (await (await cloud.post(`${API}/export`, user, EXPORT)).json()) as { job_id: string };
      const uploadId = await cloud.upload(user, chatbook);
      const imported = await cloud.post(`${API}/import`, user, {
        upload_id: uploadId,
        strategy: 'skip',
        async: true,
      });
      assert.equal(imported.status, 202);
      const importJob = ((await imported.json()) as { job_id: string }).job_id;
      assert.equal((await cloud.post(`${API}/export`, user, EXPORT)).status, 429);
      assert.equal((await quota(user)).usage.imports_today, 1);

      // A cancel frees a slot at once.
      const cancelled = await cloud.call(`${API}/export/jobs/${first.job_id}`, { user, method: 'DELETE' });
      assert.equal(cancelled.status, 200);
      assert.equal((await quota(user)).usage.active_jobs, 1);

      // The import fails when it runs: its upload is gone.
      await cloud.s3.send(
        new DeleteObjectCommand({
          Bucket: cloud.resources.bucket,
          Key: `users/${user}/chatbooks/imports/${uploadId}.chatbook`,
        }),
      );
      release();
      await cloud.idle();
      assert.equal(await jobStatus(user, 'import', importJob), 'failed');
    } finally {
      release();
    }
    const after = await quota(user);
    assert.equal(after.usage.active_jobs, 0);
    assert.equal(after.usage.imports_today, 0, 'a failed import is not counted for the day');
    assert.equal(after.usage.exports_today, 1, 'a cancelled export still counts');
  });

  it('refuses past the day’s count with when it frees up, and applies a per-user override', async () => {
    const user = 'q-daily';
    await seedNote(user);
    await ledger.setOverrides(user, { exportsPerDay: 3 });
    const sync = { name: 'Notes', selection: { note: 'all' }, async: false };
    for (let i = 0; i < 3; i++) assert.equal((await cloud.post(`${API}/export`, user, sync)).status, 201);
    const refused = await cloud.post(`${API}/export`, user, sync);
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as ErrorBody;
    assert.equal(body.error.code, 'daily_quota_exceeded');
    assert.equal(body.error.details.limit, 3);
    assert.equal(body.error.details.used, 3);
    const view = await quota(user);
    assert.equal(body.error.details.frees_at, view.day_resets_at);
    assert.ok(Number(refused.headers.get('retry-after')) <= 24 * 3600);
    assert.equal(view.limits.exports_per_day, 3);
    assert.equal(view.limits.concurrent_jobs, 2, 'what the override leaves out stays the tier’s');
    // Imports have their own count.
    const uploadId = await cloud.upload(user, chatbook);
    const imported = await cloud.post(`${API}/import`, user, { upload_id: uploadId, strategy: 'skip' });
    assert.equal(imported.status, 201);
  });

  it('refuses a new export while stored exports fill the storage quota, saying when space frees', async () => {
    const user = 'q-storage';
    await seedNote(user);
    await ledger.setOverrides(user, { storageBytes: 1 });
    const sync = { name: 'Notes', selection: { note: 'all' }, async: false };
    const first = (await (await cloud.post(`${API}/export`, user, sync)).json()) as { expires_at: string };
    const refused = await cloud.post(`${API}/export`, user, sync);
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as ErrorBody;
    assert.equal(body.error.code, 'storage_quota_exceeded');
    assert.equal(body.error.details.limit, 1);
    assert.ok(body.error.details.used > 1);
    assert.equal(body.error.details.frees_at, first.expires_at);
    const jobs = (await (await cloud.call(`${API}/export/jobs`, { user })).json()) as { jobs: unknown[] };
    assert.equal(jobs.jobs.length, 1, 'a refusal creates no job');
  });

  it('takes the tier from the verified token, never from the request', async () => {
    const premium = await quota('q-tier', 'premium');
    assert.equal(premium.tier, 'premium');
    assert.equal(premium.limits.concurrent_jobs, 5);
    const enterprise = await quota('q-tier', 'enterprise');
    assert.equal(enterprise.limits.exports_per_day, null);
    assert.equal(enterprise.limits.storage_bytes, null);
    const smuggled = await cloud.post(`${API}/export`, 'q-tier', { ...EXPORT, tier: 'enterprise' });
    assert.equal(smuggled.status, 400);
  });

  it('caps uploads at the file size of the tier or the user’s override, with 413', async () => {
    const user = 'q-size';
    const tooBig = await cloud.post(`${API}/uploads`, user, { size_bytes: 101 * 1024 * 1024 });
    assert.equal(tooBig.status, 413);
    await ledger.setOverrides(user, { maxFileBytes: 200 * 1024 * 1024 });
    assert.equal((await cloud.post(`${API}/uploads`, user, { size_bytes: 101 * 1024 * 1024 })).status, 201);
  });
});
