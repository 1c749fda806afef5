// The export state machine's tasks: Prepare -> Archive -> Finalize, Catch -> MarkFailed.
// One Lambda per task; each points its `handler` at one of these exports.
import { z } from 'zod';
import { documentClient, s3Client } from '../../shared/aws/clients';
import { DynamoLibraryStore } from '../../shared/aws/dynamo-library-store';
import { S3ExportObjects } from '../../shared/aws/s3-export-objects';
import { nonEmpty, readEnv } from '../../shared/config/env';
import { DEFAULT_EXPORT_CONFIG } from '../../shared/exports/export-service';
import { exportSteps, type ExportStepDeps } from '../../shared/exports/export-steps';
import { baseStepDeps, failureInput, notGranted, stepInput, workflowHandler } from './step-handler';

let deps: ExportStepDeps | undefined;

function exportDeps(): ExportStepDeps {
  if (!deps) {
    const env = readEnv({
      BUCKET_NAME: nonEmpty,
      // Only Prepare and Archive read the library; the other steps are not granted it.
      LIBRARY_TABLE: nonEmpty.optional(),
      EXPORT_RETENTION_HOURS: z.coerce.number().positive().default(DEFAULT_EXPORT_CONFIG.retentionHours),
    });
    deps = {
      ...baseStepDeps(),
      library: env.LIBRARY_TABLE
        ? new DynamoLibraryStore(documentClient(), env.LIBRARY_TABLE, s3Client(), env.BUCKET_NAME)
        : notGranted('LIBRARY_TABLE'),
      objects: new S3ExportObjects(s3Client(), env.BUCKET_NAME),
      config: { ...DEFAULT_EXPORT_CONFIG, retentionHours: env.EXPORT_RETENTION_HOURS },
    };
  }
  return deps;
}

export const prepare = workflowHandler('export.prepare', stepInput, exportSteps.prepare, exportDeps);
export const archive = workflowHandler('export.archive', stepInput, exportSteps.archive, exportDeps);
export const finalize = workflowHandler('export.finalize', stepInput, exportSteps.finalize, exportDeps);
export const markFailed = workflowHandler(
  'export.mark_failed',
  failureInput,
  exportSteps.markFailed,
  exportDeps,
);
