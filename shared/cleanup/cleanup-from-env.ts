/** The cleanup's deps and options from a function's environment (jobs table, bucket, stale timeout). */
import { z } from 'zod';
import { auditLogFromEnv } from '../audit/audit-from-env';
import { s3Client } from '../aws/clients';
import { jobsTableFromEnv } from '../aws/jobs-from-env';
import { S3CleanupObjects } from '../aws/s3-cleanup-objects';
import { nonEmpty, readEnv } from '../config/env';
import { systemClock, type Clock } from '../jobs/job';
import type { CleanupDeps, CleanupOptions } from './sweep';

export function cleanupFromEnv(clock: Clock = systemClock): { deps: CleanupDeps; options: CleanupOptions } {
  const env = readEnv({
    BUCKET_NAME: nonEmpty,
    STALE_JOB_MINUTES: z.coerce.number().int().positive().default(120),
  });
  const { jobs, store, ledger } = jobsTableFromEnv();
  return {
    deps: {
      jobs,
      activeIndex: store,
      expiringIndex: store,
      objects: new S3CleanupObjects(s3Client(), env.BUCKET_NAME),
      ledger,
      clock,
      audit: auditLogFromEnv(),
    },
    options: { staleAfterMs: env.STALE_JOB_MINUTES * 60_000 },
  };
}
