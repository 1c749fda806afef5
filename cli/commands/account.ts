/** `chatbooks quota` and `chatbooks cleanup`: your limits and use, and the cleanup of your own data. */
import type { Command } from 'commander';
import type { CleanupResponse, QuotaResponse } from '../../sdk/src';
import { contextOf, type CliIo } from '../context';
import { formatBytes, formatTime, table } from '../output';

function limit(value: number | null, format: (n: number) => string = String): string {
  return value === null ? 'unlimited' : format(value);
}

/** One row per quota: what you use of what you may. */
export function quotaTable(quota: QuotaResponse): string[] {
  const { limits, usage } = quota;
  return [
    `Tier: ${quota.tier} (day counts start again ${formatTime(quota.day_resets_at)})`,
    ...table(
      [{ header: 'QUOTA' }, { header: 'USED', align: 'right' }, { header: 'LIMIT', align: 'right' }],
      [
        [
          'storage (finished exports)',
          formatBytes(usage.storage_bytes),
          limit(limits.storage_bytes, formatBytes),
        ],
        ['exports today', String(usage.exports_today), limit(limits.exports_per_day)],
        ['imports today', String(usage.imports_today), limit(limits.imports_per_day)],
        ['jobs running', String(usage.active_jobs), String(limits.concurrent_jobs)],
        ['file size', '-', formatBytes(limits.max_file_bytes)],
      ],
    ),
  ];
}

export function cleanupSummary(result: CleanupResponse): string {
  return (
    `Expired ${result.expired_exports} export(s) (${result.deleted_objects} file(s) deleted), ` +
    `failed ${result.failed_stale_jobs} stuck job(s), deleted ${result.deleted_uploads} old upload(s), ` +
    `released ${result.released_slots} slot(s)${result.corrected_storage ? ', corrected the storage count' : ''}.`
  );
}

export function registerAccountCommands(program: Command, io: CliIo): void {
  program
    .command('quota')
    .description('Your tier, its limits and what you use of them')
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const quota = await (await context.client()).getQuota({ signal: context.signal });
      context.output.result(quota, () => quotaTable(quota));
    });
  program
    .command('cleanup')
    .description('Clean up your own data now: expired exports, stuck jobs, old uploads, quota counts')
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const result = await (await context.client()).runCleanup({ signal: context.signal });
      context.output.result(result, () => cleanupSummary(result));
    });
}
