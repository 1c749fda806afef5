import './polyfills';
import { PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { synthesizeLocal, type LocalAssembly } from './assembly';
import { bundleFunctions } from './bundle';
import { LOCAL_REGION } from './cfn';
import { LOCAL_CREDENTIALS, startEmulators } from './emulators';
import { createHttpFront } from './http-front';
import { issueToken, loadIssuer, type TokenOptions } from './jwt';
import { LambdaHost, type LogSink } from './lambda-host';
import { LocalStepFunctions } from './sfn-service';
import { localSite } from '../../web/site';

export interface LocalCloudOptions {
  /** Port of the API; 0 picks a free one. */
  port?: number;
  /** Where emulator data, the signing key and the synthesized template live between runs. */
  dataDir: string;
  /** Run scheduled rules on their timers (on by default; tests fire them on demand). */
  schedules?: boolean;
  /** Extra environment for every function (e.g. shorter limits in tests). */
  functionEnvironment?: Record<string, string>;
  /**
   * Receives every line the functions write to stdout and stderr (logs, EMF metrics), with the function it came
   * from; when set, those lines no longer go to this process's output. Unset: they do, as in `npm start`.
   */
  onLog?: LogSink;
}

export type { LogOrigin, LogSink } from './lambda-host';

/** What `<dataDir>/cloud.json` holds while a local cloud runs on that folder, for tools such as `npm run seed`. */
export interface CloudInfo {
  pid: number;
  url: string;
  s3Endpoint: string;
  dynamodbEndpoint: string;
  bucket: string;
  libraryTable: string;
  jobsTable: string;
}

export const CLOUD_INFO_FILE = 'cloud.json';

export interface LocalCloud {
  url: string;
  assembly: LocalAssembly;
  /** Endpoints and names for tests and tools that talk to the emulators with the AWS SDK. */
  aws: {
    region: string;
    credentials: typeof LOCAL_CREDENTIALS;
    s3Endpoint: string;
    dynamodbEndpoint: string;
    sfnEndpoint: string;
  };
  resources: {
    bucket: string;
    jobsTable: string;
    libraryTable: string;
    exportMachineArn: string;
    importMachineArn: string;
  };
  token(options: TokenOptions): string;
  /**
   * Runs a scheduled rule's targets now; resolves with their results. `time` is the event's time, which the
   * cleanup takes as its clock: a test moves the clock forward without waiting.
   */
  runRule(name: 'cleanup', options?: { time?: Date }): Promise<unknown[]>;
  /** Holds every workflow step until the returned function is called (jobs stay pending meanwhile). */
  holdWorkflows(): () => void;
  /** Waits until no workflow execution is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Parses `rate(N unit)`; the local timer does not run cron expressions. */
function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return undefined;
  const unit = match[2]!.startsWith('minute')
    ? 60_000
    : match[2]!.startsWith('hour')
      ? 3_600_000
      : 86_400_000;
  return Number(match[1]) * unit;
}

function envName(template: LocalAssembly, variable: string): string {
  for (const fn of template.functions.values()) {
    const value = fn.environment[variable];
    if (value) return value;
  }
  throw new Error(`No function has ${variable} in its environment.`);
}

/** POST /__local/token {"user"}: what `npm run token` prints, for the web page's demo sign-in. */
function issueLocalToken(body: Buffer, response: ServerResponse, issue: (userId: string) => string): void {
  let user: unknown;
  try {
    user = (JSON.parse(body.toString('utf8') || '{}') as { user?: unknown }).user;
  } catch {
    user = undefined;
  }
  const send = (status: number, payload: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(payload));
  };
  if (typeof user !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/.test(user)) {
    send(400, {
      error: { code: 'invalid_user', message: 'Send {"user": "<id>"}: letters, digits and . _ @ + -.' },
    });
    return;
  }
  send(200, { token: issue(user), user_id: user });
}

/**
 * Lets the page's origin use the data bucket, as the stack does for the deployed site: the page POSTs uploads to
 * presigned forms and follows download redirects to presigned GETs on the S3 endpoint, another origin.
 */
async function allowPageOrigin(s3Endpoint: string, bucket: string, origin: string): Promise<void> {
  const s3 = new S3Client({
    region: LOCAL_REGION,
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: [origin],
              AllowedMethods: ['GET', 'HEAD', 'POST'],
              AllowedHeaders: ['*'],
              ExposeHeaders: ['ETag', 'Content-Disposition'],
              MaxAgeSeconds: 600,
            },
          ],
        },
      }),
    );
  } finally {
    s3.destroy();
  }
}

/**
 * Starts the whole service on this machine: the stack synthesized in process, s3rver and dynalite, every
 * function in its own worker, the state machines on aws-local-stepfunctions behind an SDK-compatible endpoint,
 * the HTTP API with a local JWT issuer, and the cleanup schedule on a timer.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const assembly = synthesizeLocal(join(dataDir, 'cdk.out'));
  const [emulators, bundles] = await Promise.all([
    startEmulators(dataDir, assembly.buckets, assembly.tables),
    bundleFunctions(assembly.functions.values(), join(dataDir, 'functions')),
  ]);
  const issuer = loadIssuer(dataDir);

  // The functions get these on top of their template environment: only endpoints differ from AWS.
  let sfnEndpoint = '';
  const awsEnvironment = (): Record<string, string> => ({
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SFN: sfnEndpoint,
    // s3rver stores aws-chunked framing verbatim: send checksums only where an operation requires them.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    S3_FORCE_PATH_STYLE: 'true',
    LOCAL_CLOUD: 'true',
    ...options.functionEnvironment,
  });

  const baseEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // The host's own AWS settings must not leak into the functions.
    if (value !== undefined && !key.startsWith('AWS_')) baseEnv[key] = value;
  }
  // The Step Functions endpoint invokes the functions, and the functions need its URL: the host gets this
  // object now and it is completed before any function starts (workers start on first invocation).
  const functionEnv: Record<string, string> = { ...baseEnv };
  const lambdas = new LambdaHost(assembly.functions.values(), bundles, functionEnv, { onLog: options.onLog });
  const stepFunctions = new LocalStepFunctions(assembly.stateMachines, lambdas);
  sfnEndpoint = await stepFunctions.listen();
  Object.assign(functionEnv, awsEnvironment());

  const runRule = async (logicalPrefix: string, ruleOptions: { time?: Date } = {}): Promise<unknown[]> => {
    const rule = assembly.rules.find((r) =>
      r.logicalId.toLowerCase().startsWith(logicalPrefix.toLowerCase()),
    );
    if (!rule) throw new Error(`No scheduled rule ${logicalPrefix}`);
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: (ruleOptions.time ?? new Date()).toISOString(),
      region: LOCAL_REGION,
      resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${rule.logicalId}`],
      detail: {},
    };
    return Promise.all(rule.functionIds.map((id) => lambdas.invoke(id, event)));
  };

  const localControl = async (
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
  ): Promise<boolean> => {
    if (request.url === '/__local/token' && request.method === 'POST') {
      issueLocalToken(body, response, (userId) => issueToken(issuer, { userId }));
      return true;
    }
    const match = /^\/__local\/rules\/(\w+)$/.exec(new URL(request.url ?? '/', 'http://local').pathname);
    if (!match || request.method !== 'POST') return false;
    try {
      const results = await runRule(match[1]!);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ results }));
    } catch (error) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'rule_not_found', message: (error as Error).message } }));
    }
    return true;
  };

  const server = createServer(
    createHttpFront({
      routes: assembly.routes,
      ...(assembly.defaultRoute ? { defaultRoute: assembly.defaultRoute } : {}),
      lambdas,
      issuer,
      localControl,
      // The web page, at / and /app/; it signs in with /__local/token.
      site: localSite({
        environment: 'local',
        api_url: '',
        local_token_url: '/__local/token',
        demo_user: 'demo',
      }),
    }),
  );
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolveListen);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await allowPageOrigin(emulators.s3Endpoint, envName(assembly, 'BUCKET_NAME'), url);

  const timers: NodeJS.Timeout[] = [];
  if (options.schedules !== false) {
    for (const rule of assembly.rules) {
      const interval = Number(process.env.LOCAL_SCHEDULE_INTERVAL_MS) || rateMs(rule.scheduleExpression);
      if (!interval) continue;
      const timer = setInterval(() => {
        void Promise.all(rule.functionIds.map((id) => lambdas.invoke(id, { source: 'aws.events' }))).catch(
          () => undefined,
        );
      }, interval);
      timer.unref();
      timers.push(timer);
    }
  }

  const resources = {
    bucket: envName(assembly, 'BUCKET_NAME'),
    jobsTable: envName(assembly, 'JOBS_TABLE'),
    libraryTable: envName(assembly, 'LIBRARY_TABLE'),
    exportMachineArn: envName(assembly, 'EXPORT_STATE_MACHINE_ARN'),
    importMachineArn: envName(assembly, 'IMPORT_STATE_MACHINE_ARN'),
  };
  const infoPath = join(dataDir, CLOUD_INFO_FILE);
  const info: CloudInfo = {
    pid: process.pid,
    url,
    s3Endpoint: emulators.s3Endpoint,
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    bucket: resources.bucket,
    libraryTable: resources.libraryTable,
    jobsTable: resources.jobsTable,
  };
  writeFileSync(infoPath, `${JSON.stringify(info, null, 2)}\n`);

  return {
    url,
    assembly,
    aws: {
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      s3Endpoint: emulators.s3Endpoint,
      dynamodbEndpoint: emulators.dynamodbEndpoint,
      sfnEndpoint,
    },
    resources,
    token: (tokenOptions) => issueToken(issuer, tokenOptions),
    runRule: (name, ruleOptions) => runRule(name, ruleOptions),
    idle: () => stepFunctions.idle(),
    holdWorkflows: () => stepFunctions.hold(),
    stop: async () => {
      rmSync(infoPath, { force: true });
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolveClose) =>
        server.close(() => {
          resolveClose();
        }),
      );
      await stepFunctions.stop();
      await lambdas.stop();
      await emulators.stop();
    },
  };
}
