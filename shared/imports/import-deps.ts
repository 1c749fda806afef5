/** Builds the upload, preview and import use cases from a function's environment (the AWS adapters). */
import { documentClient, s3Client } from '../aws/clients';
import { DynamoImportRecords } from '../aws/dynamo-import-records';
import { DynamoJobStore } from '../aws/dynamo-job-store';
import { DynamoLibraryStore } from '../aws/dynamo-library-store';
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
  const env = readEnv({ LIBRARY_TABLE: nonEmpty, BUCKET_NAME: nonEmpty, JOBS_TABLE: nonEmpty });
  const objects = new S3UploadObjects(s3Client(), env.BUCKET_NAME);
  const uploads = new UploadService(objects, systemClock);
  const library = new DynamoLibraryStore(documentClient(), env.LIBRARY_TABLE, s3Client(), env.BUCKET_NAME);
  const imports = new ImportService({
    jobs: new DynamoJobStore(documentClient(), env.JOBS_TABLE),
    library,
    records: new DynamoImportRecords(documentClient(), env.JOBS_TABLE),
    uploads,
    objects,
    clock: systemClock,
    config: DEFAULT_IMPORT_CONFIG,
  });
  return { uploads, previews: new PreviewService(uploads, objects, library), imports };
}
