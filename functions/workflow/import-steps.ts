// The import state machine's tasks: Validate -> Plan -> Map(ImportBatch) -> Finalize, Catch -> MarkFailed.
// One Lambda per task; each points its `handler` at one of these exports.
import { z } from 'zod';
import { importSteps } from '../../shared/workflows/steps';
import { failureInput, stepInput, workflowHandler } from './step-handler';

const batchInput = stepInput.extend({
  batch: z.object({ start: z.number().int().min(0), end: z.number().int().min(0) }),
});

export const validate = workflowHandler('import.validate', stepInput, importSteps.validate);
export const plan = workflowHandler('import.plan', stepInput, importSteps.plan);
export const importBatch = workflowHandler('import.import_batch', batchInput, importSteps.importBatch);
export const finalize = workflowHandler('import.finalize', stepInput, importSteps.finalize);
export const markFailed = workflowHandler('import.mark_failed', failureInput, importSteps.markFailed);
