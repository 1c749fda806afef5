// Rate limits: fixed one-minute windows per user and action, a 429 that says when to retry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TooManyRequestsError } from '../../../shared/errors';
import { parseRateLimits, RateLimiter, type RateCounter } from '../../../shared/quotas/rate-limits';

class MemoryCounter implements RateCounter {
  readonly counts = new Map<string, number>();
  take(userId: string, window: string, limit: number): Promise<boolean> {
    const key = `${userId}/${window}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= limit) return Promise.resolve(false);
    this.counts.set(key, count + 1);
    return Promise.resolve(true);
  }
}

function limiterAt(start: string) {
  const clock = {
    at: new Date(start),
    now() {
      return this.at;
    },
  };
  const limiter = new RateLimiter(new MemoryCounter(), parseRateLimits('export=2'), clock);
  return { limiter, clock };
}

describe('rate limits', () => {
  it('lets the limit through, refuses the next with the seconds left in the window, and resets after it', async () => {
    const { limiter, clock } = limiterAt('2026-11-22T10:00:15.000Z');
    await limiter.check('ann', 'export');
    await limiter.check('ann', 'export');
    const refused = await limiter.check('ann', 'export').then(
      () => assert.fail('a third export in the minute is refused'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof TooManyRequestsError);
    assert.equal(refused.code, 'rate_limited');
    assert.equal(refused.retryAfterSeconds, 45);
    assert.deepEqual(refused.details, {
      action: 'export',
      limit: 2,
      window_seconds: 60,
      retry_after_seconds: 45,
    });
    // Another user and another action count apart.
    await limiter.check('bob', 'export');
    await limiter.check('ann', 'preview');
    clock.at = new Date('2026-11-22T10:01:00.000Z');
    await limiter.check('ann', 'export');
  });

  it('reads limits over the defaults and refuses a malformed setting', () => {
    assert.deepEqual(parseRateLimits('import=7, download=1'), {
      export: 5,
      import: 7,
      preview: 10,
      download: 1,
    });
    assert.deepEqual(parseRateLimits(undefined), { export: 5, import: 5, preview: 10, download: 20 });
    for (const bad of ['export', 'export=0', 'upload=3', 'export=1.5'])
      assert.throws(() => parseRateLimits(bad), /Invalid rate limit/);
  });
});
