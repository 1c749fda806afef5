/** Builds the upload, preview and import use cases from a function's environment (the AWS adapters). */
import { z } from 'zod';
import { documentClient, s3Client, sfnClient } from '../aws/clients';
import { SfnJobWorkflows } from '../aws/sfn-job-workflows';
import { DynamoImportRecords } from '../aws/dynamo-import-records';
import { DynamoLibraryStore } from '../aws/dynamo-library-store';
import { jobsTableFromEnv, quotaServiceFromEnv } from '../aws/jobs-from-env';
import { S3UploadObjects } from '../aws/s3-upload-objects';
import { nonEmpty, readEnv } from '../config/env';
import { systemClock } from '../jobs/job';
import { DEFAULT_IMPORT_CONFIG, ImportService } from './import-service';
import { PreviewService } from './preview';
import { UploadService } from './upload-service';

export function importServicesFromEnv(): {
  uploads: UploadService;
  previews: PreviewService;
  imports: ImportService;
} {
  const env = readEnv({
    LIBRARY_TABLE: nonEmpty,
    BUCKET_NAME: nonEmpty,
    JOBS_TABLE: nonEmpty,
    IMPORT_STATE_MACHINE_ARN: nonEmpty,
    IMPORT_SYNC_MAX_ITEMS: z.coerce.number().int().min(0).default(DEFAULT_IMPORT_CONFIG.syncMaxItems),
  });
  const objects = new S3UploadObjects(s3Client(), env.BUCKET_NAME);
  const quotas = quotaServiceFromEnv();
  const uploads = new UploadService(objects, systemClock, quotas);
  const library = new DynamoLibraryStore(documentClient(), env.LIBRARY_TABLE, s3Client(), env.BUCKET_NAME);
  const imports = new ImportService({
    jobs: jobsTableFromEnv().jobs,
    library,
    records: new DynamoImportRecords(documentClient(), env.JOBS_TABLE),
    uploads,
    objects,
    clock: systemClock,
    workflows: new SfnJobWorkflows(sfnClient(), env.IMPORT_STATE_MACHINE_ARN, 'import'),
    config: { ...DEFAULT_IMPORT_CONFIG, syncMaxItems: env.IMPORT_SYNC_MAX_ITEMS },
    quotas,
  });
  return { uploads, previews: new PreviewService(uploads, objects, library), imports };
}
