import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
  TaskInput,
  Timeout,
  type IChainable,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { ChatbookFunction } from './chatbook-function';

/** State carries keys only: each task gets the user and job ids (and a batch range), never content. */
const KEYS = { userId: JsonPath.stringAt('$.userId'), jobId: JsonPath.stringAt('$.jobId') };

/** The error our steps throw for throttling, 5xx and dropped connections: worth retrying with backoff. */
export const TRANSIENT_ERROR = 'Chatbooks.Transient';

function task(
  scope: Construct,
  id: string,
  fn: ChatbookFunction,
  resultPath: string,
  payload: Record<string, unknown> = KEYS,
): LambdaInvoke {
  const invoke = new LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    payload: TaskInput.fromObject(payload),
    resultPath,
    retryOnServiceExceptions: true,
    // A little above the function's own limit, so the function's timeout is what fires.
    taskTimeout: Timeout.duration(Duration.seconds((fn.timeout?.toSeconds() ?? 60) + 30)),
  });
  invoke.addRetry({
    errors: [TRANSIENT_ERROR],
    interval: Duration.seconds(2),
    maxAttempts: 4,
    backoffRate: 2,
    jitterStrategy: JitterType.FULL,
  });
  return invoke;
}

export interface WorkflowFunctions {
  exportPrepare: ChatbookFunction;
  exportArchive: ChatbookFunction;
  exportFinalize: ChatbookFunction;
  exportMarkFailed: ChatbookFunction;
  importValidate: ChatbookFunction;
  importPlan: ChatbookFunction;
  importBatch: ChatbookFunction;
  importFinalize: ChatbookFunction;
  importMarkFailed: ChatbookFunction;
}

/**
 * The export and import state machines (Standard: exactly-once, long-running, idempotent start by name).
 * Every task retries transient errors and catches everything else into a step that records the failure.
 */
export class Workflows extends Construct {
  readonly exportMachine: StateMachine;
  readonly importMachine: StateMachine;

  constructor(scope: Construct, id: string, fns: WorkflowFunctions, logRetention: RetentionDays) {
    super(scope, id);

    const failurePayload = { ...KEYS, error: JsonPath.objectAt('$.error') };

    const exportFailed = task(
      this,
      'ExportMarkFailed',
      fns.exportMarkFailed,
      JsonPath.DISCARD,
      failurePayload,
    ).next(
      new Fail(this, 'ExportFailed', {
        error: 'ExportFailed',
        cause: 'The export failed; the job records why.',
      }),
    );
    const exportSteps = [
      task(this, 'Prepare', fns.exportPrepare, '$.prepare'),
      task(this, 'Archive', fns.exportArchive, '$.archive'),
      task(this, 'ExportFinalize', fns.exportFinalize, '$.finalize'),
    ];
    for (const step of exportSteps) step.addCatch(exportFailed, { resultPath: '$.error' });
    this.exportMachine = this.machine(
      'Export',
      exportSteps[0]!.next(exportSteps[1]!).next(exportSteps[2]!),
      logRetention,
    );

    const importFailed = task(
      this,
      'ImportMarkFailed',
      fns.importMarkFailed,
      JsonPath.DISCARD,
      failurePayload,
    ).next(
      new Fail(this, 'ImportFailed', {
        error: 'ImportFailed',
        cause: 'The import failed; the job records why.',
      }),
    );
    const validate = task(this, 'Validate', fns.importValidate, '$.validate');
    const plan = task(this, 'Plan', fns.importPlan, '$.plan');
    const batches = new MapState(this, 'ImportBatches', {
      itemsPath: '$.plan.batches',
      itemSelector: { ...KEYS, batch: JsonPath.objectAt('$$.Map.Item.Value') },
      // One batch at a time, in plan order: later batches link to items earlier ones imported (a conversation
      // to its character, an embedding to its media).
      maxConcurrency: 1,
      resultPath: JsonPath.DISCARD,
    });
    batches.itemProcessor(
      task(this, 'ImportBatch', fns.importBatch, '$.result', {
        ...KEYS,
        batch: JsonPath.objectAt('$.batch'),
      }),
    );
    const importFinalize = task(this, 'ImportFinalize', fns.importFinalize, '$.finalize');
    for (const step of [validate, plan, importFinalize])
      step.addCatch(importFailed, { resultPath: '$.error' });
    batches.addCatch(importFailed, { resultPath: '$.error' });
    this.importMachine = this.machine(
      'Import',
      validate.next(plan).next(batches).next(importFinalize),
      logRetention,
    );
  }

  private machine(id: string, definition: IChainable, logRetention: RetentionDays): StateMachine {
    return new StateMachine(this, `${id}Machine`, {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, `${id}MachineLogs`, {
          retention: logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
  }
}
