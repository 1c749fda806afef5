import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  PutCommand,
  QueryCommand,
  type BatchGetCommandOutput,
  type QueryCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../errors';
import {
  boundedRecord,
  RECORD_PAGE_SIZE,
  type ImportRecord,
  type ImportRecordPage,
  type ImportRecords,
} from '../imports/records';
import { KEY, userPartition } from './table-keys';

const BATCH_GET_MAX = 100;

function pagePrefix(jobId: string): string {
  return `IMPORTREC#${jobId}#`;
}

/** Zero-padded, so pages sort in plan order. */
function pageSortKey(jobId: string, start: number): string {
  return `${pagePrefix(jobId)}${String(start).padStart(10, '0')}`;
}

function pageKey(userId: string, jobId: string, start: number): Record<string, string> {
  return { [KEY.partition]: userPartition(userId), [KEY.sort]: pageSortKey(jobId, start) };
}

interface StoredPage {
  start: number;
  records: ImportRecord[];
}

const invalidCursor = () =>
  new ValidationError(
    'invalid_cursor',
    'The cursor is not one this report returned. Start again without it.',
  );

/** Report pages in the jobs table, next to their job (`IMPORTREC#<job>#<first plan index>`). */
export class DynamoImportRecords implements ImportRecords {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getPages(
    userId: string,
    jobId: string,
    starts: readonly number[],
  ): Promise<Map<number, ImportRecord[]>> {
    const found = new Map<number, ImportRecord[]>();
    const unique = [...new Set(starts)];
    for (let first = 0; first < unique.length; first += BATCH_GET_MAX) {
      let pending: Record<string, unknown>[] | undefined = unique
        .slice(first, first + BATCH_GET_MAX)
        .map((start) => pageKey(userId, jobId, start));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result: BatchGetCommandOutput = await this.documents.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const page = item as unknown as StoredPage;
          found.set(page.start, page.records);
        }
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  async putPage(
    userId: string,
    jobId: string,
    start: number,
    records: readonly ImportRecord[],
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...pageKey(userId, jobId, start), start, records: records.map(boundedRecord) },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': KEY.partition },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** The cursor names the next record: its page and its place in that page. */
  async list(userId: string, jobId: string, limit: number, cursor?: string): Promise<ImportRecordPage> {
    let start = 0;
    let offset = 0;
    if (cursor) {
      const match = /^(\d{1,10})\.(\d{1,4})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!match) throw invalidCursor();
      start = Number(match[1]);
      offset = Number(match[2]);
    }
    const records: ImportRecord[] = [];
    const next = (page: number, at: number): ImportRecordPage => ({
      records,
      nextCursor: Buffer.from(`${page}.${at}`).toString('base64url'),
    });
    let startKey: Record<string, unknown> | undefined;
    for (;;) {
      const result: QueryCommandOutput = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort },
          ExpressionAttributeValues: {
            ':pk': userPartition(userId),
            ':from': pageSortKey(jobId, start),
            ':to': `${pagePrefix(jobId)}~`,
          },
          // The pages the limit needs, and one more to know whether anything follows.
          Limit: Math.ceil((limit - records.length + offset) / RECORD_PAGE_SIZE) + 1,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const page of (result.Items ?? []) as unknown as StoredPage[]) {
        if (records.length >= limit) return next(page.start, 0);
        const rest = page.records.slice(offset);
        const taken = rest.slice(0, limit - records.length);
        records.push(...taken);
        if (taken.length < rest.length) return next(page.start, offset + taken.length);
        offset = 0;
      }
      if (!result.LastEvaluatedKey) return { records };
      startKey = result.LastEvaluatedKey;
    }
  }
}
