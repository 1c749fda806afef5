import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';

function jobStore(cloud: LocalCloud): { jobs: DynamoJobStore; close(): void } {
  const client = new DynamoDBClient({
    region: cloud.aws.region,
    endpoint: cloud.aws.dynamodbEndpoint,
    credentials: cloud.aws.credentials,
  });
  return {
    jobs: new DynamoJobStore(DynamoDBDocumentClient.from(client), cloud.resources.jobsTable),
    close: () => {
      client.destroy();
    },
  };
}

const job = {
  userId: 'u1',
  jobId: 'j-persist',
  kind: 'export' as const,
  status: 'pending' as const,
  name: 'kept',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  totalItems: 0,
  processedItems: 0,
  events: [],
};

const tsx = ['--openssl-legacy-provider', '--import', 'tsx'];

describe('the local cloud', () => {
  it('keeps data, objects and its signing key across a restart on the same folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chatbooks-persist-'));
    try {
      const first = await startLocalCloud({ dataDir, schedules: false });
      const s3 = (endpoint: string) =>
        new S3Client({
          region: first.aws.region,
          endpoint,
          forcePathStyle: true,
          credentials: first.aws.credentials,
        });
      const writer = s3(first.aws.s3Endpoint);
      await writer.send(
        new PutObjectCommand({ Bucket: first.resources.bucket, Key: 'users/u1/x.txt', Body: 'kept' }),
      );
      writer.destroy();
      const firstStore = jobStore(first);
      await firstStore.jobs.create(job);
      firstStore.close();
      const token = first.token({ userId: 'u1' });
      await first.stop();

      const second = await startLocalCloud({ dataDir, schedules: false });
      try {
        const reader = s3(second.aws.s3Endpoint);
        const object = await reader.send(
          new GetObjectCommand({ Bucket: second.resources.bucket, Key: 'users/u1/x.txt' }),
        );
        assert.equal(await object.Body?.transformToString(), 'kept');
        reader.destroy();
        const secondStore = jobStore(second);
        assert.equal((await secondStore.jobs.get(job))?.name, 'kept');
        secondStore.close();
        // A token from before the restart is still accepted: 404 for the unknown route, not 401.
        const response = await fetch(`${second.url}/api/v1/chatbooks/nothing-here`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(response.status, 404);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts with `npm start`, prints its URL, serves health, accepts `npm run token` tokens and stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chatbooks-start-'));
    const env = { ...process.env, PORT: '0', LOCAL_DATA_DIR: dataDir, NODE_OPTIONS: '' };
    const child = spawn(process.execPath, [...tsx, 'infra/local/main.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      let url: string | undefined;
      const printed: string[] = [];
      for await (const line of lines) {
        printed.push(line);
        if (/^http:\/\/127\.0\.0\.1:\d+$/.test(line)) {
          url = line;
          break;
        }
      }
      assert.ok(url, `no base URL printed:\n${printed.join('\n')}`);
      assert.ok(
        printed.some((line) => line.includes('npm run token -- --user')),
        'says how to get a token',
      );

      const health = await fetch(`${url}/api/v1/chatbooks/health`);
      assert.equal(health.status, 200);

      const token = spawnSync(
        process.execPath,
        [...tsx, 'infra/local/token-cli.ts', '--user', 'carol', '--tier', 'premium'],
        {
          env,
          encoding: 'utf8',
        },
      );
      assert.equal(token.status, 0, token.stderr);
      const authorized = await fetch(`${url}/api/v1/chatbooks/nope`, {
        headers: { authorization: `Bearer ${token.stdout.trim()}` },
      });
      assert.equal(authorized.status, 404);

      const usage = spawnSync(process.execPath, [...tsx, 'infra/local/token-cli.ts', '--tier', 'gold'], {
        env,
        encoding: 'utf8',
      });
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /Usage: npm run token -- --user <id>/);

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
