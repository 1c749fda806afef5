import {
  ExecutionAlreadyExists,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { JobWorkflows } from '../jobs/job';

/** A job's state machine through Step Functions; executions are named by job id, so a start is idempotent. */
export class SfnJobWorkflows implements JobWorkflows {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
    /** `export` or `import`: execution names read `<kind>-<job id>`. */
    private readonly kind: string,
  ) {}

  async start(input: { userId: string; jobId: string }): Promise<string> {
    const name = `${this.kind}-${input.jobId}`;
    try {
      const result = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return result.executionArn ?? '';
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) {
        return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      }
      throw error;
    }
  }

  async stop(executionArn: string, cause: string): Promise<void> {
    try {
      await this.sfn.send(new StopExecutionCommand({ executionArn, cause, error: 'Chatbooks.Cancelled' }));
    } catch (error) {
      // Already finished or never existed: there is nothing left to stop.
      if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return;
      throw error;
    }
  }
}
