/** `chatbooks library list <type>` and `chatbooks library show <type> <id>`. */
import type { Command } from 'commander';
import type { LibraryItemResponse, LibraryListOptions } from '../../sdk/src';
import { contextOf, type CliIo } from '../context';
import { formatBytes, formatTime, table } from '../output';
import { collect, contentType } from '../selection';
import { isoTime, positiveInteger } from './options';

interface ListOptions {
  tag?: string[];
  since?: string;
  until?: string;
  query?: string;
  limit: number;
  cursor?: string;
  all?: boolean;
}

export function registerLibraryCommands(program: Command, io: CliIo): void {
  const library = program.command('library').description('The content in your library');

  library
    .command('list')
    .description('Items of one type, newest update first')
    .argument(
      '<type>',
      'conversation, note, character, world_book, dictionary, prompt, media, embedding, ...',
    )
    .option('--tag <tag>', 'items with this tag (repeatable; items with all of them)', collect)
    .option('--since <time>', 'updated since (ISO 8601)', isoTime)
    .option('--until <time>', 'updated until (ISO 8601)', isoTime)
    .option('-q, --query <text>', 'titles containing this text')
    .option('--limit <n>', 'items per page', positiveInteger, 50)
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--all', 'every page')
    .action(async (type: string, options: ListOptions, command: Command) => {
      const context = contextOf(command, io);
      const contentTypeName = contentType(type);
      const client = await context.client();
      const query: LibraryListOptions = {
        limit: options.limit,
        tag: options.tag,
        updated_since: options.since,
        updated_until: options.until,
        q: options.query,
        cursor: options.cursor,
      };
      let items: LibraryItemResponse[];
      let nextCursor: string | null;
      if (options.all) {
        items = [];
        for await (const item of client.libraryItems(contentTypeName, query, { signal: context.signal })) {
          items.push(item);
        }
        nextCursor = null;
      } else {
        const page = await client.listLibraryItems(contentTypeName, query, { signal: context.signal });
        items = page.items;
        nextCursor = page.next_cursor;
      }
      context.output.result({ items, next_cursor: nextCursor }, () => {
        if (items.length === 0) return `No ${contentTypeName} items.`;
        return [
          ...table(
            [
              { header: 'ID', max: 40 },
              { header: 'TITLE', max: 48 },
              { header: 'TAGS', max: 30 },
              { header: 'UPDATED' },
              { header: 'SIZE', align: 'right' },
            ],
            items.map((item) => [
              item.id,
              item.title,
              item.tags.join(', '),
              formatTime(item.updated_at),
              formatBytes(item.size_bytes),
            ]),
          ),
          ...(nextCursor ? [`More: --cursor ${nextCursor}`] : []),
        ];
      });
    });

  library
    .command('show')
    .description('One item with its content (JSON)')
    .argument('<type>')
    .argument('<id>')
    .action(async (type: string, id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const contentTypeName = contentType(type);
      const client = await context.client();
      const item = await client.getLibraryItem(contentTypeName, id, { signal: context.signal });
      context.output.result(item, () => JSON.stringify(item, null, 2));
    });
}
