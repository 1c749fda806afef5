/** How jobs look on a terminal, and following one to its end with a progress bar. */
import {
  ChatbooksApiError,
  type ChatbooksClient,
  type ExportJob,
  type ImportJob,
  type ImportReportItem,
  type JobKind,
  type JobOf,
} from '../sdk/src';
import type { CliContext } from './context';
import { InterruptedError } from './exit-codes';
import { formatBytes, formatTime, table } from './output';

export type AnyJob = ExportJob | ImportJob;

export function isExportJob(job: AnyJob): job is ExportJob {
  return 'download_url' in job;
}

export function progressDetail(job: AnyJob): string {
  const items = `${job.processed_items}/${job.total_items} items`;
  if (isExportJob(job) && job.total_bytes > 0) {
    return `${job.status}  ${items}  ${formatBytes(job.processed_bytes)}/${formatBytes(job.total_bytes)}`;
  }
  return `${job.status}  ${items}`;
}

export function outcomeSummary(job: ImportJob): string {
  return Object.entries(job.counts)
    .map(([outcome, count]) => `${count} ${outcome}`)
    .join(', ');
}

/** One line: what the job is and how it ended (or how far it is). */
export function jobHeadline(kind: JobKind, job: AnyJob): string {
  const what = `${kind === 'export' ? 'Export' : 'Import'} ${job.job_id} "${job.chatbook_name}"`;
  if (job.status === 'completed') {
    return isExportJob(job)
      ? `${what} completed: ${job.processed_items} items, ${formatBytes(job.file_size_bytes)}`
      : `${what} completed: ${outcomeSummary(job)}`;
  }
  if (job.error) return `${what} ${job.status}: ${job.error.message} (${job.error.code})`;
  return `${what} is ${job.status} (${job.progress_percentage}%, ${job.processed_items}/${job.total_items} items)`;
}

/** Everything a person wants to know about one job. */
export function jobDetails(kind: JobKind, job: AnyJob): string[] {
  const lines = [
    jobHeadline(kind, job),
    `  status:     ${job.status} (${job.progress_percentage}%)`,
    `  items:      ${job.processed_items} of ${job.total_items}`,
    `  created:    ${formatTime(job.created_at)}`,
    `  started:    ${formatTime(job.started_at)}`,
    `  completed:  ${formatTime(job.completed_at)}`,
  ];
  if (isExportJob(job)) {
    lines.push(
      `  size:       ${formatBytes(job.file_size_bytes)}`,
      `  sha256:     ${job.sha256 ?? '-'}`,
      `  format:     ${job.format_version ?? '-'}`,
      `  expires:    ${formatTime(job.expires_at)}`,
      `  downloads:  ${job.download_count}`,
    );
    if (job.download_url) lines.push(`  download:   chatbooks download ${job.job_id}`);
  } else {
    lines.push(`  strategy:   ${job.strategy ?? '-'}`, `  outcomes:   ${outcomeSummary(job)}`);
  }
  if (job.error) lines.push(`  error:      ${job.error.message} (${job.error.code})`);
  for (const warning of job.warnings) lines.push(`  warning:    ${warning}`);
  return lines;
}

export function jobTable(jobs: { kind: JobKind; job: AnyJob }[]): string[] {
  return table(
    [
      { header: 'KIND' },
      { header: 'JOB ID' },
      { header: 'STATUS' },
      { header: 'NAME', max: 40 },
      { header: 'PROGRESS', align: 'right' },
      { header: 'CREATED' },
    ],
    jobs.map(({ kind, job }) => [
      kind,
      job.job_id,
      job.status,
      job.chatbook_name,
      `${job.progress_percentage}%`,
      formatTime(job.created_at),
    ]),
  );
}

export function reportTable(items: ImportReportItem[]): string[] {
  return table(
    [
      { header: 'TYPE' },
      { header: 'SOURCE ID', max: 36 },
      { header: 'TITLE', max: 40 },
      { header: 'OUTCOME' },
      { header: 'LIBRARY ID', max: 40 },
      { header: 'REASON', max: 60 },
    ],
    items.map((item) => [
      item.type,
      item.source_id,
      item.title,
      item.outcome,
      item.library_id ?? '-',
      item.reason ?? (item.notes.length > 0 ? item.notes.join('; ') : ''),
    ]),
  );
}

/** Polls the job to its end with a progress bar; throws ChatbooksJobError if it fails or is cancelled. */
export async function followJob<K extends JobKind>(
  context: CliContext,
  client: ChatbooksClient,
  kind: K,
  jobId: string,
): Promise<JobOf<K>> {
  const bar = context.bar(`${kind} ${jobId.slice(0, 8)}`);
  try {
    return await client.waitForJob(kind, jobId, {
      signal: context.signal,
      // Someone is watching: poll at most every 2 s.
      maxIntervalMs: 2000,
      onProgress: (job) => {
        bar.update(job.progress_percentage / 100, progressDetail(job));
      },
    });
  } catch (error) {
    if (context.signal.aborted) {
      throw new InterruptedError(
        `Stopped waiting; the ${kind} goes on. Follow it again with: chatbooks jobs wait ${jobId}`,
      );
    }
    throw error;
  } finally {
    bar.finish();
  }
}

/** The job's kind when the user did not say: an export id is tried first, then an import id. */
export async function findJob(
  client: ChatbooksClient,
  jobId: string,
  kind: JobKind | undefined,
  signal: AbortSignal,
): Promise<{ kind: JobKind; job: AnyJob }> {
  if (kind) return { kind, job: await client.getJob(kind, jobId, { signal }) };
  try {
    return { kind: 'export', job: await client.getExportJob(jobId, { signal }) };
  } catch (error) {
    if (!(error instanceof ChatbooksApiError) || error.status !== 404) throw error;
  }
  try {
    return { kind: 'import', job: await client.getImportJob(jobId, { signal }) };
  } catch (error) {
    if (!(error instanceof ChatbooksApiError) || error.status !== 404) throw error;
    throw new ChatbooksApiError({
      status: 404,
      code: error.code,
      message: `No export or import job ${jobId} for you. List yours with: chatbooks jobs list`,
      details: error.details,
      requestId: error.requestId,
    });
  }
}
