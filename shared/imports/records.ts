/** The import report, one record per source item, kept with the job; also what makes a retried batch a no-op. */
import type { ContentType } from '../chatbook/layout';
import type { ImportAction } from './resolve';

export type ImportOutcome = ImportAction | 'failed';

export interface ImportRecord {
  type: ContentType;
  /** The item's id in the chatbook. */
  sourceId: string;
  title: string;
  outcome: ImportOutcome;
  /** The library item written, or left alone (skipped over an existing item). */
  targetId?: string;
  reason?: string;
  notes?: string[];
}

export interface ImportRecordPage {
  records: ImportRecord[];
  nextCursor?: string;
}

/** The records port; every key is scoped by the verified user id and the job. */
export interface ImportRecords {
  /** The records that exist among (type, sourceId) pairs. */
  getMany(
    userId: string,
    jobId: string,
    keys: readonly { type: ContentType; sourceId: string }[],
  ): Promise<ImportRecord[]>;
  /** Writes a record unless one exists (a retry); returns false then. */
  put(userId: string, jobId: string, record: ImportRecord): Promise<boolean>;
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
