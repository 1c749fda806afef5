import {
  boundedRecord,
  type ImportRecord,
  type ImportRecordPage,
  type ImportRecords,
} from '../../shared/imports/records';

/** Report pages in memory, with the DynamoDB adapter's write-once rule and cursor over (page, offset). */
export class MemoryImportRecords implements ImportRecords {
  readonly pages = new Map<string, ImportRecord[]>();

  private key(userId: string, jobId: string, start: number): string {
    return `${userId}/${jobId}/${String(start).padStart(10, '0')}`;
  }

  getPages(userId: string, jobId: string, starts: readonly number[]) {
    const found = new Map<number, ImportRecord[]>();
    for (const start of starts) {
      const page = this.pages.get(this.key(userId, jobId, start));
      if (page) found.set(start, structuredClone(page));
    }
    return Promise.resolve(found);
  }

  putPage(userId: string, jobId: string, start: number, records: readonly ImportRecord[]) {
    const key = this.key(userId, jobId, start);
    if (this.pages.has(key)) return Promise.resolve(false);
    this.pages.set(
      key,
      records.map((record) => structuredClone(boundedRecord(record))),
    );
    return Promise.resolve(true);
  }

  list(userId: string, jobId: string, limit: number, cursor?: string): Promise<ImportRecordPage> {
    const all = [...this.pages.entries()]
      .filter(([key]) => key.startsWith(`${userId}/${jobId}/`))
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([key, page]) =>
        page.map((record, offset) => ({ record, at: Number(key.slice(-10)) + offset })),
      );
    const from = cursor ? Number(cursor) : 0;
    const rest = all.filter((entry) => entry.at >= from);
    const records = rest.slice(0, limit).map((entry) => structuredClone(entry.record));
    const following = rest[limit];
    return Promise.resolve(following ? { records, nextCursor: String(following.at) } : { records });
  }
}
