import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Api, type ExternalIdentity } from './constructs/api';
import { ChatbookFunction } from './constructs/chatbook-function';
import { Storage } from './constructs/storage';
import { Workflows } from './constructs/workflows';
import { acknowledgeNagFindings } from './nag';

export const API_PREFIX = '/api/v1/chatbooks';
export const LIBRARY_PREFIX = '/api/v1/library';

export interface ChatbooksStackProps extends StackProps {
  /** An existing OIDC issuer instead of the Cognito user pool the stack creates. */
  identity?: ExternalIdentity;
  exportRetentionDays?: number;
  /** Minutes after which a job that is still pending or in progress is failed by the cleanup. */
  staleJobMinutes?: number;
  /** Hours a finished export stays downloadable (the job's expires_at); lifecycle removes it after the days above. */
  exportExpiryHours?: number;
  /** Secret for HMAC share links (`?exp=&token=`); share links are off without it. */
  shareLinkSecret?: string;
  /** RETAIN in production; DESTROY for throwaway stacks. */
  removalPolicy?: RemovalPolicy;
}

export class ChatbooksStack extends Stack {
  readonly storage: Storage;
  readonly workflows: Workflows;
  readonly api: Api;

  constructor(scope: Construct, id: string, props: ChatbooksStackProps = {}) {
    super(scope, id, props);
    const logRetention = RetentionDays.ONE_MONTH;

    this.storage = new Storage(this, 'Storage', {
      exportRetentionDays: props.exportRetentionDays ?? 2,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const { bucket, jobsTable, libraryTable } = this.storage;

    const fn = (
      id: string,
      entry: string,
      handler: string,
      size: 'api' | 'step' | 'heavy',
      description: string,
    ) =>
      new ChatbookFunction(this, id, { entry, handler, size, description, logRetention }).bindTable(
        jobsTable,
        'JOBS_TABLE',
      );

    const exportExpiryHours = String(props.exportExpiryHours ?? 24);
    const steps = 'functions/workflow/export-steps.ts';
    const importSteps = 'functions/workflow/import-steps.ts';
    const workflowFunctions = {
      exportPrepare: fn('ExportPrepareFn', steps, 'prepare', 'step', 'Export: count and plan the selection')
        .bindTable(libraryTable, 'LIBRARY_TABLE', 'read')
        .bindBucket(bucket),
      exportArchive: fn('ExportArchiveFn', steps, 'archive', 'heavy', 'Export: stream the chatbook to S3')
        .bindTable(libraryTable, 'LIBRARY_TABLE', 'read')
        .bindBucket(bucket),
      exportFinalize: fn(
        'ExportFinalizeFn',
        steps,
        'finalize',
        'step',
        'Export: record size, checksum, expiry',
      ).bindBucket(bucket),
      exportMarkFailed: fn(
        'ExportMarkFailedFn',
        steps,
        'markFailed',
        'step',
        'Export: record a failure',
      ).bindBucket(bucket),
      importValidate: fn(
        'ImportValidateFn',
        importSteps,
        'validate',
        'heavy',
        'Import: validate the archive',
      ).bindBucket(bucket, 'BUCKET_NAME', 'read'),
      importPlan: fn(
        'ImportPlanFn',
        importSteps,
        'plan',
        'heavy',
        "Import: read the library's titles once, split the items into batches",
      )
        .bindTable(libraryTable, 'LIBRARY_TABLE', 'read')
        .bindBucket(bucket),
      importBatch: fn(
        'ImportBatchFn',
        importSteps,
        'importBatch',
        'heavy',
        'Import: write one batch of items',
      )
        .bindTable(libraryTable, 'LIBRARY_TABLE')
        .bindBucket(bucket),
      importFinalize: fn(
        'ImportFinalizeFn',
        importSteps,
        'finalize',
        'step',
        'Import: record the counts',
      ).bindBucket(bucket),
      importMarkFailed: fn(
        'ImportMarkFailedFn',
        importSteps,
        'markFailed',
        'step',
        'Import: record a failure',
      ),
    };
    for (const step of [
      workflowFunctions.exportPrepare,
      workflowFunctions.exportArchive,
      workflowFunctions.exportFinalize,
      workflowFunctions.exportMarkFailed,
    ]) {
      step.addEnvironment('EXPORT_RETENTION_HOURS', exportExpiryHours);
    }
    this.workflows = new Workflows(this, 'Workflows', workflowFunctions, logRetention);
    const { exportMachine, importMachine } = this.workflows;

    // Export requests and downloads: one function per resource.
    const exportEnvironment = (target: ChatbookFunction) => {
      target.addEnvironment('EXPORT_STATE_MACHINE_ARN', exportMachine.stateMachineArn);
      target.addEnvironment('EXPORT_RETENTION_HOURS', exportExpiryHours);
      if (props.shareLinkSecret) target.addEnvironment('SHARE_LINK_SECRET', props.shareLinkSecret);
      return target;
    };
    const exportsFn = exportEnvironment(
      fn('ExportsFn', 'functions/api/exports.ts', 'handler', 'api', 'POST /export and the export jobs')
        .bindTable(libraryTable, 'LIBRARY_TABLE', 'read')
        .bindBucket(bucket),
    );
    exportMachine.grantStartExecution(exportsFn);
    exportMachine.grantExecution(exportsFn, 'states:StopExecution');
    const downloadFn = exportEnvironment(
      fn('DownloadFn', 'functions/api/download.ts', 'handler', 'api', 'GET /download/{job_id}')
        .bindTable(libraryTable, 'LIBRARY_TABLE', 'read')
        .bindBucket(bucket, 'BUCKET_NAME', 'read'),
    );

    const health = fn('HealthFn', 'functions/api/health.ts', 'handler', 'api', 'GET /health')
      .bindTable(libraryTable, 'LIBRARY_TABLE', 'read')
      .bindBucket(bucket, 'BUCKET_NAME', 'read');
    health.addEnvironment('EXPORT_STATE_MACHINE_ARN', exportMachine.stateMachineArn);
    health.addEnvironment('IMPORT_STATE_MACHINE_ARN', importMachine.stateMachineArn);
    health.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeStateMachine'],
        resources: [exportMachine.stateMachineArn, importMachine.stateMachineArn],
      }),
    );

    const library = new ChatbookFunction(this, 'LibraryFn', {
      entry: 'functions/api/library.ts',
      size: 'api',
      description: '/api/v1/library/{type}: list, get, create, update, delete',
      logRetention,
    })
      .bindTable(libraryTable, 'LIBRARY_TABLE')
      .bindBucket(bucket);
    const libraryRoutes = (
      [
        [HttpMethod.GET, ''],
        [HttpMethod.POST, ''],
        [HttpMethod.GET, '/{id}'],
        [HttpMethod.PUT, '/{id}'],
        [HttpMethod.DELETE, '/{id}'],
      ] as const
    ).map(([method, suffix]) => ({ method, path: `${LIBRARY_PREFIX}/{type}${suffix}`, fn: library }));

    // Uploads, previews, imports and their jobs.
    const importsFn = fn(
      'ImportsFn',
      'functions/api/imports.ts',
      'handler',
      'api',
      'Uploads, preview, import',
    )
      .bindTable(libraryTable, 'LIBRARY_TABLE')
      .bindBucket(bucket);
    importsFn.addEnvironment('IMPORT_STATE_MACHINE_ARN', importMachine.stateMachineArn);
    importMachine.grantStartExecution(importsFn);
    importMachine.grantExecution(importsFn, 'states:StopExecution');

    const notFound = fn('NotFoundFn', 'functions/api/not-found.ts', 'handler', 'api', 'Unknown routes');

    this.api = new Api(this, 'Api', {
      ...(props.identity ? { identity: props.identity } : {}),
      routes: [
        { method: HttpMethod.GET, path: `${API_PREFIX}/health`, fn: health, public: true },
        ...libraryRoutes,
        { method: HttpMethod.POST, path: `${API_PREFIX}/export`, fn: exportsFn },
        { method: HttpMethod.GET, path: `${API_PREFIX}/export/jobs`, fn: exportsFn },
        { method: HttpMethod.GET, path: `${API_PREFIX}/export/jobs/{job_id}`, fn: exportsFn },
        { method: HttpMethod.DELETE, path: `${API_PREFIX}/export/jobs/{job_id}`, fn: exportsFn },
        { method: HttpMethod.GET, path: `${API_PREFIX}/download/{job_id}`, fn: downloadFn },
        { method: HttpMethod.POST, path: `${API_PREFIX}/uploads`, fn: importsFn },
        { method: HttpMethod.POST, path: `${API_PREFIX}/preview`, fn: importsFn },
        { method: HttpMethod.POST, path: `${API_PREFIX}/import`, fn: importsFn },
        { method: HttpMethod.GET, path: `${API_PREFIX}/import/jobs`, fn: importsFn },
        { method: HttpMethod.GET, path: `${API_PREFIX}/import/jobs/{job_id}`, fn: importsFn },
        { method: HttpMethod.GET, path: `${API_PREFIX}/import/jobs/{job_id}/report`, fn: importsFn },
        { method: HttpMethod.DELETE, path: `${API_PREFIX}/import/jobs/{job_id}`, fn: importsFn },
      ],
      fallback: notFound,
      throttle: { rateLimit: 50, burstLimit: 100 },
      logRetention,
    });

    const cleanup = fn(
      'CleanupFn',
      'functions/scheduled/cleanup.ts',
      'handler',
      'step',
      'Scheduled cleanup sweep',
    );
    cleanup.addEnvironment('STALE_JOB_MINUTES', String(props.staleJobMinutes ?? 120));
    new Rule(this, 'CleanupSchedule', {
      description: 'Runs the cleanup sweep',
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(cleanup, { retryAttempts: 2 })],
    });

    acknowledgeNagFindings(this, {
      tables: [jobsTable, libraryTable],
      bucket,
      workflowFunctions: Object.values(workflowFunctions),
      stoppableMachines: [exportMachine, importMachine],
    });
  }
}
