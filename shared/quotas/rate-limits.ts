/**
 * Per-user rate limits: so many exports, imports, previews and downloads a minute (fixed one-minute windows).
 * The count lives in a store shared by every Lambda (a conditional increment), so concurrent requests cannot
 * slip past the limit; a refusal is a 429 that says when to try again.
 */
import { TooManyRequestsError } from '../errors';
import type { Clock } from '../jobs/job';

export const RATE_LIMITED_ACTIONS = ['export', 'import', 'preview', 'download'] as const;
export type RateLimitedAction = (typeof RATE_LIMITED_ACTIONS)[number];

/** Requests a minute per user. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitedAction, number>> = {
  export: 5,
  import: 5,
  preview: 10,
  download: 20,
};

const WINDOW_SECONDS = 60;

/** The counter port: one more in `window` for the user, unless it already holds `limit`. */
export interface RateCounter {
  take(userId: string, window: string, limit: number, expiresAt: Date): Promise<boolean>;
}

/** `export=5,import=5` (any subset) over the defaults; a malformed value is a deployment error. */
export function parseRateLimits(text: string | undefined): Record<RateLimitedAction, number> {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [action, value] = part.split('=');
    const count = Number(value);
    if (
      !RATE_LIMITED_ACTIONS.includes(action as RateLimitedAction) ||
      !Number.isSafeInteger(count) ||
      count < 1
    )
      throw new Error(
        `Invalid rate limit "${part}": use action=count with action one of ${RATE_LIMITED_ACTIONS.join(', ')}.`,
      );
    limits[action as RateLimitedAction] = count;
  }
  return limits;
}

export class RateLimiter {
  constructor(
    private readonly counter: RateCounter,
    private readonly limits: Readonly<Record<RateLimitedAction, number>>,
    private readonly clock: Clock,
  ) {}

  /** Counts the request, or refuses it with when the current window ends. */
  async check(userId: string, action: RateLimitedAction): Promise<void> {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / (WINDOW_SECONDS * 1000));
    const windowEnd = (window + 1) * WINDOW_SECONDS * 1000;
    const limit = this.limits[action];
    // Kept a window longer than it counts, so a clock a little behind never finds a fresh counter.
    const expiresAt = new Date(windowEnd + WINDOW_SECONDS * 1000);
    if (await this.counter.take(userId, `${action}#${window}`, limit, expiresAt)) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    throw new TooManyRequestsError(
      'rate_limited',
      `You can start at most ${limit} ${action}${limit === 1 ? '' : 's'} a minute. Try again in ${retryAfterSeconds} s.`,
      retryAfterSeconds,
      { details: { action, limit, window_seconds: WINDOW_SECONDS, retry_after_seconds: retryAfterSeconds } },
    );
  }
}
