import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { LocalTable } from './assembly';
import { LOCAL_REGION } from './cfn';

/** s3rver accepts only these credentials; dynalite accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface Emulators {
  s3Endpoint: string;
  dynamodbEndpoint: string;
  stop(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => {
      resolveClose();
    });
  });
}

/** The part of Koa's context the shim uses (s3rver's types do not expose Koa's). */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/**
 * AbortMultipartUpload, which s3rver 3.7 lacks (it answers 405): removes the upload's parts the way s3rver
 * stores them (`<bucket>/._S3rver_uploads/<uploadId>`), so exports can abort uploads locally as in AWS.
 */
function abortMultipartUpload(s3Dir: string): KoaMiddleware {
  return async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next();
    const bucket = ctx.path.split('/')[1] ?? '';
    const uploadDir = join(s3Dir, bucket, '._S3rver_uploads', uploadId);
    if (!/^[a-f0-9]{32}$/.test(uploadId) || !/^[a-z0-9.-]{3,63}$/.test(bucket) || !existsSync(uploadDir)) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
      return;
    }
    await rm(uploadDir, { recursive: true, force: true });
    ctx.status = 204;
  };
}

/** The table as CreateTable takes it, from the template's properties. */
function createTableInput(table: LocalTable): CreateTableCommandInput {
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, LocalSecondaryIndexes } = table.definition;
  return {
    TableName: table.name,
    AttributeDefinitions,
    KeySchema,
    BillingMode: 'PAY_PER_REQUEST',
    ...(GlobalSecondaryIndexes ? { GlobalSecondaryIndexes } : {}),
    ...(LocalSecondaryIndexes ? { LocalSecondaryIndexes } : {}),
  } as CreateTableCommandInput;
}

/**
 * Starts s3rver and dynalite in this process, persisting under `dataDir`, and creates the buckets and tables
 * the template declares (those that do not exist yet).
 */
export async function startEmulators(
  dataDir: string,
  buckets: string[],
  tables: LocalTable[],
): Promise<Emulators> {
  const s3Dir = join(dataDir, 's3');
  const dynamoDir = join(dataDir, 'dynamodb');
  mkdirSync(s3Dir, { recursive: true });
  mkdirSync(dynamoDir, { recursive: true });

  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir });
  // s3rver is a Koa app; its middleware list is composed when it starts listening.
  (s3rver as unknown as { middleware: KoaMiddleware[] }).middleware.unshift(abortMultipartUpload(s3Dir));
  const s3Address = await s3rver.run();
  const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;

  const dynamo = dynalite({ path: dynamoDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamodbEndpoint = `http://127.0.0.1:${await listen(dynamo)}`;

  const s3 = new S3Client({
    region: LOCAL_REGION,
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  for (const bucket of buckets) {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
  }
  s3.destroy();

  const dynamodb = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: dynamodbEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const existing = new Set((await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of tables) {
    if (!existing.has(table.name)) await dynamodb.send(new CreateTableCommand(createTableInput(table)));
  }
  dynamodb.destroy();

  return {
    s3Endpoint,
    dynamodbEndpoint,
    stop: async () => {
      await Promise.all([s3rver.close(), close(dynamo)]);
    },
  };
}
