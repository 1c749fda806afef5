import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How much a task needs: the function's memory and time limit follow from it. */
export type FunctionSize = 'api' | 'step' | 'heavy';

const SIZES: Record<FunctionSize, { memorySize: number; timeout: Duration }> = {
  api: { memorySize: 512, timeout: Duration.seconds(29) },
  step: { memorySize: 512, timeout: Duration.minutes(1) },
  heavy: { memorySize: 1536, timeout: Duration.minutes(15) },
};

export interface ChatbookFunctionProps {
  /** Source file under the project root, e.g. `functions/api/health.ts`. */
  entry: string;
  /** The exported handler name in that file. */
  handler?: string;
  size: FunctionSize;
  description: string;
  environment?: Record<string, string>;
  logRetention: RetentionDays;
}

/**
 * One Lambda with the project's secure defaults: current Node runtime on ARM, active tracing, an explicit log
 * group with retention, source maps, the AWS SDK bundled (same version locally and in AWS), local esbuild only.
 */
export class ChatbookFunction extends NodejsFunction {
  /** The source file and export this function runs: the local cloud loads them directly. */
  readonly source: { entry: string; handler: string };

  constructor(scope: Construct, id: string, props: ChatbookFunctionProps) {
    const size = SIZES[props.size];
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: `${PROJECT_ROOT}/${props.entry}`,
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: size.memorySize,
      timeout: size.timeout,
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: 'info',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    this.source = { entry: props.entry, handler: props.handler ?? 'handler' };
  }

  /** Read-write access to a table, with its name in the environment. */
  bindTable(table: ITable, envName: string, access: 'read' | 'readWrite' = 'readWrite'): this {
    this.addEnvironment(envName, table.tableName);
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    return this;
  }

  /** Access to the bucket, with its name in the environment. */
  bindBucket(bucket: IBucket, envName = 'BUCKET_NAME', access: 'read' | 'readWrite' = 'readWrite'): this {
    this.addEnvironment(envName, bucket.bucketName);
    if (access === 'read') bucket.grantRead(this);
    else bucket.grantReadWrite(this);
    return this;
  }
}
