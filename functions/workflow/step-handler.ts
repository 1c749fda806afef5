import { z } from 'zod';
import { documentClient } from '../../shared/aws/clients';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import { isTransientAwsError } from '../../shared/aws/transient';
import { nonEmpty, readEnv } from '../../shared/config/env';
import { systemClock } from '../../shared/jobs/job';
import { StepError, type StepDeps } from '../../shared/workflows/steps';
import { logger } from '../../shared/observability/logger';

let stepDeps: StepDeps | undefined;

/** The deps every step has: the jobs table and the clock. Built on first use, from the environment. */
export function baseStepDeps(): StepDeps {
  if (!stepDeps) {
    const env = readEnv({ JOBS_TABLE: nonEmpty });
    stepDeps = { jobs: new DynamoJobStore(documentClient(), env.JOBS_TABLE), clock: systemClock };
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

/**
 * A state-machine task as a Lambda handler: parse the state's input, run one step, and throw errors whose
 * names the state machine's Retry (Chatbooks.Transient) and Catch (everything) match.
 */
export function workflowHandler<S extends z.ZodType, D extends StepDeps = StepDeps>(
  step: string,
  schema: S,
  run: (deps: D, input: z.infer<S>) => Promise<unknown>,
  deps: () => D = baseStepDeps as () => D,
): (event: unknown) => Promise<unknown> {
  return async (event: unknown) => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      throw new StepError(
        'Chatbooks.InvalidInput',
        `Step ${step} got invalid input: ${z.prettifyError(parsed.error)}`,
      );
    }
    try {
      return await run(deps(), parsed.data);
    } catch (error) {
      if (error instanceof StepError) {
        logger.warn('workflow step stopped', { step, errorName: error.name });
        throw error;
      }
      if (isTransientAwsError(error)) {
        logger.warn('workflow step hit a transient error', { step, errorName: (error as Error).name });
        throw new StepError('Chatbooks.Transient', `Step ${step} hit a transient storage error.`, {
          cause: error,
        });
      }
      logger.error('workflow step failed', { step, error });
      throw error;
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
