import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../infra/local/cloud';

export interface TestCloud extends LocalCloud {
  documents: DynamoDBDocumentClient;
  s3: S3Client;
  sfn: SFNClient;
  /** fetch against the API with a bearer token for `user` (or none). */
  call(path: string, init?: RequestInit & { user?: string }): Promise<Response>;
  /** POST a JSON body as `user`. */
  post(path: string, user: string, body: unknown): Promise<Response>;
  /** Uploads `bytes` as `user` the way a browser does (presigned POST); the upload id. */
  upload(user: string, bytes: Buffer): Promise<string>;
  dispose(): Promise<void>;
}

const UNLIMITED_RATES = 'export=100000,import=100000,preview=100000,download=100000';
const UNLIMITED_JOBS = { storageBytes: null, exportsPerDay: null, importsPerDay: null, concurrentJobs: 1000 };
/** Every tier's job quotas lifted (file sizes stay the tiers'); the quota tests set their own. */
const UNLIMITED_QUOTAS = JSON.stringify({
  free: UNLIMITED_JOBS,
  premium: UNLIMITED_JOBS,
  enterprise: UNLIMITED_JOBS,
});

/** The functions' warnings, errors and anything not JSON (a crash); info lines and metrics stay quiet. */
function printProblems(line: string): void {
  let level: unknown;
  try {
    level = (JSON.parse(line) as { level?: unknown }).level;
  } catch {
    level = 'raw';
  }
  if (level === 'warn' || level === 'error' || level === 'raw') process.stderr.write(`${line}\n`);
}

/** Starts a local cloud on a free port in a fresh temp folder, as the tests of several files may at once. */
export async function startTestCloud(options: Partial<LocalCloudOptions> = {}): Promise<TestCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbooks-cloud-'));
  const cloud = await startLocalCloud({
    port: 0,
    dataDir,
    schedules: false,
    onLog: printProblems,
    ...options,
    // Tests send many requests a minute as one user; the rate-limit and quota tests set their own limits.
    functionEnvironment: {
      RATE_LIMITS_PER_MINUTE: UNLIMITED_RATES,
      TIER_QUOTAS: UNLIMITED_QUOTAS,
      ...options.functionEnvironment,
    },
  });
  const clientConfig = { region: cloud.aws.region, credentials: cloud.aws.credentials };
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...clientConfig, endpoint: cloud.aws.dynamodbEndpoint }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  const s3 = new S3Client({ ...clientConfig, endpoint: cloud.aws.s3Endpoint, forcePathStyle: true });
  const sfn = new SFNClient({ ...clientConfig, endpoint: cloud.aws.sfnEndpoint });
  const call: TestCloud['call'] = (path, init = {}) => {
    const { user, headers, ...rest } = init;
    const auth: Record<string, string> = user
      ? { authorization: `Bearer ${cloud.token({ userId: user })}` }
      : {};
    return fetch(`${cloud.url}${path}`, {
      ...rest,
      headers: { ...auth, ...(headers as Record<string, string> | undefined) },
    });
  };
  const post: TestCloud['post'] = (path, user, body) =>
    call(path, {
      user,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const upload: TestCloud['upload'] = async (user, bytes) => {
    const response = await post('/api/v1/chatbooks/uploads', user, { size_bytes: bytes.length });
    const presigned = (await response.json()) as {
      upload_id: string;
      url: string;
      fields: Record<string, string>;
    };
    const form = new FormData();
    for (const [name, value] of Object.entries(presigned.fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(bytes)]), 'upload.chatbook');
    const stored = await fetch(presigned.url, { method: 'POST', body: form });
    if (!stored.ok) throw new Error(`The presigned upload answered ${stored.status}.`);
    return presigned.upload_id;
  };
  return {
    ...cloud,
    documents,
    s3,
    sfn,
    call,
    post,
    upload,
    dispose: async () => {
      await cloud.idle();
      documents.destroy();
      s3.destroy();
      sfn.destroy();
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
