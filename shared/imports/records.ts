/**
 * The import report, kept with the job in pages: one page per RECORD_PAGE_SIZE items of the import plan, written
 * once all its items are in the library. A page that exists is what makes a retried batch skip those items; one
 * write per hundred items is also what keeps a large import fast.
 */
import type { ContentType } from '../chatbook/layout';
import type { ImportAction } from './resolve';

export type ImportOutcome = ImportAction | 'failed';

/** Items per report page; batches of the import plan are whole pages. */
export const RECORD_PAGE_SIZE = 100;

export interface ImportRecord {
  type: ContentType;
  /** The item's id in the chatbook. */
  sourceId: string;
  title: string;
  outcome: ImportOutcome;
  /** The library item written, or left alone (skipped over an existing item). */
  targetId?: string;
  /** The identity (normalized title) the item took in the library, for imported and renamed items. */
  identityKey?: string;
  reason?: string;
  notes?: string[];
}

export interface ImportRecordPage {
  records: ImportRecord[];
  nextCursor?: string;
}

/** The records port; every key is scoped by the verified user id and the job. */
export interface ImportRecords {
  /** The pages that exist among `starts` (plan indexes, multiples of RECORD_PAGE_SIZE). */
  getPages(userId: string, jobId: string, starts: readonly number[]): Promise<Map<number, ImportRecord[]>>;
  /** Writes the page of the plan's items from `start` unless it exists (a retry); returns false then. */
  putPage(userId: string, jobId: string, start: number, records: readonly ImportRecord[]): Promise<boolean>;
  /** The records in plan order, `limit` at a time. */
  list(userId: string, jobId: string, limit: number, cursor?: string): Promise<ImportRecordPage>;
}

/** Every record of a job, page by page. */
export async function allRecords(
  records: ImportRecords,
  userId: string,
  jobId: string,
): Promise<ImportRecord[]> {
  const all: ImportRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await records.list(userId, jobId, 1000, cursor);
    all.push(...page.records);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

const MAX_NOTES = 5;
const MAX_TEXT = 300;

function clipped(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** A record small enough that a page of them stays far below DynamoDB's 400 KB item limit. */
export function boundedRecord(record: ImportRecord): ImportRecord {
  const notes = record.notes?.map(clipped);
  return {
    ...record,
    title: clipped(record.title),
    ...(record.reason !== undefined ? { reason: clipped(record.reason) } : {}),
    ...(notes
      ? {
          notes:
            notes.length > MAX_NOTES
              ? [...notes.slice(0, MAX_NOTES - 1), `and ${notes.length - MAX_NOTES + 1} more notes`]
              : notes,
        }
      : {}),
  };
}
