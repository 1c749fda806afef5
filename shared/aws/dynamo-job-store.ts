import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ActiveJobIndex, ExpiringExportIndex } from '../cleanup/sweep';
import { ValidationError } from '../errors';
import {
  JOB_KINDS,
  TERMINAL_STATUSES,
  type Job,
  type JobKey,
  type JobKind,
  type JobListQuery,
  type JobPage,
  type JobPatch,
  type JobStatus,
  type JobStore,
} from '../jobs/job';
import { INDEX, jobCreatedSortKey, jobSortKey, KEY, userPartition } from './table-keys';

/**
 * Jobs not yet terminal carry the sweep index keys; reaching a terminal state removes them, except that a
 * completed export moves to the expiring partition, ordered by when it expires, until the cleanup expires it.
 */
const ACTIVE_PARTITION = 'ACTIVE_JOB';
const EXPIRING_PARTITION = 'EXPIRING_EXPORT';

function activeSortKey(job: Pick<Job, 'createdAt' | 'userId' | 'kind' | 'jobId'>): string {
  return `${job.createdAt}#${job.kind}#${job.jobId}#${job.userId}`;
}

type JobItem = Job & Record<string, unknown>;

const LIST_PAGE = 100;
const MAX_LIST_PAGES = 20;

interface JobCursor {
  sk: string;
  lk: string;
}

function encodeJobCursor(cursor: JobCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Only sort keys travel in a cursor; the partition is always the caller's, so a cursor cannot cross users. */
function decodeJobCursor(raw: string, prefix: string): JobCursor {
  let value: Partial<JobCursor> | undefined;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<JobCursor>;
  } catch {
    value = undefined;
  }
  if (
    typeof value?.sk !== 'string' ||
    typeof value.lk !== 'string' ||
    !value.sk.startsWith(prefix) ||
    !value.lk.startsWith(prefix)
  ) {
    throw new ValidationError(
      'invalid_cursor',
      'The cursor is not one this listing returned. Start again without a cursor.',
    );
  }
  return { sk: value.sk, lk: value.lk };
}

function keyOf(key: JobKey): Record<string, string> {
  return { [KEY.partition]: userPartition(key.userId), [KEY.sort]: jobSortKey(key.kind, key.jobId) };
}

function toJob(item: Record<string, unknown>): Job {
  const {
    [KEY.partition]: _pk,
    [KEY.sort]: _sk,
    [KEY.listing]: _lsi,
    [KEY.ttl]: _ttl,
    [KEY.sweepPartition]: _gpk,
    [KEY.sweepSort]: _gsk,
    ...job
  } = item as JobItem;
  return job;
}

/** The JobStore port over DynamoDB: conditional writes make every transition safe to run twice. */
export class DynamoJobStore implements JobStore, ActiveJobIndex, ExpiringExportIndex {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: Job): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keyOf(job),
          [KEY.listing]: jobCreatedSortKey(job.kind, job.createdAt, job.jobId),
          ...(TERMINAL_STATUSES.has(job.status)
            ? {}
            : { [KEY.sweepPartition]: ACTIVE_PARTITION, [KEY.sweepSort]: activeSortKey(job) }),
          ...job,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': KEY.partition },
      }),
    );
  }

  async get(key: JobKey): Promise<Job | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }),
    );
    return result.Item ? toJob(result.Item) : undefined;
  }

  async transition(
    key: JobKey,
    from: readonly JobStatus[],
    to: JobStatus,
    step: string,
    patch: JobPatch = {},
  ): Promise<Job | undefined> {
    const now = new Date().toISOString();
    const names: Record<string, string> = {
      '#status': 'status',
      '#updatedAt': 'updatedAt',
      '#events': 'events',
    };
    const values: Record<string, unknown> = {
      ':to': to,
      ':now': now,
      ':event': [{ at: now, step, status: to }],
    };
    const sets = ['#status = :to', '#updatedAt = :now', '#events = list_append(#events, :event)'];
    for (const [field, value] of Object.entries(patch)) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const allowed = from.map((status, index) => {
      values[`:from${index}`] = status;
      return `:from${index}`;
    });
    try {
      const expiresAt = to === 'completed' ? patch.archive?.expiresAt : undefined;
      const removeSweepKeys = TERMINAL_STATUSES.has(to) && expiresAt === undefined;
      if (TERMINAL_STATUSES.has(to)) {
        names['#gpk'] = KEY.sweepPartition;
        names['#gsk'] = KEY.sweepSort;
      }
      if (expiresAt !== undefined) {
        values[':expiring'] = EXPIRING_PARTITION;
        values[':expiringKey'] = `${expiresAt}#${key.kind}#${key.jobId}#${key.userId}`;
        sets.push('#gpk = :expiring', '#gsk = :expiringKey');
      }
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: `SET ${sets.join(', ')}${removeSweepKeys ? ' REMOVE #gpk, #gsk' : ''}`,
          ConditionExpression: `attribute_exists(#pk) AND #status IN (${allowed.join(', ')})`,
          ExpressionAttributeNames: { ...names, '#pk': KEY.partition },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? toJob(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async update(key: JobKey, when: readonly JobStatus[], patch: JobPatch): Promise<boolean> {
    const entries = Object.entries(patch as Record<string, unknown>).filter(
      ([, value]) => value !== undefined,
    );
    if (entries.length === 0) return true;
    const names: Record<string, string> = {
      '#pk': KEY.partition,
      '#status': 'status',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = { ':now': new Date().toISOString() };
    const sets = ['#updatedAt = :now'];
    for (const [field, value] of entries) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const allowed = when.map((status, index) => {
      values[`:when${index}`] = status;
      return `:when${index}`;
    });
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(#pk) AND #status IN (${allowed.join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async list(userId: string, kind: JobKind, query: JobListQuery): Promise<JobPage> {
    const prefix = `JOB#${kind}#`;
    let startKey: Record<string, unknown> | undefined;
    if (query.cursor) {
      const cursor = decodeJobCursor(query.cursor, prefix);
      startKey = { [KEY.partition]: userPartition(userId), [KEY.sort]: cursor.sk, [KEY.listing]: cursor.lk };
    }
    const jobs: Job[] = [];
    let last: JobCursor | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result: QueryCommandOutput = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.listing,
          KeyConditionExpression: '#pk = :pk AND begins_with(#lk, :prefix)',
          ExpressionAttributeNames: { '#pk': KEY.partition, '#lk': KEY.listing },
          ExpressionAttributeValues: { ':pk': userPartition(userId), ':prefix': prefix },
          ScanIndexForward: false,
          Limit: LIST_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      const items = result.Items ?? [];
      for (const [index, item] of items.entries()) {
        last = { sk: String(item[KEY.sort]), lk: String(item[KEY.listing]) };
        if (query.status && item.status !== query.status) continue;
        jobs.push(toJob(item));
        if (jobs.length === query.limit) {
          const more = result.LastEvaluatedKey !== undefined || index < items.length - 1;
          return more ? { jobs, nextCursor: encodeJobCursor(last) } : { jobs };
        }
      }
      startKey = result.LastEvaluatedKey;
      if (!startKey) return { jobs };
    }
    return last ? { jobs, nextCursor: encodeJobCursor(last) } : { jobs };
  }

  async recordDownload(key: JobKey, at: string): Promise<Job | undefined> {
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: 'SET #lastDownloadedAt = :at ADD #downloadCount :one',
          ConditionExpression: 'attribute_exists(#pk) AND #status = :completed',
          ExpressionAttributeNames: {
            '#pk': KEY.partition,
            '#status': 'status',
            '#downloadCount': 'downloadCount',
            '#lastDownloadedAt': 'lastDownloadedAt',
          },
          ExpressionAttributeValues: { ':at': at, ':one': 1, ':completed': 'completed' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? toJob(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  listActiveCreatedBefore(cutoff: Date, limit: number): Promise<JobKey[]> {
    return this.sweepIndexBefore(ACTIVE_PARTITION, cutoff, limit);
  }

  listExpiringBefore(cutoff: Date, limit: number): Promise<JobKey[]> {
    return this.sweepIndexBefore(EXPIRING_PARTITION, cutoff, limit);
  }

  private async sweepIndexBefore(partition: string, cutoff: Date, limit: number): Promise<JobKey[]> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.sweep,
        KeyConditionExpression: '#gpk = :partition AND #gsk < :cutoff',
        ExpressionAttributeNames: { '#gpk': KEY.sweepPartition, '#gsk': KEY.sweepSort },
        ExpressionAttributeValues: { ':partition': partition, ':cutoff': cutoff.toISOString() },
        Limit: limit,
      }),
    );
    return (result.Items ?? []).flatMap((item) => {
      const [, kind, jobId, ...userParts] = String(item[KEY.sweepSort]).split('#');
      const userId = userParts.join('#');
      if (!kind || !jobId || !userId || !(JOB_KINDS as readonly string[]).includes(kind)) return [];
      return [{ userId, kind: kind as JobKind, jobId }];
    });
  }
}
