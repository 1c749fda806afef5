import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { JobKind } from '../jobs/job';
import type { QuotaLedger, QuotaState } from '../quotas/quotas';
import { quotaOverridesSchema, type QuotaOverrides } from '../quotas/tiers';
import { INDEX, KEY, userPartition } from './table-keys';

const QUOTA_SORT = 'QUOTA';
/** Quota items sit in the sweep index under this partition, so the cleanup's repair can walk every user. */
const QUOTA_USERS = 'QUOTA_USER';
const DAY_TTL_SECONDS = 3 * 24 * 3600;

function daySort(day: string): string {
  return `QUOTA#DAY#${day}`;
}

function numberOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * The quota ledger in the jobs table: `QUOTA` per user (running-job set, storage bytes, overrides) and
 * `QUOTA#DAY#<day>` per user and day (jobs started, removed by TTL). Each limit is one conditional UpdateItem.
 */
export class DynamoQuotaLedger implements QuotaLedger {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private quotaKey(userId: string) {
    return { [KEY.partition]: userPartition(userId), [KEY.sort]: QUOTA_SORT };
  }

  private dayKey(userId: string, day: string) {
    return { [KEY.partition]: userPartition(userId), [KEY.sort]: daySort(day) };
  }

  /** Runs a conditional update; false when its condition did not hold. */
  private async conditional(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.documents.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async read(userId: string, day: string): Promise<QuotaState> {
    const result = await this.documents.send(
      new BatchGetCommand({
        RequestItems: {
          [this.tableName]: { Keys: [this.quotaKey(userId), this.dayKey(userId, day)], ConsistentRead: true },
        },
      }),
    );
    const items = result.Responses?.[this.tableName] ?? [];
    const quota = items.find((item) => item[KEY.sort] === QUOTA_SORT);
    const today = items.find((item) => item[KEY.sort] === daySort(day));
    const slots: unknown = quota?.activeJobs;
    const overrides = quotaOverridesSchema.safeParse(quota?.overrides ?? {});
    return {
      overrides: overrides.success ? overrides.data : {},
      activeJobs: slots instanceof Set ? [...slots].map(String) : [],
      storageBytes: Math.max(0, numberOf(quota?.storageBytes)),
      today: { export: numberOf(today?.export), import: numberOf(today?.import) },
    };
  }

  /**
   * An update of the user's quota item that also files it under the sweep index's users, so the cleanup finds
   * every user who ever uploaded or ran a job. False when `condition` did not hold.
   */
  private updateQuota(
    userId: string,
    update: { add?: string; set?: string; condition?: string },
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const set = [update.set, '#gpk = :users, #gsk = :user'].filter(Boolean).join(', ');
    return this.conditional({
      Key: this.quotaKey(userId),
      UpdateExpression: `${update.add ? `ADD ${update.add} ` : ''}SET ${set}`,
      ...(update.condition ? { ConditionExpression: update.condition } : {}),
      ExpressionAttributeNames: { ...names, '#gpk': KEY.sweepPartition, '#gsk': KEY.sweepSort },
      ExpressionAttributeValues: { ...values, ':users': QUOTA_USERS, ':user': userId },
    });
  }

  claimSlot(userId: string, slot: string, limit: number): Promise<boolean> {
    return this.updateQuota(
      userId,
      {
        add: '#slots :slot',
        condition: 'attribute_not_exists(#slots) OR size(#slots) < :limit OR contains(#slots, :one)',
      },
      { '#slots': 'activeJobs' },
      { ':slot': new Set([slot]), ':one': slot, ':limit': limit },
    );
  }

  async releaseSlots(userId: string, slots: readonly string[]): Promise<void> {
    if (slots.length === 0) return;
    await this.conditional({
      Key: this.quotaKey(userId),
      UpdateExpression: 'DELETE #slots :slots',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#slots': 'activeJobs', '#pk': KEY.partition },
      ExpressionAttributeValues: { ':slots': new Set(slots) },
    });
  }

  countJob(userId: string, day: string, kind: JobKind, limit: number | null): Promise<boolean> {
    return this.conditional({
      Key: this.dayKey(userId, day),
      UpdateExpression: 'ADD #kind :one SET #ttl = if_not_exists(#ttl, :ttl)',
      ...(limit === null ? {} : { ConditionExpression: 'attribute_not_exists(#kind) OR #kind < :limit' }),
      ExpressionAttributeNames: { '#kind': kind, '#ttl': KEY.ttl },
      ExpressionAttributeValues: {
        ':one': 1,
        ':ttl': Math.ceil(Date.parse(`${day}T00:00:00Z`) / 1000) + DAY_TTL_SECONDS,
        ...(limit === null ? {} : { ':limit': limit }),
      },
    });
  }

  async uncountJob(userId: string, day: string, kind: JobKind): Promise<void> {
    await this.conditional({
      Key: this.dayKey(userId, day),
      UpdateExpression: 'ADD #kind :minus',
      ConditionExpression: '#kind > :zero',
      ExpressionAttributeNames: { '#kind': kind },
      ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
    });
  }

  async addStorage(userId: string, deltaBytes: number): Promise<void> {
    await this.updateQuota(
      userId,
      { add: '#bytes :delta' },
      { '#bytes': 'storageBytes' },
      { ':delta': deltaBytes },
    );
  }

  setStorage(userId: string, bytes: number, expected: number): Promise<boolean> {
    return this.updateQuota(
      userId,
      {
        set: '#bytes = :bytes',
        // A missing counter reads as 0, so it may be set from 0; otherwise only from the value the repair read.
        condition:
          expected === 0 ? 'attribute_not_exists(#bytes) OR #bytes = :expected' : '#bytes = :expected',
      },
      { '#bytes': 'storageBytes' },
      { ':bytes': bytes, ':expected': expected },
    );
  }

  async setOverrides(userId: string, overrides: QuotaOverrides): Promise<void> {
    await this.updateQuota(
      userId,
      { set: '#overrides = :overrides' },
      { '#overrides': 'overrides' },
      { ':overrides': quotaOverridesSchema.parse(overrides) },
    );
  }

  async touch(userId: string): Promise<void> {
    await this.updateQuota(userId, {}, {}, {});
  }

  async listUsers(limit: number, cursor?: string): Promise<{ userIds: string[]; cursor?: string }> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.sweep,
        KeyConditionExpression: '#gpk = :users',
        ExpressionAttributeNames: { '#gpk': KEY.sweepPartition },
        ExpressionAttributeValues: { ':users': QUOTA_USERS },
        Limit: limit,
        ...(cursor
          ? {
              ExclusiveStartKey: {
                ...this.quotaKey(cursor),
                [KEY.sweepPartition]: QUOTA_USERS,
                [KEY.sweepSort]: cursor,
              },
            }
          : {}),
      }),
    );
    const userIds = (result.Items ?? []).map((item) => String(item[KEY.sweepSort]));
    const last = userIds.at(-1);
    return result.LastEvaluatedKey && last ? { userIds, cursor: last } : { userIds };
  }
}
