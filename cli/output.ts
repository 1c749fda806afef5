/**
 * What the CLI prints: results on stdout (a table or lines for people, one JSON document with --json), notes and
 * errors on stderr, so `--json` output always parses.
 */
import type { Writable } from 'node:stream';

export interface OutputStreams {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
}

export class Output {
  constructor(
    readonly json: boolean,
    readonly streams: OutputStreams,
  ) {}

  /** The command's result: `value` as JSON with --json, else the lines `human` gives. */
  result(value: unknown, human: () => string | string[]): void {
    if (this.json) {
      this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    }
    const text = human();
    const lines = Array.isArray(text) ? text : [text];
    if (lines.length > 0) this.streams.stdout.write(`${lines.join('\n')}\n`);
  }

  /** A note for people (what happened, what to do next); never on stdout, silent with --json. */
  note(message: string): void {
    if (!this.json) this.streams.stderr.write(`${message}\n`);
  }

  error(message: string): void {
    this.streams.stderr.write(`${message}\n`);
  }
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1024, as file managers show sizes). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** "2026-01-31T12:34:56.789Z" → "2026-01-31 12:34" (UTC). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return time.toISOString().slice(0, 16).replace('T', ' ');
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** What a person sees as characters (an emoji with modifiers is one). */
function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (part) => part.segment);
}

function truncate(text: string, width: number): string {
  const chars = graphemes(text);
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * Columns padded to their widest cell; cells of a column with `max` are cut to it. Widths count graphemes, which
 * is right for the text a table here shows (ids, titles, numbers; wide CJK characters come out a little short).
 */
export function table(
  columns: { header: string; max?: number; align?: 'right' }[],
  rows: string[][],
): string[] {
  const cells = rows.map((row) =>
    row.map((cell, index) => {
      const max = columns[index]?.max;
      const flat = cell.replace(/\s+/g, ' ');
      return max ? truncate(flat, max) : flat;
    }),
  );
  const widths = columns.map((column, index) =>
    Math.max(graphemes(column.header).length, ...cells.map((row) => graphemes(row[index] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, index) => {
        const pad = (widths[index] ?? 0) - graphemes(cell).length;
        return columns[index]?.align === 'right' ? ' '.repeat(pad) + cell : cell + ' '.repeat(pad);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)];
}
