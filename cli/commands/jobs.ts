/** `chatbooks jobs list|show|wait|cancel|report`: export and import jobs. */
import { Option, type Command } from 'commander';
import {
  ChatbooksJobError,
  type ChatbooksClient,
  type ImportReportItem,
  type JobKind,
  type ReportPageOptions,
} from '../../sdk/src';
import { JOB_STATUSES, type JobStatus } from '../../shared/jobs/job';
import { contextOf, type CliIo } from '../context';
import {
  findJob,
  followJob,
  jobDetails,
  jobHeadline,
  jobTable,
  reportTable,
  type AnyJob,
} from '../jobs-view';
import { positiveInteger } from './options';

const kindOption = () =>
  new Option('-k, --kind <kind>', 'export or import (found by id otherwise)').choices(['export', 'import']);

async function listKind(
  client: ChatbooksClient,
  kind: JobKind,
  query: { limit: number; status?: JobStatus | undefined },
  all: boolean,
  signal: AbortSignal,
): Promise<AnyJob[]> {
  const jobs: AnyJob[] = [];
  let cursor: string | undefined;
  do {
    const page =
      kind === 'export'
        ? await client.listExportJobs({ ...query, cursor }, { signal })
        : await client.listImportJobs({ ...query, cursor }, { signal });
    jobs.push(...page.jobs);
    cursor = page.next_cursor ?? undefined;
  } while (all && cursor);
  return jobs;
}

export function registerJobCommands(program: Command, io: CliIo): void {
  const jobs = program.command('jobs').description('Your export and import jobs');

  jobs
    .command('list')
    .description('Jobs, newest first')
    .addOption(new Option('-k, --kind <kind>', 'only exports or only imports').choices(['export', 'import']))
    .addOption(new Option('--status <status>', 'only jobs in this state').choices(JOB_STATUSES))
    .option('--limit <n>', 'at most this many of each kind', positiveInteger, 20)
    .option('--all', 'every job, page by page')
    .action(
      async (
        options: { kind?: JobKind; status?: JobStatus; limit: number; all?: boolean },
        command: Command,
      ) => {
        const context = contextOf(command, io);
        const client = await context.client();
        const kinds: JobKind[] = options.kind ? [options.kind] : ['export', 'import'];
        const query = { limit: options.limit, status: options.status };
        const listed = (
          await Promise.all(
            kinds.map(async (kind) =>
              (await listKind(client, kind, query, options.all === true, context.signal)).map((job) => ({
                kind,
                job,
              })),
            ),
          )
        )
          .flat()
          .sort((a, b) => b.job.created_at.localeCompare(a.job.created_at));
        context.output.result({ jobs: listed.map(({ kind, job }) => ({ kind, ...job })) }, () =>
          listed.length === 0 ? 'No jobs.' : jobTable(listed),
        );
      },
    );

  jobs
    .command('show')
    .description('One job: status, progress, counts, errors')
    .argument('<job_id>')
    .addOption(kindOption())
    .action(async (jobId: string, options: { kind?: JobKind }, command: Command) => {
      const context = contextOf(command, io);
      const client = await context.client();
      const { kind, job } = await findJob(client, jobId, options.kind, context.signal);
      context.output.result({ kind, ...job }, () => jobDetails(kind, job));
    });

  jobs
    .command('wait')
    .description('Follow a job to its end (resumable: it needs only the id); exit 5 if it fails')
    .argument('<job_id>')
    .addOption(kindOption())
    .action(async (jobId: string, options: { kind?: JobKind }, command: Command) => {
      const context = contextOf(command, io);
      const client = await context.client();
      const { kind } = await findJob(client, jobId, options.kind, context.signal);
      try {
        const job = await followJob(context, client, kind, jobId);
        context.output.result({ kind, ...job }, () => jobHeadline(kind, job));
      } catch (error) {
        if (error instanceof ChatbooksJobError) context.output.result({ kind, ...error.job }, () => []);
        throw error;
      }
    });

  jobs
    .command('cancel')
    .description('Cancel a pending or running job')
    .argument('<job_id>')
    .addOption(kindOption())
    .action(async (jobId: string, options: { kind?: JobKind }, command: Command) => {
      const context = contextOf(command, io);
      const client = await context.client();
      const kind = options.kind ?? (await findJob(client, jobId, undefined, context.signal)).kind;
      const job = await client.cancelJob(kind, jobId, { signal: context.signal });
      context.output.result({ kind, ...job }, () => jobHeadline(kind, job));
    });

  jobs
    .command('report')
    .description('What an import did with each item')
    .argument('<job_id>', 'the import job')
    .option('--limit <n>', 'one page of this many items (default: every item)', positiveInteger)
    .option('--cursor <cursor>', 'the page after this cursor')
    .action(async (jobId: string, options: { limit?: number; cursor?: string }, command: Command) => {
      const context = contextOf(command, io);
      const client = await context.client();
      if (options.limit !== undefined || options.cursor !== undefined) {
        const query: ReportPageOptions = { limit: options.limit, cursor: options.cursor };
        const page = await client.getImportReport(jobId, query, { signal: context.signal });
        context.output.result(page, () => [
          ...reportTable(page.items),
          ...(page.next_cursor ? [`More: --cursor ${page.next_cursor}`] : []),
        ]);
        return;
      }
      const items: ImportReportItem[] = [];
      for await (const item of client.importReportItems(jobId, { signal: context.signal })) items.push(item);
      context.output.result({ job_id: jobId, items, next_cursor: null }, () =>
        items.length === 0 ? 'No items.' : reportTable(items),
      );
    });
}
