/** Builds the upload and preview use cases from a function's environment (the AWS adapters). */
import { documentClient, s3Client } from '../aws/clients';
import { DynamoLibraryStore } from '../aws/dynamo-library-store';
import { S3UploadObjects } from '../aws/s3-upload-objects';
import { nonEmpty, readEnv } from '../config/env';
import { systemClock } from '../jobs/job';
import { PreviewService } from './preview';
import { UploadService } from './upload-service';

export function importServicesFromEnv(): { uploads: UploadService; previews: PreviewService } {
  const env = readEnv({ LIBRARY_TABLE: nonEmpty, BUCKET_NAME: nonEmpty });
  const objects = new S3UploadObjects(s3Client(), env.BUCKET_NAME);
  const uploads = new UploadService(objects, systemClock);
  const library = new DynamoLibraryStore(documentClient(), env.LIBRARY_TABLE, s3Client(), env.BUCKET_NAME);
  return { uploads, previews: new PreviewService(uploads, objects, library) };
}
