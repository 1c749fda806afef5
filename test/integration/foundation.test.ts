import {
  DescribeExecutionCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import type { Job, JobKind, JobStatus } from '../../shared/jobs/job';
import { STALE_JOB_MESSAGE } from '../../shared/cleanup/sweep';
import { issueToken, loadIssuer } from '../../infra/local/jwt';
import { startTestCloud, type TestCloud } from '../support/local-cloud';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cloud: TestCloud;
let strangerIssuer: ReturnType<typeof loadIssuer> | undefined;
/** An issuer with a key of its own: its tokens look right but are not ours. */
const stranger = () => (strangerIssuer ??= loadIssuer(mkdtempSync(join(tmpdir(), 'stranger-'))));
let jobs: DynamoJobStore;

before(async () => {
  cloud = await startTestCloud();
  jobs = new DynamoJobStore(cloud.documents, cloud.resources.jobsTable);
});
after(async () => {
  await cloud.dispose();
});

function newJob(kind: JobKind, overrides: Partial<Job> = {}): Job {
  const now = new Date().toISOString();
  return {
    userId: `user-${randomUUID().slice(0, 8)}`,
    jobId: randomUUID(),
    kind,
    status: 'pending',
    name: 'test job',
    createdAt: now,
    updatedAt: now,
    totalItems: 0,
    processedItems: 0,
    events: [],
    ...overrides,
  };
}

async function runToEnd(
  machineArn: string,
  input: unknown,
  name?: string,
): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await cloud.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machineArn,
      input: JSON.stringify(input),
      ...(name ? { name } : {}),
    }),
  );
  return waitForExecution(executionArn);
}

async function waitForExecution(executionArn: string | undefined): Promise<DescribeExecutionCommandOutput> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const execution = await cloud.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('execution did not finish');
}

describe('health and authentication', () => {
  it('reports storage, tables and workflows ready, without a token', async () => {
    const response = await cloud.call('/api/v1/chatbooks/health');
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      status: string;
      components: Record<string, { status: string; checks: object }>;
    };
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.components.storage, { status: 'ok', checks: { bucket: 'ok' } });
    assert.deepEqual(body.components.tables, { status: 'ok', checks: { jobs: 'ok', library: 'ok' } });
    assert.deepEqual(body.components.workflows, { status: 'ok', checks: { export: 'ok', import: 'ok' } });
  });

  const refused: [string, () => Record<string, string>][] = [
    ['no token', () => ({})],
    ['a malformed token', () => ({ authorization: 'Bearer not-a-jwt' })],
    [
      'an expired token',
      () => ({ authorization: `Bearer ${cloud.token({ userId: 'alice', ttlSeconds: -3600 })}` }),
    ],
    [
      'a token signed by another key',
      () => ({ authorization: `Bearer ${issueToken(stranger(), { userId: 'alice' })}` }),
    ],
    ['a token without the Bearer scheme', () => ({ authorization: cloud.token({ userId: 'alice' }) })],
  ];
  for (const [label, headers] of refused) {
    for (const path of ['/api/v1/chatbooks/export/jobs', '/api/v1/library/notes', '/anything']) {
      it(`answers 401 with a JSON error for ${label} on ${path}`, async () => {
        const response = await cloud.call(path, { headers: headers() });
        assert.equal(response.status, 401);
        const body = (await response.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'unauthorized');
        assert.match(body.error.message, /Authorization: Bearer/);
      });
    }
  }

  it('answers 404 in the error model for an unknown route with a valid token', async () => {
    const response = await cloud.call('/api/v1/chatbooks/nope', { user: 'alice' });
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'route_not_found');
    assert.match(body.error.message, /GET \/api\/v1\/chatbooks\/nope/);
    assert.ok(response.headers.get('x-request-id'));
  });
});

describe('workflows from the synthesized state machines', () => {
  const statuses = (job: Job | undefined) => job?.events.map((e) => `${e.step}:${e.status}`);

  it('runs an export through Prepare, Archive and Finalize and records each transition', async () => {
    const user = `user-${randomUUID().slice(0, 8)}`;
    const json = { 'content-type': 'application/json' };
    for (const title of ['one', 'two', 'three']) {
      const created = await cloud.call('/api/v1/library/note', {
        user,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ content: { title, content: 'text' } }),
      });
      assert.equal(created.status, 201);
    }
    const started = await cloud.call('/api/v1/chatbooks/export', {
      user,
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Notes', selection: { note: 'all' }, async: true }),
    });
    assert.equal(started.status, 202);
    const { job_id: jobId } = (await started.json()) as { job_id: string };
    const stored = await jobs.get({ userId: user, kind: 'export', jobId });
    assert.ok(stored?.executionArn);
    const execution = await waitForExecution(stored.executionArn);
    assert.equal(execution.status, 'SUCCEEDED');
    const done = await jobs.get({ userId: user, kind: 'export', jobId });
    assert.equal(done?.status, 'completed');
    assert.equal(done.processedItems, 3);
    assert.ok(done.startedAt && done.completedAt);
    assert.deepEqual(statuses(done), [
      'request:pending',
      'prepare:in_progress',
      'archive:in_progress',
      'finalize:completed',
    ]);
  });

  it('leaves a cancelled job cancelled when its workflow starts late', async () => {
    const job = newJob('export', { status: 'cancelled' });
    await jobs.create(job);
    const execution = await runToEnd(cloud.resources.exportMachineArn, {
      userId: job.userId,
      jobId: job.jobId,
    });
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'ExportFailed');
    assert.equal((await jobs.get(job))?.status, 'cancelled');
  });

  it('fails through MarkFailed when a step refuses its input', async () => {
    const execution = await runToEnd(cloud.resources.exportMachineArn, { userId: 'someone', jobId: 42 });
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'ExportFailed');
  });

  it('fails with States.Runtime, as AWS does, when the input lacks a key the state machine reads', async () => {
    const execution = await runToEnd(cloud.resources.exportMachineArn, { userId: 'someone' });
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'States.Runtime');
  });

  it('fails the execution when the job does not exist, writing nothing', async () => {
    const job = newJob('import');
    const execution = await runToEnd(cloud.resources.importMachineArn, {
      userId: job.userId,
      jobId: job.jobId,
    });
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'ImportFailed');
    assert.equal(await jobs.get(job), undefined);
  });

  it('starts one execution for one name (idempotent start)', async () => {
    const job = newJob('import');
    await jobs.create(job);
    const input = JSON.stringify({ userId: job.userId, jobId: job.jobId });
    const first = await cloud.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: cloud.resources.importMachineArn,
        input,
        name: job.jobId,
      }),
    );
    const second = await cloud.sfn
      .send(
        new StartExecutionCommand({
          stateMachineArn: cloud.resources.importMachineArn,
          input,
          name: job.jobId,
        }),
      )
      .catch((error: unknown) => error as Error);
    // Running: the same execution comes back; finished: AWS refuses the reused name.
    if (second instanceof Error) assert.equal(second.name, 'ExecutionAlreadyExists');
    else assert.equal(second.executionArn, first.executionArn);
    await cloud.idle();
    // A bare job names no upload: its one execution fails it, through MarkFailed.
    const ended = await jobs.get(job);
    assert.equal(ended?.status, 'failed');
    assert.equal(ended.errorCode, 'InvalidInput');
  });
});

describe('the cleanup schedule', () => {
  it('fails jobs stuck past the timeout and leaves fresh and finished ones alone', async () => {
    const old = new Date(Date.now() - 5 * 3600_000).toISOString();
    const stuck = newJob('export', { status: 'in_progress', createdAt: old });
    const stuckPending = newJob('import', { createdAt: old });
    const fresh = newJob('export');
    const finishedOld = newJob('export', { status: 'completed', createdAt: old });
    for (const job of [stuck, stuckPending, fresh, finishedOld]) await jobs.create(job);

    const response = await fetch(`${cloud.url}/__local/rules/cleanup`, { method: 'POST' });
    assert.equal(response.status, 200);
    const { results } = (await response.json()) as { results: { failedStale: number }[] };
    assert.equal(results[0]?.failedStale, 2);

    const expectStatus = async (job: Job, status: JobStatus) => {
      assert.equal((await jobs.get(job))?.status, status);
    };
    await expectStatus(stuck, 'failed');
    await expectStatus(stuckPending, 'failed');
    await expectStatus(fresh, 'pending');
    await expectStatus(finishedOld, 'completed');
    const failed = await jobs.get(stuck);
    assert.equal(failed?.errorCode, 'stale_job');
    assert.equal(failed.errorMessage, STALE_JOB_MESSAGE);

    // A second sweep finds nothing more to do.
    const again = (await cloud.runRule('cleanup')) as { failedStale: number }[];
    assert.equal(again[0]?.failedStale, 0);
  });
});
