/**
 * Metrics as CloudWatch Embedded Metric Format (EMF): one JSON line on stdout per record, which CloudWatch Logs
 * turns into metrics of the namespace ChatbooksCloud (no API call, no extra permission). Locally the same lines
 * go to the worker's output.
 *
 * Job metrics (recordJobEndedMetrics), dimensions Kind (export | import) and Status (completed | failed |
 * cancelled | expired):
 *   Jobs            Count         1 per job that ended (exports/imports completed, failed, cancelled, expired)
 *   ItemsProcessed  Count         the job's processed items
 *   ItemsFailed     Count         items an import could not write (its `failed` outcome), imports only
 *   ArchiveBytes    Bytes         the archive's size, exports that wrote one
 *   BytesProcessed  Bytes         library bytes read into the archive (exports), when recorded
 *   JobDuration     Milliseconds  from creation to completion
 * Step metrics (stepMetrics, from every workflow task), dimension Step (export.prepare, import.import_batch...):
 *   StepDuration    Milliseconds  one task invocation
 *   StepErrors      Count         1 when it failed (an invalid input, a transient error past its retry, a bug), else 0
 */
import { TERMINAL_STATUSES, type Job } from '../jobs/job';
import { hashUserId } from './logger';

export const METRICS_NAMESPACE = 'ChatbooksCloud';

export type MetricUnit = 'Count' | 'Bytes' | 'Milliseconds';

export interface Metric {
  name: string;
  unit: MetricUnit;
  value: number;
}

/** One EMF record: the `_aws` metadata, then the dimension values, metric values and plain properties. */
export interface EmfRecord {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: MetricUnit }[];
    }[];
  };
  [field: string]: unknown;
}

/** EMF allows at most 100 metrics per record and dimension values of at most 1024 characters. */
const MAX_METRICS = 100;
const MAX_DIMENSION_VALUE = 1024;

/**
 * Builds an EMF record: every metric is published once per record under the one dimension set `dimensions`.
 * Metrics whose value is not a finite number are left out (EMF rejects them); properties are searchable in
 * CloudWatch Logs Insights but are not metrics.
 */
export function emfRecord(input: {
  dimensions: Record<string, string>;
  metrics: Metric[];
  properties?: Record<string, string | number | boolean>;
  timestamp?: number;
}): EmfRecord {
  const metrics = input.metrics.filter((metric) => Number.isFinite(metric.value)).slice(0, MAX_METRICS);
  const dimensions = Object.fromEntries(
    Object.entries(input.dimensions).map(([name, value]) => [name, value.slice(0, MAX_DIMENSION_VALUE)]),
  );
  const taken = new Set([...Object.keys(dimensions), ...metrics.map((metric) => metric.name), '_aws']);
  const properties = Object.fromEntries(
    Object.entries(input.properties ?? {}).filter(([name]) => !taken.has(name)),
  );
  return {
    _aws: {
      Timestamp: input.timestamp ?? Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [Object.keys(dimensions)],
          Metrics: metrics.map((metric) => ({ Name: metric.name, Unit: metric.unit })),
        },
      ],
    },
    ...properties,
    ...dimensions,
    ...Object.fromEntries(metrics.map((metric) => [metric.name, metric.value])),
  };
}

/** Where EMF lines go; tests replace it. Lambda sends stdout to CloudWatch Logs, which extracts the metrics. */
export type MetricsWriter = (line: string) => void;

let writer: MetricsWriter = (line) => {
  process.stdout.write(line);
};

/** Replaces where records are written (tests); returns the previous writer. */
export function setMetricsWriter(next: MetricsWriter): MetricsWriter {
  const previous = writer;
  writer = next;
  return previous;
}

/** Writes one EMF record as a JSON line. */
export function emitMetrics(record: EmfRecord): void {
  writer(`${JSON.stringify(record)}\n`);
}

function millisBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * The metrics of a job that reached a terminal state (see the list at the top); undefined for a job still
 * pending or in progress. Properties carry the job id and the hashed user id, never the user id.
 */
export function jobEndedMetrics(job: Job, timestamp = Date.now()): EmfRecord | undefined {
  if (!TERMINAL_STATUSES.has(job.status)) return undefined;
  // An expired export was completed long before it expired: only completedAt measures its run.
  const endedAt = job.completedAt ?? (job.status === 'expired' ? undefined : job.updatedAt);
  const duration = millisBetween(job.createdAt, endedAt);
  const metrics: Metric[] = [
    { name: 'Jobs', unit: 'Count', value: 1 },
    { name: 'ItemsProcessed', unit: 'Count', value: job.processedItems },
  ];
  if (job.kind === 'import' && job.outcomes)
    metrics.push({ name: 'ItemsFailed', unit: 'Count', value: job.outcomes.failed ?? 0 });
  if (job.kind === 'export' && job.archive?.sizeBytes !== undefined)
    metrics.push({ name: 'ArchiveBytes', unit: 'Bytes', value: job.archive.sizeBytes });
  if (job.processedBytes !== undefined)
    metrics.push({ name: 'BytesProcessed', unit: 'Bytes', value: job.processedBytes });
  if (duration !== undefined) metrics.push({ name: 'JobDuration', unit: 'Milliseconds', value: duration });
  return emfRecord({
    dimensions: { Kind: job.kind, Status: job.status },
    metrics,
    properties: {
      service: 'chatbooks',
      jobId: job.jobId,
      user: hashUserId(job.userId),
      ...(job.errorCode ? { errorCode: job.errorCode } : {}),
    },
    timestamp,
  });
}

/**
 * Emits the metrics of a job that ended (completed, failed, cancelled or expired); does nothing for a job that
 * has not. Call it once per job end (from the job-ended hook): each call counts one job.
 */
export function recordJobEndedMetrics(job: Job): void {
  const record = jobEndedMetrics(job);
  if (record) emitMetrics(record);
}

/** How a workflow step invocation ended. */
export type StepOutcome = 'ok' | 'stopped' | 'invalid_input' | 'transient' | 'failed';

const STEP_ERRORS: ReadonlySet<StepOutcome> = new Set(['invalid_input', 'transient', 'failed']);

/**
 * One workflow step invocation: StepDuration and StepErrors under the dimension Step. A step that stopped
 * because its job was cancelled or ended elsewhere ('stopped') is not an error.
 */
export function stepMetrics(
  step: string,
  durationMs: number,
  outcome: StepOutcome,
  properties: Record<string, string> = {},
  timestamp = Date.now(),
): EmfRecord {
  return emfRecord({
    dimensions: { Step: step },
    metrics: [
      { name: 'StepDuration', unit: 'Milliseconds', value: durationMs },
      { name: 'StepErrors', unit: 'Count', value: STEP_ERRORS.has(outcome) ? 1 : 0 },
    ],
    properties: { service: 'chatbooks', outcome, ...properties },
    timestamp,
  });
}
