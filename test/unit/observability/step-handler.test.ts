// The workflow task wrapper's logs and metrics: start and end with the job's keys, StepDuration per invocation,
// the user id only hashed, whatever way the step ends.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { failureInput, stepInput, workflowHandler } from '../../../functions/workflow/step-handler';
import { hashUserId, logger, type LogWriter } from '../../../shared/observability/logger';
import { setMetricsWriter, type EmfRecord, type MetricsWriter } from '../../../shared/observability/metrics';
import { StepError, type StepDeps } from '../../../shared/workflows/steps';
import { MemoryJobStore } from '../../support/memory-job-store';

const USER = 'carol.step@example.com';
const JOB_ID = '6c1f0d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f';
const deps = (): StepDeps => ({ jobs: new MemoryJobStore(), clock: { now: () => new Date() } });

let logs: Record<string, unknown>[];
let written: string;
let metrics: EmfRecord[];
let previousLogWriter: LogWriter;
let previousMetricsWriter: MetricsWriter;

beforeEach(() => {
  logs = [];
  metrics = [];
  written = '';
  previousLogWriter = logger.setWriter((_stream, line) => {
    written += line;
    logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  previousMetricsWriter = setMetricsWriter((line) => {
    written += line;
    metrics.push(JSON.parse(line) as EmfRecord);
  });
});
afterEach(() => {
  logger.setWriter(previousLogWriter);
  setMetricsWriter(previousMetricsWriter);
});

function messages(): string[] {
  return logs.map((record) => String(record.message));
}

/** The one StepDuration record this invocation emitted. */
function stepRecord(): EmfRecord {
  assert.equal(metrics.length, 1);
  const [record] = metrics;
  assert.ok(record);
  assert.deepEqual(record._aws.CloudWatchMetrics[0]?.Dimensions, [['Step']]);
  assert.deepEqual(
    record._aws.CloudWatchMetrics[0].Metrics.map((metric) => metric.Name),
    ['StepDuration', 'StepErrors'],
  );
  assert.equal(typeof record.StepDuration, 'number');
  return record;
}

describe('workflowHandler', () => {
  it('logs start and end with the step, kind, job id, request id and hashed user, and emits StepDuration', async () => {
    const handler = workflowHandler(
      'export.prepare',
      stepInput,
      async (_deps, input) => {
        logger.info('preparing', { items: 3 });
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { ...input, planned: true };
      },
      deps,
    );
    const result = await handler({ userId: USER, jobId: JOB_ID }, { awsRequestId: 'lambda-req-1' });
    assert.deepEqual(result, { userId: USER, jobId: JOB_ID, planned: true });
    assert.deepEqual(messages(), ['workflow step started', 'preparing', 'workflow step ended']);
    for (const record of logs) {
      assert.equal(record.step, 'export.prepare');
      assert.equal(record.kind, 'export');
      assert.equal(record.jobId, JOB_ID);
      assert.equal(record.user, hashUserId(USER));
      assert.equal(record.requestId, 'lambda-req-1');
    }
    assert.equal(logs[2]?.outcome, 'ok');
    assert.ok(Number(logs[2].durationMs) >= 4);
    const record = stepRecord();
    assert.equal(record.Step, 'export.prepare');
    assert.equal(record.StepErrors, 0);
    assert.equal(record.outcome, 'ok');
    assert.equal(record.jobId, JOB_ID);
    assert.equal(record.user, hashUserId(USER));
    assert.ok(Number(record.StepDuration) >= 4);
    assert.equal(written.includes(USER), false, 'the user id is never written in clear');
  });

  it('a job that stopped running is a stopped step, not an error', async () => {
    const handler = workflowHandler(
      'import.plan',
      stepInput,
      () =>
        Promise.reject(new StepError('Chatbooks.JobNotRunnable', `The import job of ${USER} is cancelled.`)),
      deps,
    );
    await assert.rejects(handler({ userId: USER, jobId: JOB_ID }), { name: 'Chatbooks.JobNotRunnable' });
    assert.deepEqual(messages(), ['workflow step started', 'workflow step stopped', 'workflow step ended']);
    assert.equal(logs[2]?.outcome, 'stopped');
    assert.equal(stepRecord().StepErrors, 0);
    assert.equal(written.includes(USER), false);
  });

  it('a transient storage error becomes Chatbooks.Transient and counts as a step error', async () => {
    const throttled = Object.assign(new Error(`Rate of requests exceeded for USER#${USER}`), {
      name: 'ThrottlingException',
    });
    const handler = workflowHandler('export.archive', stepInput, () => Promise.reject(throttled), deps);
    await assert.rejects(handler({ userId: USER, jobId: JOB_ID }), { name: 'Chatbooks.Transient' });
    assert.equal(logs.at(-1)?.outcome, 'transient');
    assert.equal(stepRecord().StepErrors, 1);
    assert.equal(written.includes(USER), false);
  });

  it('an unexpected error is logged by name and frames only, and counts as a step error', async () => {
    const handler = workflowHandler(
      'import.import_batch',
      stepInput,
      () => Promise.reject(new TypeError(`cannot read "secret note body" of users/${USER}/library`)),
      deps,
    );
    await assert.rejects(handler({ userId: USER, jobId: JOB_ID }), TypeError);
    const failed = logs.find((record) => record.message === 'workflow step failed');
    assert.equal((failed?.error as { name?: string } | undefined)?.name, 'TypeError');
    assert.equal(logs.at(-1)?.outcome, 'failed');
    assert.equal(stepRecord().StepErrors, 1);
    assert.equal(written.includes('secret note body'), false);
    assert.equal(written.includes(USER), false);
  });

  it('invalid input is refused as Chatbooks.InvalidInput and logged with its paths only', async () => {
    const handler = workflowHandler('export.finalize', stepInput, () => Promise.resolve('ran'), deps);
    await assert.rejects(handler({ userId: USER, jobId: 42, note: 'secret note body' }), {
      name: 'Chatbooks.InvalidInput',
    });
    const invalid = logs.filter((record) => record.message === 'workflow step got invalid input');
    assert.equal(invalid.length, 1);
    assert.deepEqual(invalid[0]?.issues, [{ path: 'jobId', code: 'invalid_type' }]);
    assert.equal(logs[0]?.user, hashUserId(USER));
    assert.equal(written.includes('secret note body'), false);
    assert.equal(written.includes(USER), false);
    const record = stepRecord();
    assert.equal(record.StepErrors, 1);
    assert.equal(record.outcome, 'invalid_input');
  });

  it('logs only a well-formed job id', async () => {
    const handler = workflowHandler('export.finalize', stepInput, () => Promise.resolve('ran'), deps);
    assert.equal(await handler({ userId: USER, jobId: 'not-a-uuid<script>' }), 'ran');
    assert.equal(logs.length, 2);
    assert.equal(
      logs.some((record) => 'jobId' in record),
      false,
    );
    assert.equal(written.includes('<script>'), false);
  });

  it('the failure step takes keys of any shape and still logs the job it marks', async () => {
    const handler = workflowHandler(
      'export.mark_failed',
      failureInput,
      () => Promise.resolve({ status: 'failed' }),
      deps,
    );
    await handler({ userId: USER, jobId: JOB_ID, error: { Error: 'States.TaskFailed', Cause: 'x' } });
    assert.equal(logs[0]?.jobId, JOB_ID);
    assert.equal(stepRecord().outcome, 'ok');
  });
});
