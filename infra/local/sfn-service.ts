import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { LocalStateMachine } from './assembly';
import { LambdaInvokeError, type LambdaHost } from './lambda-host';

type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  abort(): void;
  done: Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Every Task state, in the machine and inside Map and Parallel states, with the function it invokes. */
function taskFunctions(
  definition: Record<string, unknown>,
  found = new Map<string, string>(),
): Map<string, string> {
  const states = (definition.States ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') {
      const parameters = state.Parameters as Record<string, unknown> | undefined;
      const target = String(state.Resource).includes(':function:')
        ? state.Resource
        : parameters?.FunctionName;
      const match = /:function:([^:]+)/.exec(String(target));
      if (!match)
        throw new Error(`Task ${name} does not invoke a Lambda function; the local cloud cannot run it.`);
      found.set(name, match[1]!);
    }
    for (const nested of [
      state.ItemProcessor,
      state.Iterator,
      ...((state.Branches as unknown[] | undefined) ?? []),
    ]) {
      if (nested) taskFunctions(nested as Record<string, unknown>, found);
    }
  }
  return found;
}

/**
 * A Step Functions endpoint for the SDK (AWS JSON 1.0: StartExecution, DescribeExecution, StopExecution,
 * ListExecutions, DescribeStateMachine) that runs the synthesized ASL with aws-local-stepfunctions, each Task
 * invoking the same handler through the Lambda host. Retry waits are shortened to keep local runs quick.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<
    string,
    { machine: LocalStateMachine; runner: StateMachine; tasks: Map<string, string> }
  >();
  private readonly executions = new Map<string, Execution>();
  private server: Server | undefined;
  /** Tasks wait on this before they run: tests hold workflows to see jobs while they are still running. */
  private gate: Promise<void> = Promise.resolve();

  constructor(
    machines: LocalStateMachine[],
    private readonly lambdas: LambdaHost,
    private readonly retryIntervalMs = 20,
  ) {
    for (const machine of machines) {
      this.machines.set(machine.arn, {
        machine,
        runner: new StateMachine(machine.definition as unknown as StateMachineDefinition, {
          validationOptions: { checkPaths: true, checkArn: true },
        }),
        tasks: taskFunctions(machine.definition),
      });
    }
  }

  async listen(): Promise<string> {
    const server = createServer((request, response) => {
      void this.handle(request, response);
    });
    await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const execution of this.executions.values()) if (execution.status === 'RUNNING') execution.abort();
    await Promise.allSettled([...this.executions.values()].map((execution) => execution.done));
    await new Promise<void>((resolveClose) => {
      if (this.server)
        this.server.close(() => {
          resolveClose();
        });
      else resolveClose();
    });
  }

  /** Waits for every running execution to end (tests use it before tearing down). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.executions.values()].map((execution) => execution.done));
  }

  /** Holds every task until the returned function is called (executions start, but no step runs). */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolveGate) => {
      release = resolveGate;
    });
    return () => {
      release();
      this.gate = Promise.resolve();
    };
  }

  start(stateMachineArn: string, input: string, name: string = randomUUID()): Execution {
    const entry = this.machines.get(stateMachineArn);
    if (!entry)
      throw new ServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Standard workflows: the same name and input while running is the same execution; anything else is refused.
      if (existing.input === input && existing.status === 'RUNNING') return existing;
      throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input || '{}');
    } catch {
      throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const handlers = Object.fromEntries(
      [...entry.tasks].map(([stateName, functionId]) => [
        stateName,
        async (taskInput: unknown) => {
          await this.gate;
          try {
            return (await this.lambdas.invoke(functionId, taskInput)) as never;
          } catch (error) {
            // Step Functions sees a Lambda error as Error = errorType, Cause = Lambda's JSON error document.
            const failure =
              error instanceof LambdaInvokeError
                ? error
                : new LambdaInvokeError('Lambda.Unknown', String(error));
            const thrown = new Error(
              JSON.stringify({ errorType: failure.errorType, errorMessage: failure.errorMessage }),
            );
            thrown.name = failure.errorType;
            throw thrown;
          }
        },
      ]),
    );
    const retryIntervalOverrides = Object.fromEntries(
      [...entry.tasks.keys()].map((stateName) => [stateName, this.retryIntervalMs]),
    );
    const run = entry.runner.run(parsedInput as never, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
      context: {
        Execution: { Id: executionArn, Name: name, Input: parsedInput, StartTime: new Date().toISOString() },
      } as never,
    });
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      input,
      startDate: Date.now() / 1000,
      abort: run.abort,
      done: Promise.resolve(),
    };
    execution.done = run.result.then(
      (output) => {
        if (execution.status !== 'RUNNING') return;
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
        execution.stopDate = Date.now() / 1000;
      },
      (error: unknown) => {
        if (execution.status !== 'RUNNING') return;
        execution.stopDate = Date.now() / 1000;
        if (error instanceof ExecutionAbortedError) execution.status = 'ABORTED';
        else if (error instanceof ExecutionTimeoutError) execution.status = 'TIMED_OUT';
        else {
          execution.status = 'FAILED';
          const cause = (error as Error).cause;
          execution.error = cause instanceof Error ? cause.name : 'States.Runtime';
          execution.cause = cause instanceof Error ? cause.message : String(error);
        }
      },
    );
    this.executions.set(executionArn, execution);
    return execution;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(body));
    };
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
        string,
        string | undefined
      >;
      send(200, this.dispatch(target, body));
    } catch (error) {
      if (error instanceof ServiceError) send(400, { __type: error.type, message: error.message });
      else send(500, { __type: 'InternalFailure', message: 'The local Step Functions endpoint failed.' });
    }
  }

  private dispatch(operation: string, body: Record<string, string | undefined>): unknown {
    const describe = (execution: Execution) => ({
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      ...(execution.stopDate === undefined ? {} : { stopDate: execution.stopDate }),
      input: execution.input,
      ...(execution.output === undefined ? {} : { output: execution.output }),
      ...(execution.error === undefined ? {} : { error: execution.error, cause: execution.cause }),
    });
    const find = (arn: string | undefined) => {
      const execution = this.executions.get(arn ?? '');
      if (!execution)
        throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn ?? ''}'`);
      return execution;
    };
    switch (operation) {
      case 'StartExecution': {
        const execution = this.start(body.stateMachineArn ?? '', body.input ?? '{}', body.name);
        return { executionArn: execution.executionArn, startDate: execution.startDate };
      }
      case 'DescribeExecution':
        return describe(find(body.executionArn));
      case 'StopExecution': {
        const execution = find(body.executionArn);
        if (execution.status === 'RUNNING') {
          execution.status = 'ABORTED';
          execution.stopDate = Date.now() / 1000;
          execution.error = body.error;
          execution.cause = body.cause;
          execution.abort();
        }
        return { stopDate: execution.stopDate };
      }
      case 'ListExecutions':
        return {
          executions: [...this.executions.values()]
            .filter((execution) => execution.stateMachineArn === body.stateMachineArn)
            .filter((execution) => !body.statusFilter || execution.status === body.statusFilter)
            .map(describe),
        };
      case 'DescribeStateMachine': {
        const entry = this.machines.get(body.stateMachineArn ?? '');
        if (!entry)
          throw new ServiceError(
            'StateMachineDoesNotExist',
            `State Machine Does Not Exist: '${body.stateMachineArn ?? ''}'`,
          );
        return {
          stateMachineArn: entry.machine.arn,
          name: entry.machine.logicalId,
          status: 'ACTIVE',
          definition: JSON.stringify(entry.machine.definition),
          roleArn: 'arn:aws:iam::000000000000:role/local',
          type: 'STANDARD',
          creationDate: 0,
        };
      }
      default:
        throw new ServiceError(
          'UnknownOperationException',
          `The local endpoint does not support ${operation}.`,
        );
    }
  }
}
