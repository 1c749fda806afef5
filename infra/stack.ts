import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { OAuthScope, type CfnUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../shared/audit/audit';
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
  /** Key for the hashed user ids in logs (HMAC); unkeyed SHA-256 without it. */
  logHashKey?: string;
  /** Per-user requests a minute over the defaults, e.g. `export=5,import=5,preview=10,download=20`. */
  rateLimitsPerMinute?: string;
  /** Tier quotas over the defaults, as JSON: `{"free":{"concurrentJobs":3,"exportsPerDay":20}}`. */
  tierQuotas?: string;
  /** Days audit events are kept in the jobs table before DynamoDB's TTL removes them (default 90). */
  auditRetentionDays?: number;
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

    // Every function with the jobs table may write the audit trail there (requests, job ends, cleanup).
    const auditRetentionDays = String(props.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS);
    const fn = (
      id: string,
      entry: string,
      handler: string,
      size: 'api' | 'step' | 'heavy',
      description: string,
    ) =>
      new ChatbookFunction(this, id, {
        entry,
        handler,
        size,
        description,
        logRetention,
        environment: {
          AUDIT_RETENTION_DAYS: auditRetentionDays,
        },
      }).bindTable(jobsTable, 'JOBS_TABLE');

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
    // The library's refusals go to the caller's audit trail in the jobs table: it only adds items there.
    library.addEnvironment('JOBS_TABLE', jobsTable.tableName);
    library.addEnvironment('AUDIT_RETENTION_DAYS', auditRetentionDays);
    jobsTable.grant(library, 'dynamodb:PutItem');

    // The caller's audit trail.
    const auditFn = fn('AuditFn', 'functions/api/audit.ts', 'handler', 'api', 'GET /audit: your audit trail');

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
    if (props.rateLimitsPerMinute) {
      for (const limited of [exportsFn, downloadFn, importsFn])
        limited.addEnvironment('RATE_LIMITS_PER_MINUTE', props.rateLimitsPerMinute);
    }

    // The OpenAPI document: built from the route catalog, no table or bucket.
    const openApi = new ChatbookFunction(this, 'OpenApiFn', {
      entry: 'functions/api/openapi.ts',
      size: 'api',
      description: 'GET /api/v1/openapi.json',
      logRetention,
    });

    // The caller's quotas and their own cleanup.
    const account = fn(
      'AccountFn',
      'functions/api/account.ts',
      'handler',
      'api',
      'GET /quota and POST /cleanup',
    ).bindBucket(bucket);
    account.addEnvironment('STALE_JOB_MINUTES', String(props.staleJobMinutes ?? 120));

    const notFound = fn('NotFoundFn', 'functions/api/not-found.ts', 'handler', 'api', 'Unknown routes');

    this.api = new Api(this, 'Api', {
      ...(props.identity ? { identity: props.identity } : {}),
      routes: [
        { method: HttpMethod.GET, path: `${API_PREFIX}/health`, fn: health, public: true },
        { method: HttpMethod.GET, path: '/api/v1/openapi.json', fn: openApi, public: true },
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
        { method: HttpMethod.GET, path: `${API_PREFIX}/quota`, fn: account },
        { method: HttpMethod.POST, path: `${API_PREFIX}/cleanup`, fn: account },
        { method: HttpMethod.GET, path: `${API_PREFIX}/audit`, fn: auditFn },
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
      'Scheduled cleanup: expiry, stale jobs, old uploads, quota repair',
    ).bindBucket(bucket);
    cleanup.addEnvironment('STALE_JOB_MINUTES', String(props.staleJobMinutes ?? 120));
    new Rule(this, 'CleanupSchedule', {
      description: 'Runs the cleanup sweep',
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(cleanup, { retryAttempts: 2 })],
    });

    const site = this.addWebsite(props.removalPolicy ?? RemovalPolicy.RETAIN);

    // Settings every function reads the same way, however it was declared.
    const shared = {
      ...(props.tierQuotas ? { TIER_QUOTAS: props.tierQuotas } : {}),
      ...(props.logHashKey ? { LOG_HASH_KEY: props.logHashKey } : {}),
    };
    for (const child of this.node.findAll()) {
      if (!(child instanceof ChatbookFunction)) continue;
      for (const [name, value] of Object.entries(shared)) child.addEnvironment(name, value);
    }

    acknowledgeNagFindings(this, {
      siteDistribution: site.distribution,
      tables: [jobsTable, libraryTable],
      bucket,
      workflowFunctions: Object.values(workflowFunctions),
      stoppableMachines: [exportMachine, importMachine],
    });
  }

  /**
   * The web page: its built files in a private bucket that CloudFront reads through origin access control, and
   * /api/* routed on the same origin to the HTTP API. Same origin, the page needs no CORS from the API: a
   * preflight would meet the JWT authorizer on the $default route, and an open OPTIONS route would be the only
   * route besides health without it. The data bucket lets the page's origin POST uploads and read downloads.
   * The files go up with `npm run web:build` and `aws s3 sync` (README): a BucketDeployment brings a Python
   * custom-resource function, which neither the local cloud nor the all-Node function rules can take.
   */
  private addWebsite(removalPolicy: RemovalPolicy): { distribution: Distribution; bucket: Bucket } {
    const { accessLogs, bucket: dataBucket } = this.storage;
    const siteBucket = new Bucket(this, 'SiteBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'site/',
      removalPolicy,
    });
    const apiDomain = `${this.api.httpApi.apiId}.execute-api.${this.region}.${this.urlSuffix}`;
    const distribution = new Distribution(this, 'Site', {
      comment: 'Chatbooks Cloud: the web page, with the API on the same origin',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: accessLogs,
      logFilePrefix: 'site-cdn/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(siteBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      additionalBehaviors: {
        '/api/*': {
          origin: new HttpOrigin(apiDomain, {
            protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          // Every header but Host (API Gateway routes on its own), Authorization included.
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    const siteUrl = `https://${distribution.distributionDomainName}`;
    dataBucket.addCorsRule({
      allowedOrigins: [siteUrl],
      allowedMethods: [HttpMethods.GET, HttpMethods.HEAD, HttpMethods.POST],
      allowedHeaders: ['*'],
      exposedHeaders: ['ETag', 'Content-Disposition'],
      maxAge: 600,
    });

    let oauth: Record<string, unknown> | undefined;
    const userPool = this.api.userPool;
    if (userPool) {
      const prefix: unknown = this.node.tryGetContext('signInDomainPrefix');
      const domain = userPool.addDomain('SignIn', {
        cognitoDomain: {
          domainPrefix: typeof prefix === 'string' && prefix ? prefix : `chatbooks-${this.account}`,
        },
      });
      // The API's client (the authorizer's audience) gets the page's code flow, calling back to the site only.
      const client = this.api.node.findChild('WebClient').node.defaultChild as CfnUserPoolClient;
      const scopes = [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE].map(
        (scope) => scope.scopeName,
      );
      client.allowedOAuthFlows = ['code'];
      client.allowedOAuthScopes = scopes;
      client.callbackUrLs = [`${siteUrl}/`];
      client.logoutUrLs = [`${siteUrl}/`];
      oauth = {
        authorize_url: `${domain.baseUrl()}/oauth2/authorize`,
        token_url: `${domain.baseUrl()}/oauth2/token`,
        logout_url: `${domain.baseUrl()}/logout`,
        client_id: client.ref,
        scopes,
        redirect_uri: `${siteUrl}/`,
      };
    }

    new CfnOutput(this, 'SiteUrl', { value: `${siteUrl}/`, description: 'The web page' });
    new CfnOutput(this, 'SiteBucketName', { value: siteBucket.bucketName });
    new CfnOutput(this, 'SiteDistributionId', { value: distribution.distributionId });
    new CfnOutput(this, 'WebConfig', {
      description: "The web page's config.json (npm run web:build -- --outputs <cdk outputs file>)",
      value: this.toJsonString({ environment: 'aws', api_url: '', ...(oauth ? { oauth } : {}) }),
    });
    return { distribution, bucket: siteBucket };
  }
}
