/**
 * What to take, from the command line: `--all`, `--type note --type character` (whole types) and
 * `--ids note:a,b` (items by id), into the `selection` that export and import requests carry.
 */
import { CONTENT_TYPES, isContentType, type ContentType } from '../shared/chatbook/layout';
import type { ImportStrategy } from '../shared/imports/resolve';
import { UsageError } from './exit-codes';

export type Selection = Partial<Record<ContentType, 'all' | string[]>>;

export const IMPORT_STRATEGY_CHOICES = ['skip', 'overwrite', 'rename', 'merge'] as const;
type Choice = (typeof IMPORT_STRATEGY_CHOICES)[number];
type Expect<T extends true> = T;
// Compile-time only: the choices are exactly the service's strategies.
export type _StrategiesMatch = Expect<
  [ImportStrategy] extends [Choice] ? ([Choice] extends [ImportStrategy] ? true : false) : false
>;

/** Commander's collector for a repeatable option that also takes comma-separated values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  ];
}

/** Commander's collector for `--ids type:id,id` (repeatable; ids stay together with their type). */
export function collectIds(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function contentType(value: string): ContentType {
  if (!isContentType(value)) {
    throw new UsageError(`Unknown content type "${value}". Use one of: ${CONTENT_TYPES.join(', ')}.`);
  }
  return value;
}

export function buildSelection(options: { all?: boolean; type?: string[]; ids?: string[] }): Selection {
  const selection: Selection = {};
  if (options.all) for (const type of CONTENT_TYPES) selection[type] = 'all';
  for (const type of options.type ?? []) selection[contentType(type)] = 'all';
  for (const entry of options.ids ?? []) {
    const separator = entry.indexOf(':');
    if (separator <= 0) {
      throw new UsageError(`--ids takes type:id[,id...], e.g. --ids note:n1,n2 (got "${entry}").`);
    }
    const type = contentType(entry.slice(0, separator));
    const ids = entry
      .slice(separator + 1)
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    if (ids.length === 0) throw new UsageError(`--ids ${entry} names no id.`);
    const current = selection[type];
    // A whole type already selected stays whole.
    if (current !== 'all') selection[type] = [...new Set([...(current ?? []), ...ids])];
  }
  return selection;
}
