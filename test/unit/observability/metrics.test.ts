import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Job, JobStatus } from '../../../shared/jobs/job';
import { hashUserId } from '../../../shared/observability/logger';
import {
  emfRecord,
  jobEndedMetrics,
  METRICS_NAMESPACE,
  recordJobEndedMetrics,
  setMetricsWriter,
  stepMetrics,
  type EmfRecord,
  type MetricsWriter,
} from '../../../shared/observability/metrics';

const USER = 'alice@example.com';
const JOB_ID = '0b7e3c1a-5d2f-4a8b-9c6d-1e2f3a4b5c6d';

function job(overrides: Partial<Job> = {}): Job {
  return {
    userId: USER,
    jobId: JOB_ID,
    kind: 'export',
    status: 'completed',
    name: 'My private notes',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:09.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    completedAt: '2026-01-01T00:00:07.500Z',
    totalItems: 12,
    processedItems: 12,
    totalBytes: 4096,
    processedBytes: 4000,
    events: [],
    archive: {
      key: `users/${USER}/chatbooks/exports/${JOB_ID}/x.chatbook`,
      fileName: 'x.chatbook',
      sizeBytes: 2345,
    },
    ...overrides,
  };
}

/** Checks the EMF contract CloudWatch applies: every declared dimension and metric is a root field of the record. */
function assertValidEmf(record: EmfRecord): void {
  assert.equal(typeof record._aws.Timestamp, 'number');
  assert.equal(record._aws.CloudWatchMetrics.length, 1);
  const [directive] = record._aws.CloudWatchMetrics;
  assert.ok(directive);
  assert.equal(directive.Namespace, 'ChatbooksCloud');
  assert.ok(directive.Dimensions.length >= 1);
  for (const set of directive.Dimensions) {
    assert.ok(set.length >= 1 && set.length <= 30);
    for (const name of set) assert.equal(typeof record[name], 'string', `dimension ${name}`);
  }
  assert.ok(directive.Metrics.length >= 1 && directive.Metrics.length <= 100);
  for (const metric of directive.Metrics) {
    assert.ok(['Count', 'Bytes', 'Milliseconds'].includes(metric.Unit));
    const value = record[metric.Name];
    assert.ok(typeof value === 'number' && Number.isFinite(value), `metric ${metric.Name}`);
  }
}

function metricValues(record: EmfRecord): Record<string, [number, string]> {
  return Object.fromEntries(
    (record._aws.CloudWatchMetrics[0]?.Metrics ?? []).map((metric) => [
      metric.Name,
      [record[metric.Name] as number, metric.Unit],
    ]),
  );
}

describe('EMF records', () => {
  it('declare the namespace, one dimension set and each metric, with the values at the root', () => {
    const record = emfRecord({
      dimensions: { Kind: 'export', Status: 'failed' },
      metrics: [
        { name: 'Jobs', unit: 'Count', value: 1 },
        { name: 'Broken', unit: 'Count', value: Number.NaN },
      ],
      properties: { jobId: JOB_ID, Kind: 'overridden?' },
      timestamp: 1767225600000,
    });
    assert.deepEqual(record, {
      _aws: {
        Timestamp: 1767225600000,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['Kind', 'Status']],
            Metrics: [{ Name: 'Jobs', Unit: 'Count' }],
          },
        ],
      },
      jobId: JOB_ID,
      Kind: 'export',
      Status: 'failed',
      Jobs: 1,
    });
    assertValidEmf(record);
  });
});

describe('recordJobEndedMetrics', () => {
  let written: string[];
  let previous: MetricsWriter;
  beforeEach(() => {
    written = [];
    previous = setMetricsWriter((line) => written.push(line));
  });
  afterEach(() => {
    setMetricsWriter(previous);
  });

  it('writes one EMF line for a completed export: count, items, archive and processed bytes, duration', () => {
    recordJobEndedMetrics(job());
    assert.equal(written.length, 1);
    assert.ok(written[0]?.endsWith('\n'));
    assert.equal(written[0]?.trim().includes('\n'), false);
    const record = JSON.parse(written[0]) as EmfRecord;
    assertValidEmf(record);
    assert.deepEqual(record._aws.CloudWatchMetrics[0]?.Dimensions, [['Kind', 'Status']]);
    assert.equal(record.Kind, 'export');
    assert.equal(record.Status, 'completed');
    assert.deepEqual(metricValues(record), {
      Jobs: [1, 'Count'],
      ItemsProcessed: [12, 'Count'],
      ArchiveBytes: [2345, 'Bytes'],
      BytesProcessed: [4000, 'Bytes'],
      JobDuration: [7500, 'Milliseconds'],
    });
    assert.equal(record.jobId, JOB_ID);
    assert.equal(record.user, hashUserId(USER));
    const text = written.join('');
    for (const leak of [USER, 'My private notes', 'x.chatbook'])
      assert.equal(text.includes(leak), false, leak);
  });

  it('counts a failed import with its failed items and error code, and no archive', () => {
    const record = jobEndedMetrics(
      job({
        kind: 'import',
        status: 'failed',
        archive: undefined,
        processedBytes: undefined,
        processedItems: 3,
        outcomes: { imported: 2, failed: 1 },
        errorCode: 'Transient',
      }),
    );
    assert.ok(record);
    assertValidEmf(record);
    assert.equal(record.Kind, 'import');
    assert.equal(record.Status, 'failed');
    assert.equal(record.errorCode, 'Transient');
    assert.deepEqual(metricValues(record), {
      Jobs: [1, 'Count'],
      ItemsProcessed: [3, 'Count'],
      ItemsFailed: [1, 'Count'],
      JobDuration: [7500, 'Milliseconds'],
    });
  });

  it('measures a cancelled job without completedAt to its last update, an expired one only to completedAt', () => {
    const cancelled = jobEndedMetrics(job({ status: 'cancelled', completedAt: undefined }));
    assert.equal(cancelled?.JobDuration, 9000);
    const expired = jobEndedMetrics(job({ status: 'expired', completedAt: undefined }));
    assert.ok(expired);
    assertValidEmf(expired);
    assert.equal('JobDuration' in expired, false);
    assert.equal(jobEndedMetrics(job({ status: 'expired' }))?.JobDuration, 7500);
  });

  it('writes nothing for a job that has not ended', () => {
    for (const status of ['pending', 'in_progress'] as JobStatus[]) {
      recordJobEndedMetrics(job({ status }));
      assert.equal(jobEndedMetrics(job({ status })), undefined);
    }
    assert.deepEqual(written, []);
  });
});

describe('stepMetrics', () => {
  it('records StepDuration and StepErrors under the Step dimension, with the outcome as a property', () => {
    const ok = stepMetrics('export.archive', 1234, 'ok', { jobId: JOB_ID, kind: 'export' });
    assertValidEmf(ok);
    assert.deepEqual(ok._aws.CloudWatchMetrics[0]?.Dimensions, [['Step']]);
    assert.equal(ok.Step, 'export.archive');
    assert.deepEqual(metricValues(ok), { StepDuration: [1234, 'Milliseconds'], StepErrors: [0, 'Count'] });
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.jobId, JOB_ID);
    assert.equal(stepMetrics('import.plan', 5, 'failed').StepErrors, 1);
    assert.equal(stepMetrics('import.plan', 5, 'transient').StepErrors, 1);
    assert.equal(stepMetrics('import.plan', 5, 'invalid_input').StepErrors, 1);
    // A job cancelled while its workflow ran stops the next step: not an error.
    assert.equal(stepMetrics('import.plan', 5, 'stopped').StepErrors, 0);
  });
});
