import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { jobsTableFromEnv } from '../../shared/aws/jobs-from-env';
import { isTransientAwsError } from '../../shared/aws/transient';
import { nonEmpty } from '../../shared/config/env';
import { systemClock, UUID_PATTERN } from '../../shared/jobs/job';
import { StepError, type StepDeps } from '../../shared/workflows/steps';
import { hashUserId, logger } from '../../shared/observability/logger';
import { emitMetrics, stepMetrics, type StepOutcome } from '../../shared/observability/metrics';

let stepDeps: StepDeps | undefined;

/** The deps every step has: the jobs table and the clock. Built on first use, from the environment. */
export function baseStepDeps(): StepDeps {
  if (!stepDeps) {
    // Every job end goes through the table's listeners (quota, audit, metrics).
    stepDeps = { jobs: jobsTableFromEnv().jobs, clock: systemClock };
  }
  return stepDeps;
}

export const stepInput = z.object({ userId: nonEmpty, jobId: nonEmpty });

/**
 * MarkFailed's input: the keys plus what the Catch put at $.error. It accepts keys of any shape: a failure
 * caused by bad keys has no job to record, and the failure step itself must not fail.
 */
export const failureInput = z.object({
  userId: z.unknown(),
  jobId: z.unknown(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

/** The persistent log keys of a step invocation: the step, the job's kind and id, the hashed user id. */
function stepLogKeys(step: string, event: unknown, requestId: string | undefined): Record<string, string> {
  const keys: Record<string, string> = { step, kind: step.slice(0, step.indexOf('.')) || step };
  if (requestId) keys.requestId = requestId;
  if (event !== null && typeof event === 'object') {
    const { jobId, userId } = event as { jobId?: unknown; userId?: unknown };
    // Only a well-formed job id is logged; the user id only hashed.
    if (typeof jobId === 'string' && UUID_PATTERN.test(jobId)) keys.jobId = jobId;
    if (typeof userId === 'string' && userId) keys.user = hashUserId(userId);
  }
  return keys;
}

/**
 * A state-machine task as a Lambda handler: parse the state's input, run one step, and throw errors whose
 * names the state machine's Retry (Chatbooks.Transient) and Catch (everything) match.
 *
 * Every invocation logs its start and end with the job id, kind, step and hashed user id as persistent keys, and
 * emits StepDuration and StepErrors (EMF) under the dimension Step.
 */
export function workflowHandler<S extends z.ZodType, D extends StepDeps = StepDeps>(
  step: string,
  schema: S,
  run: (deps: D, input: z.infer<S>) => Promise<unknown>,
  deps: () => D = baseStepDeps as () => D,
): (event: unknown, context?: Pick<Context, 'awsRequestId'>) => Promise<unknown> {
  return async (event: unknown, context?: Pick<Context, 'awsRequestId'>) => {
    const started = Date.now();
    logger.resetKeys();
    const keys = stepLogKeys(step, event, context?.awsRequestId);
    logger.appendKeys(keys);
    logger.info('workflow step started');
    let outcome: StepOutcome = 'failed';
    try {
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        outcome = 'invalid_input';
        logger.warn('workflow step got invalid input', {
          issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code })),
        });
        throw new StepError(
          'Chatbooks.InvalidInput',
          `Step ${step} got invalid input: ${z.prettifyError(parsed.error)}`,
        );
      }
      const result = await run(deps(), parsed.data);
      outcome = 'ok';
      return result;
    } catch (error) {
      if (outcome === 'invalid_input') throw error;
      if (error instanceof StepError) {
        // A job cancelled or ended elsewhere stops its workflow: not an error.
        outcome =
          error.name === 'Chatbooks.JobNotRunnable'
            ? 'stopped'
            : error.name === 'Chatbooks.InvalidInput'
              ? 'invalid_input'
              : 'failed';
        logger.warn('workflow step stopped', { errorName: error.name });
        throw error;
      }
      if (isTransientAwsError(error)) {
        outcome = 'transient';
        logger.warn('workflow step hit a transient error', { errorName: (error as Error).name });
        throw new StepError('Chatbooks.Transient', `Step ${step} hit a transient storage error.`, {
          cause: error,
        });
      }
      outcome = 'failed';
      logger.error('workflow step failed', { error });
      throw error;
    } finally {
      const durationMs = Date.now() - started;
      logger.info('workflow step ended', { outcome, durationMs });
      // The Step dimension names the step; the job id and hashed user go along as properties.
      const { requestId: _requestId, step: _step, ...properties } = keys;
      emitMetrics(stepMetrics(step, durationMs, outcome, properties));
    }
  };
}

/** Stands in for what a step is not granted (the library, the bucket): any use of it is a deployment error. */
export function notGranted(what: string): never {
  return new Proxy(
    {},
    {
      get: () => {
        throw new Error(`This step has no ${what}: it is not granted it.`);
      },
    },
  ) as never;
}
