// The export state machine's tasks: Prepare -> Archive -> Finalize, Catch -> MarkFailed.
// One Lambda per task; each points its `handler` at one of these exports.
import { exportSteps } from '../../shared/workflows/steps';
import { failureInput, stepInput, workflowHandler } from './step-handler';

export const prepare = workflowHandler('export.prepare', stepInput, exportSteps.prepare);
export const archive = workflowHandler('export.archive', stepInput, exportSteps.archive);
export const finalize = workflowHandler('export.finalize', stepInput, exportSteps.finalize);
export const markFailed = workflowHandler('export.mark_failed', failureInput, exportSteps.markFailed);
