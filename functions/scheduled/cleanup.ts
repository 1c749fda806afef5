// The cleanup sweep, run by the EventBridge schedule (and by the local cloud's timer).
import { z } from 'zod';
import { documentClient } from '../../shared/aws/clients';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import { sweepStaleJobs } from '../../shared/cleanup/sweep';
import { nonEmpty, readEnv } from '../../shared/config/env';
import { systemClock } from '../../shared/jobs/job';
import { logger } from '../../shared/observability/logger';

const env = readEnv({
  JOBS_TABLE: nonEmpty,
  STALE_JOB_MINUTES: z.coerce.number().int().positive().default(120),
});
const jobs = new DynamoJobStore(documentClient(), env.JOBS_TABLE);

export const handler = async (): Promise<{ examined: number; failedStale: number }> => {
  const result = await sweepStaleJobs(
    { jobs, index: jobs, clock: systemClock },
    { staleAfterMs: env.STALE_JOB_MINUTES * 60_000 },
  );
  logger.info('cleanup sweep done', { ...result });
  return result;
};
