/** `chatbooks import <file>` and `chatbooks preview <file>`. */
import { Option, type Command } from 'commander';
import {
  ChatbooksJobError,
  type ChatbooksClient,
  type ImportJob,
  type ImportReportItem,
  type ImportRequest,
  type PreviewResult,
  type StoredUpload,
} from '../../sdk/src';
import { contextOf, type CliContext, type CliIo } from '../context';
import { followJob, jobHeadline, reportTable } from '../jobs-view';
import { formatBytes, table } from '../output';
import { buildSelection, collect, collectIds, IMPORT_STRATEGY_CHOICES } from '../selection';
import { positiveInteger, requireFile } from './options';

interface ImportOptions {
  strategy: (typeof IMPORT_STRATEGY_CHOICES)[number];
  prefix?: string;
  type?: string[];
  ids?: string[];
  media: boolean;
  embeddings: boolean;
  async?: boolean;
  wait?: boolean;
  report?: boolean;
  sourceFormat?: string;
}

async function upload(context: CliContext, client: ChatbooksClient, file: string): Promise<StoredUpload> {
  const bar = context.bar('upload');
  try {
    const stored = await client.uploadChatbook(file, {
      signal: context.signal,
      onProgress: ({ transferredBytes, totalBytes }) => {
        bar.bytes(transferredBytes, totalBytes);
      },
    });
    bar.finish();
    context.output.note(`Uploaded ${file} (${formatBytes(stored.size_bytes)}).`);
    return stored;
  } finally {
    bar.finish();
  }
}

async function allReportItems(client: ChatbooksClient, jobId: string, signal: AbortSignal) {
  const items: ImportReportItem[] = [];
  for await (const item of client.importReportItems(jobId, { signal })) items.push(item);
  return items;
}

function previewLines(file: string, preview: PreviewResult, conflictsShown: number): string[] {
  const { manifest, archive, integrity, conflicts } = preview;
  const lines = [
    `${file}: "${manifest.name}" (format ${manifest.version}${manifest.declared_version === manifest.version ? '' : `, declared ${manifest.declared_version}`}), ${preview.total_items} items`,
    `  archive:    ${archive.entries} entries, ${formatBytes(preview.size_bytes)} (${formatBytes(archive.uncompressed_bytes)} uncompressed)`,
    `  integrity:  ${integrity.status === 'verified' ? `verified (${integrity.verified_files} files, ${integrity.inventory_verified_files} by SHA-256)` : `CRC only (${integrity.verified_files} files)`}`,
  ];
  if (manifest.author) lines.push(`  author:     ${manifest.author}`);
  if (preview.features.unsupported.length > 0) {
    lines.push(`  unsupported features: ${preview.features.unsupported.join(', ')}`);
  }
  lines.push(
    '',
    ...table(
      [
        { header: 'TYPE' },
        { header: 'ITEMS', align: 'right' },
        { header: 'NEW', align: 'right' },
        { header: 'CONFLICTS', align: 'right' },
      ],
      Object.entries(preview.counts).map(([type, count]) => {
        const forecast = conflicts.by_type[type as keyof typeof conflicts.by_type];
        return [type, String(count), String(forecast?.new ?? '-'), String(forecast?.conflicting ?? '-')];
      }),
    ),
  );
  if (conflicts.total > 0 && conflictsShown > 0) {
    const shown = conflicts.items.slice(0, conflictsShown);
    lines.push(
      '',
      `Conflicts with your library (${shown.length} of ${conflicts.total}):`,
      ...table(
        [
          { header: 'TYPE' },
          { header: 'TITLE', max: 40 },
          { header: 'EXISTING ID', max: 40 },
          { header: 'WITH rename', max: 50 },
        ],
        shown.map((item) => [item.type, item.title, item.existing_id, item.outcomes.rename]),
      ),
    );
  }
  for (const warning of preview.warnings) lines.push(`warning: ${warning}`);
  return lines;
}

export function registerImportCommands(program: Command, io: CliIo): void {
  program
    .command('import')
    .description('Upload a chatbook and import it into your library')
    .argument('<file>', 'the chatbook (.chatbook or .zip)')
    .addOption(
      new Option('-s, --strategy <strategy>', 'what to do with items you already have')
        .choices(IMPORT_STRATEGY_CHOICES)
        .default('skip'),
    )
    .option('--prefix <text>', 'put this before every imported title, e.g. "[Imported] "')
    .option('-t, --type <type>', 'import only this content type (repeatable)', collect)
    .option('--ids <type:ids>', 'import only these items, e.g. note:n1,n2 (repeatable)', collectIds)
    .option('--no-media', 'leave media files out')
    .option('--no-embeddings', 'leave embeddings out')
    .option('--async', 'run as a job even when small')
    .option('--wait', 'wait for a job to finish, with progress')
    .option('--report', 'print what happened to each item (waits for the job)')
    .option(
      '--source-format <format>',
      'what the file is (chatgpt_zip, openwebui_json, character_png, ...); detected if left out',
    )
    .action(async (file: string, options: ImportOptions, command: Command) => {
      const context = contextOf(command, io);
      requireFile(file);
      const selection = buildSelection(options);
      const client = await context.client();
      const stored = await upload(context, client, file);
      let job: ImportJob = await client.createImport(
        {
          upload_id: stored.upload_id,
          strategy: options.strategy,
          ...(Object.keys(selection).length > 0 ? { selection } : {}),
          ...(options.prefix ? { prefix: options.prefix } : {}),
          include_media: options.media,
          include_embeddings: options.embeddings,
          ...(options.async ? { async: true } : {}),
          ...(options.sourceFormat
            ? { source_format: options.sourceFormat as NonNullable<ImportRequest['source_format']> }
            : {}),
        },
        { signal: context.signal },
      );
      if (!['completed', 'failed', 'cancelled'].includes(job.status) && (options.wait || options.report)) {
        context.output.note(`Import ${job.job_id} started; waiting for it.`);
        try {
          job = await followJob(context, client, 'import', job.job_id);
        } catch (error) {
          if (error instanceof ChatbooksJobError)
            context.output.result({ job: error.job, report: null }, () => []);
          throw error;
        }
      }
      const report = options.report ? await allReportItems(client, job.job_id, context.signal) : null;
      context.output.result({ job, report }, () => {
        const lines = [jobHeadline('import', job)];
        for (const warning of job.warnings) lines.push(`warning: ${warning}`);
        if (report) lines.push('', ...reportTable(report));
        else if (job.status !== 'completed') lines.push(`Follow it with: chatbooks jobs wait ${job.job_id}`);
        return lines;
      });
      if (job.status === 'failed' || job.status === 'cancelled') throw new ChatbooksJobError('import', job);
    });

  program
    .command('preview')
    .description('Validate a chatbook and show what importing it would do; writes nothing')
    .argument('<file>', 'the chatbook (.chatbook or .zip)')
    .option('--conflicts <n>', 'how many conflicts to list', positiveInteger, 20)
    .option('--source-format <format>', 'what the file is; detected if left out')
    .action(async (file: string, options: { conflicts: number; sourceFormat?: string }, command: Command) => {
      const context = contextOf(command, io);
      requireFile(file);
      const client = await context.client();
      const stored = await upload(context, client, file);
      const preview = await client.previewChatbook(stored.upload_id, {
        signal: context.signal,
        ...(options.sourceFormat ? { sourceFormat: options.sourceFormat } : {}),
      });
      context.output.result(preview, () => previewLines(file, preview, options.conflicts));
    });
}
