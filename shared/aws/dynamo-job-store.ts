import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ActiveJobIndex } from '../cleanup/sweep';
import {
  JOB_KINDS,
  TERMINAL_STATUSES,
  type Job,
  type JobKey,
  type JobKind,
  type JobPatch,
  type JobStatus,
  type JobStore,
} from '../jobs/job';
import { INDEX, jobCreatedSortKey, jobSortKey, KEY, userPartition } from './table-keys';

/** Jobs not yet terminal carry the sweep index keys; reaching a terminal state removes them. */
const ACTIVE_PARTITION = 'ACTIVE_JOB';

function activeSortKey(job: Pick<Job, 'createdAt' | 'userId' | 'kind' | 'jobId'>): string {
  return `${job.createdAt}#${job.kind}#${job.jobId}#${job.userId}`;
}

type JobItem = Job & Record<string, unknown>;

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
export class DynamoJobStore implements JobStore, ActiveJobIndex {
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
      const removeSweepKeys = TERMINAL_STATUSES.has(to);
      if (removeSweepKeys) {
        names['#gpk'] = KEY.sweepPartition;
        names['#gsk'] = KEY.sweepSort;
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

  async listActiveCreatedBefore(cutoff: Date, limit: number): Promise<JobKey[]> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.sweep,
        KeyConditionExpression: '#gpk = :active AND #gsk < :cutoff',
        ExpressionAttributeNames: { '#gpk': KEY.sweepPartition, '#gsk': KEY.sweepSort },
        ExpressionAttributeValues: { ':active': ACTIVE_PARTITION, ':cutoff': cutoff.toISOString() },
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
