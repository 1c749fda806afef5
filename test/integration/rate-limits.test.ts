// Per-user rate limits through the local cloud: concurrent requests past the limit get 429 with Retry-After and
// write nothing; other users and other actions are not counted together.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

let cloud: TestCloud;

before(async () => {
  cloud = await startTestCloud({
    functionEnvironment: { RATE_LIMITS_PER_MINUTE: 'export=3,preview=2,import=2,download=2' },
  });
  for (const user of ['rl-ann', 'rl-bob']) {
    const created = await cloud.post('/api/v1/library/note', user, {
      content: { title: 'A note', content: 'x' },
    });
    assert.equal(created.status, 201);
  }
});

after(async () => {
  await cloud.dispose();
});

describe('rate limits', () => {
  it('starts exactly the limit of ten simultaneous exports; the rest are 429 with Retry-After and no job', async () => {
    const request = { name: 'Notes', selection: { note: 'all' } };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => cloud.post('/api/v1/chatbooks/export', 'rl-ann', request)),
    );
    const statuses = responses.map((response) => response.status).sort();
    // A minute boundary in the middle would open a second window: then more than three may pass, never fewer.
    const passed = statuses.filter((status) => status === 201).length;
    assert.ok(passed >= 3 && passed <= 6, statuses.join(','));
    assert.equal(statuses.filter((status) => status === 429).length, 10 - passed);
    const refused = responses.find((response) => response.status === 429);
    assert.ok(refused);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    const body = (await refused.json()) as {
      error: { code: string; message: string; details: { limit: number } };
    };
    assert.equal(body.error.code, 'rate_limited');
    assert.equal(body.error.details.limit, 3);
    assert.match(body.error.message, /at most 3 exports a minute\. Try again in \d+ s\./);
    const jobs = (await (await cloud.call('/api/v1/chatbooks/export/jobs', { user: 'rl-ann' })).json()) as {
      jobs: unknown[];
    };
    assert.equal(jobs.jobs.length, passed);
    // Bob's exports and Ann's previews are counted apart.
    assert.equal((await cloud.post('/api/v1/chatbooks/export', 'rl-bob', request)).status, 201);
    const preview = await cloud.post('/api/v1/chatbooks/preview', 'rl-ann', { upload_id: 'no-such-upload' });
    assert.equal(preview.status, 404);
  });
});
