/** The rate limiter of an API function, from its environment: JOBS_TABLE and RATE_LIMITS_PER_MINUTE. */
import { z } from 'zod';
import { documentClient } from '../aws/clients';
import { DynamoRateCounter } from '../aws/dynamo-rate-counter';
import { nonEmpty, readEnv } from '../config/env';
import { systemClock } from '../jobs/job';
import { parseRateLimits, RateLimiter } from './rate-limits';

export function rateLimiterFromEnv(): RateLimiter {
  const env = readEnv({ JOBS_TABLE: nonEmpty, RATE_LIMITS_PER_MINUTE: z.string().optional() });
  return new RateLimiter(
    new DynamoRateCounter(documentClient(), env.JOBS_TABLE),
    parseRateLimits(env.RATE_LIMITS_PER_MINUTE),
    systemClock,
  );
}
