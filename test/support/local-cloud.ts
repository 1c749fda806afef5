import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../infra/local/cloud';

export interface TestCloud extends LocalCloud {
  documents: DynamoDBDocumentClient;
  sfn: SFNClient;
  /** fetch against the API with a bearer token for `user` (or none). */
  call(path: string, init?: RequestInit & { user?: string }): Promise<Response>;
  dispose(): Promise<void>;
}

/** Starts a local cloud on a free port in a fresh temp folder, as the tests of several files may at once. */
export async function startTestCloud(options: Partial<LocalCloudOptions> = {}): Promise<TestCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbooks-cloud-'));
  const cloud = await startLocalCloud({ port: 0, dataDir, schedules: false, ...options });
  const clientConfig = { region: cloud.aws.region, credentials: cloud.aws.credentials };
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...clientConfig, endpoint: cloud.aws.dynamodbEndpoint }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  const sfn = new SFNClient({ ...clientConfig, endpoint: cloud.aws.sfnEndpoint });
  return {
    ...cloud,
    documents,
    sfn,
    call: (path, init = {}) => {
      const { user, headers, ...rest } = init;
      const auth: Record<string, string> = user
        ? { authorization: `Bearer ${cloud.token({ userId: user })}` }
        : {};
      return fetch(`${cloud.url}${path}`, {
        ...rest,
        headers: { ...auth, ...(headers as Record<string, string> | undefined) },
      });
    },
    dispose: async () => {
      await cloud.idle();
      documents.destroy();
      sfn.destroy();
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
