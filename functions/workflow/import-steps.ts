// The import state machine's tasks: Validate -> Plan -> Map(ImportBatch) -> Finalize, Catch -> MarkFailed.
// One Lambda per task; each points its `handler` at one of these exports.
import { z } from 'zod';
import { documentClient, s3Client } from '../../shared/aws/clients';
import { DynamoImportRecords } from '../../shared/aws/dynamo-import-records';
import { DynamoLibraryStore } from '../../shared/aws/dynamo-library-store';
import { S3UploadObjects } from '../../shared/aws/s3-upload-objects';
import { nonEmpty, readEnv } from '../../shared/config/env';
import { importSteps, type ImportStepDeps } from '../../shared/imports/import-steps';
import { markFailed } from '../../shared/workflows/steps';
import { baseStepDeps, failureInput, notGranted, stepInput, workflowHandler } from './step-handler';

let deps: ImportStepDeps | undefined;

function importDeps(): ImportStepDeps {
  if (!deps) {
    const env = readEnv({
      JOBS_TABLE: nonEmpty,
      LIBRARY_TABLE: nonEmpty.optional(),
      BUCKET_NAME: nonEmpty.optional(),
      IMPORT_BATCH_SIZE: z.coerce.number().int().min(1).max(20000).default(2000),
    });
    const base = baseStepDeps();
    deps = {
      ...base,
      library:
        env.LIBRARY_TABLE && env.BUCKET_NAME
          ? new DynamoLibraryStore(documentClient(), env.LIBRARY_TABLE, s3Client(), env.BUCKET_NAME)
          : notGranted('LIBRARY_TABLE'),
      records: new DynamoImportRecords(documentClient(), env.JOBS_TABLE),
      objects: env.BUCKET_NAME ? new S3UploadObjects(s3Client(), env.BUCKET_NAME) : notGranted('BUCKET_NAME'),
      batchSize: env.IMPORT_BATCH_SIZE,
    };
  }
  return deps;
}

const batchInput = stepInput.extend({
  batch: z.object({
    start: z.number().int().min(0),
    end: z.number().int().min(0),
    pageSize: z.number().int().min(1).max(1000).optional(),
  }),
});

export const validate = workflowHandler('import.validate', stepInput, importSteps.validate, importDeps);
export const plan = workflowHandler('import.plan', stepInput, importSteps.plan, importDeps);
export const importBatch = workflowHandler(
  'import.import_batch',
  batchInput,
  importSteps.importBatch,
  importDeps,
);
export const finalize = workflowHandler('import.finalize', stepInput, importSteps.finalize, importDeps);
export const markFailedStep = workflowHandler(
  'import.mark_failed',
  failureInput,
  (stepDeps, input) => markFailed(stepDeps, 'import', input),
  importDeps,
);
export { markFailedStep as markFailed };
