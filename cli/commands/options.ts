/** Option parsers shared by the commands; a bad value is a usage error (exit 2) with commander's message. */
import { InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../exit-codes';

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('Give a whole number from 1.');
  return parsed;
}

export function isoTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('Give an ISO 8601 time such as 2026-01-31T00:00:00Z.');
  }
  return /T/.test(value) ? value : `${value.slice(0, 10)}T00:00:00Z`;
}

/** A chatbook the user names: it must be a file that exists. */
export function requireFile(path: string): void {
  if (!existsSync(path)) throw new UsageError(`No file ${path}.`);
  if (!statSync(path).isFile()) throw new UsageError(`${path} is not a file.`);
}

/** A file about to be written: refuses to replace one unless --force. */
export function requireWritable(path: string, force: boolean | undefined): void {
  if (existsSync(path) && !force) throw new UsageError(`${path} exists. Pass --force to replace it.`);
}

/** A file name for a chatbook, from its name: path and shell characters replaced, `.chatbook` added. */
export function chatbookFileName(name: string): string {
  const safe = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._()-]+/gu, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .slice(0, 120);
  return `${safe === '' ? 'chatbook' : safe}.chatbook`;
}
