/** Builds the export use case's deps from a function's environment (the AWS adapters). */
import { z } from 'zod';
import { documentClient, s3Client, sfnClient } from '../aws/clients';
import { DynamoLibraryStore } from '../aws/dynamo-library-store';
import { jobsTableFromEnv, quotaServiceFromEnv } from '../aws/jobs-from-env';
import { S3ExportObjects } from '../aws/s3-export-objects';
import { SfnJobWorkflows } from '../aws/sfn-job-workflows';
import { nonEmpty, readEnv } from '../config/env';
import { systemClock } from '../jobs/job';
import { DEFAULT_EXPORT_CONFIG, ExportService } from './export-service';

export function exportServiceFromEnv(): ExportService {
  const env = readEnv({
    JOBS_TABLE: nonEmpty,
    LIBRARY_TABLE: nonEmpty,
    BUCKET_NAME: nonEmpty,
    EXPORT_STATE_MACHINE_ARN: nonEmpty,
    EXPORT_RETENTION_HOURS: z.coerce.number().positive().default(DEFAULT_EXPORT_CONFIG.retentionHours),
    DOWNLOAD_URL_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(DEFAULT_EXPORT_CONFIG.presignTtlSeconds),
    SHARE_LINK_SECRET: z.string().min(32).optional(),
  });
  return new ExportService(
    {
      jobs: jobsTableFromEnv().jobs,
      library: new DynamoLibraryStore(documentClient(), env.LIBRARY_TABLE, s3Client(), env.BUCKET_NAME),
      objects: new S3ExportObjects(s3Client(), env.BUCKET_NAME),
      workflows: new SfnJobWorkflows(sfnClient(), env.EXPORT_STATE_MACHINE_ARN, 'export'),
      clock: systemClock,
      config: {
        ...DEFAULT_EXPORT_CONFIG,
        retentionHours: env.EXPORT_RETENTION_HOURS,
        presignTtlSeconds: env.DOWNLOAD_URL_TTL_SECONDS,
        shareSecret: env.SHARE_LINK_SECRET,
      },
    },
    quotaServiceFromEnv(),
  );
}
