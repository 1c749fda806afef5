/** `chatbooks export` and `chatbooks download`. */
import { Option, type Command } from 'commander';
import { ChatbooksJobError, type DownloadResult, type ExportJob, type ExportRequest } from '../../sdk/src';
import { contextOf, type CliContext, type CliIo } from '../context';
import { UsageError } from '../exit-codes';
import { followJob, jobHeadline } from '../jobs-view';
import { formatBytes } from '../output';
import { buildSelection, collect, collectIds } from '../selection';
import { chatbookFileName, isoTime, requireWritable } from './options';

interface ExportOptions {
  name?: string;
  description?: string;
  author?: string;
  all?: boolean;
  type?: string[];
  ids?: string[];
  tag?: string[];
  since?: string;
  until?: string;
  includeMedia?: boolean;
  includeEmbeddings?: boolean;
  formatVersion?: '1.1.0' | '1.0.0';
  target?: 'chatbook' | 'openwebui' | 'character_cards';
  async?: boolean;
  wait?: boolean;
  out?: string;
  force?: boolean;
}

interface FileResult {
  path: string;
  bytes: number;
  sha256: string;
  verified: boolean;
}

function fileLine(file: FileResult): string {
  return `Saved ${file.path} (${formatBytes(file.bytes)}, SHA-256 ${file.verified ? 'verified' : file.sha256})`;
}

async function downloadTo(context: CliContext, jobId: string, path: string): Promise<FileResult> {
  const client = await context.client();
  const bar = context.bar('download');
  let result: DownloadResult;
  try {
    result = await client.downloadExportToFile(jobId, path, {
      signal: context.signal,
      onProgress: ({ transferredBytes, totalBytes }) => {
        bar.bytes(transferredBytes, totalBytes);
      },
    });
  } finally {
    bar.finish();
  }
  return { path, bytes: result.bytes, sha256: result.sha256, verified: result.verified };
}

export function registerExportCommands(program: Command, io: CliIo): void {
  program
    .command('export')
    .description('Export content as a chatbook; with --out, download it when ready')
    .option('-n, --name <name>', 'the chatbook name (default "Chatbooks export <date>")')
    .option('--description <text>', 'what it holds')
    .option('--author <name>', 'who made it')
    .option('--all', 'every content type, whole')
    .option('-t, --type <type>', 'a whole content type (repeat it, or comma separate)', collect)
    .option('--ids <type:ids>', 'items by id, e.g. note:n1,n2 (repeatable)', collectIds)
    .option('--tag <tag>', 'only items with this tag (repeatable; items with all of them)', collect)
    .option('--since <time>', 'only items updated since (ISO 8601)', isoTime)
    .option('--until <time>', 'only items updated until (ISO 8601)', isoTime)
    .option('--include-media', 'bundle the media files')
    .option('--include-embeddings', "add each selected media item's embedding")
    .addOption(new Option('--format-version <version>', 'chatbook format').choices(['1.1.0', '1.0.0']))
    .addOption(
      new Option(
        '--target <target>',
        'what to write: a chatbook, Open WebUI chat JSON, or character cards',
      ).choices(['chatbook', 'openwebui', 'character_cards']),
    )
    .option('--async', 'run as a job even when small')
    .option('--wait', 'wait for a job to finish, with progress')
    .option('-o, --out <file>', 'download the chatbook to this file (waits for the job)')
    .option('--force', 'replace the --out file if it exists')
    .action(async (options: ExportOptions, command: Command) => {
      const context = contextOf(command, io);
      const selection = buildSelection(options);
      if (Object.keys(selection).length === 0) {
        throw new UsageError('Select what to export: --all, --type <type> or --ids <type:id,...>.');
      }
      if (options.out) requireWritable(options.out, options.force);
      const request: ExportRequest = {
        name: options.name ?? `Chatbooks export ${new Date().toISOString().slice(0, 10)}`,
        ...(options.description ? { description: options.description } : {}),
        ...(options.author ? { author: options.author } : {}),
        selection,
        filters: {
          ...(options.tag?.length ? { tags: options.tag } : {}),
          ...(options.since ? { updated_since: options.since } : {}),
          ...(options.until ? { updated_until: options.until } : {}),
        },
        include_media: options.includeMedia === true,
        include_embeddings: options.includeEmbeddings === true,
        ...(options.formatVersion ? { format_version: options.formatVersion } : {}),
        ...(options.target ? { target: options.target } : {}),
        ...(options.async ? { async: true } : {}),
      };
      const client = await context.client();
      let job: ExportJob = await client.createExport(request, { signal: context.signal });
      if (job.status !== 'completed' && (options.wait || options.out)) {
        context.output.note(`Export ${job.job_id} started; waiting for it.`);
        try {
          job = await followJob(context, client, 'export', job.job_id);
        } catch (error) {
          if (error instanceof ChatbooksJobError)
            context.output.result({ job: error.job, file: null }, () => []);
          throw error;
        }
      }
      const file =
        options.out && job.status === 'completed' ? await downloadTo(context, job.job_id, options.out) : null;
      context.output.result({ job, file }, () => {
        const lines = [jobHeadline('export', job)];
        if (file) lines.push(fileLine(file));
        else if (job.status === 'completed') lines.push(`Download it with: chatbooks download ${job.job_id}`);
        else lines.push(`Follow it with: chatbooks jobs wait ${job.job_id}`);
        return lines;
      });
    });

  program
    .command('download')
    .description("Download a completed export's chatbook (streamed to disk, SHA-256 checked)")
    .argument('<job_id>', 'the export job')
    .option('-o, --out <file>', 'where to write it (default: the chatbook name in this folder)')
    .option('--force', 'replace the file if it exists')
    .action(async (jobId: string, options: { out?: string; force?: boolean }, command: Command) => {
      const context = contextOf(command, io);
      const client = await context.client();
      const job = options.out ? undefined : await client.getExportJob(jobId, { signal: context.signal });
      const path = options.out ?? job?.file_name ?? chatbookFileName(job?.chatbook_name ?? jobId);
      requireWritable(path, options.force);
      const file = await downloadTo(context, jobId, path);
      context.output.result({ job_id: jobId, file }, () => fileLine(file));
    });
}
