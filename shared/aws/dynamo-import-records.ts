import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  PutCommand,
  QueryCommand,
  type BatchGetCommandOutput,
  type QueryCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ContentType } from '../chatbook/layout';
import { ValidationError } from '../errors';
import type { ImportRecord, ImportRecordPage, ImportRecords } from '../imports/records';
import { KEY, userPartition } from './table-keys';

function recordPrefix(jobId: string): string {
  return `IMPORTREC#${jobId}#`;
}

function recordKey(
  userId: string,
  jobId: string,
  type: ContentType,
  sourceId: string,
): Record<string, string> {
  return { [KEY.partition]: userPartition(userId), [KEY.sort]: `${recordPrefix(jobId)}${type}#${sourceId}` };
}

function toRecord(item: Record<string, unknown>): ImportRecord {
  const { [KEY.partition]: _pk, [KEY.sort]: _sk, [KEY.ttl]: _ttl, ...record } = item;
  return record as unknown as ImportRecord;
}

/** Import records in the jobs table, next to their job (`IMPORTREC#<job>#<type>#<source id>`). */
export class DynamoImportRecords implements ImportRecords {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getMany(
    userId: string,
    jobId: string,
    keys: readonly { type: ContentType; sourceId: string }[],
  ): Promise<ImportRecord[]> {
    const found: ImportRecord[] = [];
    const unique = [...new Map(keys.map((key) => [`${key.type}#${key.sourceId}`, key])).values()];
    for (let start = 0; start < unique.length; start += 100) {
      let pending: Record<string, unknown>[] | undefined = unique
        .slice(start, start + 100)
        .map((key) => recordKey(userId, jobId, key.type, key.sourceId));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result: BatchGetCommandOutput = await this.documents.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) found.push(toRecord(item));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  async put(userId: string, jobId: string, record: ImportRecord): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...recordKey(userId, jobId, record.type, record.sourceId), ...record },
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

  async list(userId: string, jobId: string, limit: number, cursor?: string): Promise<ImportRecordPage> {
    const prefix = recordPrefix(jobId);
    let startKey: Record<string, unknown> | undefined;
    if (cursor) {
      const sk = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!sk.startsWith(prefix)) {
        throw new ValidationError(
          'invalid_cursor',
          'The cursor is not one this report returned. Start again without it.',
        );
      }
      startKey = { [KEY.partition]: userPartition(userId), [KEY.sort]: sk };
    }
    const result: QueryCommandOutput = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort },
        ExpressionAttributeValues: { ':pk': userPartition(userId), ':prefix': prefix },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const records = (result.Items ?? []).map(toRecord);
    const last: unknown = result.LastEvaluatedKey?.[KEY.sort];
    return typeof last === 'string'
      ? { records, nextCursor: Buffer.from(last).toString('base64url') }
      : { records };
  }
}
