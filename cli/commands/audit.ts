/** `chatbooks audit`: your audit trail, newest first. */
import { InvalidArgumentError, type Command } from 'commander';
import type { AuditEventResponse } from '../../sdk/src';
import { contextOf, type CliIo } from '../context';
import { table } from '../output';

interface AuditOptions {
  limit: number;
  action?: string;
  cursor?: string;
  all?: boolean;
}

/** The API pages audit events by 1 to 100. */
export function auditPageLimit(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 100)
    throw new InvalidArgumentError('Give a whole number from 1 to 100.');
  return parsed;
}

/** "2026-01-31T12:34:56.789Z" → "2026-01-31 12:34:56" (UTC). */
function eventTime(at: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(at) ? at.slice(0, 19).replace('T', ' ') : at;
}

/** One line per event: when, what, how it ended, and which job or upload, with the request id to quote. */
export function auditTable(events: readonly AuditEventResponse[]): string[] {
  return table(
    [
      { header: 'TIME' },
      { header: 'ACTION', max: 24 },
      { header: 'OUTCOME' },
      { header: 'STATUS', align: 'right' },
      { header: 'CODE', max: 28 },
      { header: 'JOB / UPLOAD' },
      { header: 'REQUEST ID', max: 40 },
    ],
    events.map((event) => [
      eventTime(event.at),
      event.action,
      event.outcome,
      event.status === null ? '-' : String(event.status),
      event.code ?? '-',
      event.job_id ?? (event.upload_id ? `upload ${event.upload_id}` : '-'),
      event.request_id ?? '-',
    ]),
  );
}

export function registerAuditCommands(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description('Your audit trail, newest first: what you did, what was refused, how jobs ended')
    .option('--limit <n>', 'events per page (1 to 100)', auditPageLimit, 20)
    .option('--action <action>', 'only events of this action (export, download, export.cancel, ...)')
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--all', 'every page')
    .action(async (options: AuditOptions, command: Command) => {
      const context = contextOf(command, io);
      const client = await context.client();
      const query = { limit: options.limit, action: options.action, cursor: options.cursor };
      let events: AuditEventResponse[];
      let nextCursor: string | null;
      if (options.all) {
        events = [];
        for await (const event of client.auditEvents(query, { signal: context.signal })) events.push(event);
        nextCursor = null;
      } else {
        const page = await client.listAuditEvents(query, { signal: context.signal });
        events = page.events;
        nextCursor = page.next_cursor;
      }
      context.output.result({ events, next_cursor: nextCursor }, () => {
        if (events.length === 0) return options.action ? `No ${options.action} events.` : 'No events.';
        return [...auditTable(events), ...(nextCursor ? [`More: --cursor ${nextCursor}`] : [])];
      });
    });
}
