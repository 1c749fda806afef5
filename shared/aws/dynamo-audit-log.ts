import {
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import {
  AUDIT_SORT_PREFIX,
  auditSortKey,
  decodeAuditCursor,
  encodeAuditCursor,
  sanitizeAuditEvent,
  type AuditEvent,
  type AuditLog,
  type AuditPage,
  type AuditQuery,
  type AuditScalar,
} from '../audit/audit';
import { systemClock, type Clock } from '../jobs/job';
import { KEY, userPartition } from './table-keys';

const DAY_SECONDS = 24 * 60 * 60;
/** Items read per query while a filter on the action skips some. */
const FILTERED_PAGE = 100;
const MAX_QUERY_PAGES = 20;

const EVENT_FIELDS = [
  'status',
  'code',
  'request_id',
  'job_id',
  'upload_id',
] as const satisfies readonly (keyof AuditEvent)[];

function toEvent(item: Record<string, unknown>): AuditEvent {
  const event: AuditEvent = {
    at: String(item.at),
    action: String(item.action),
    outcome: item.outcome as AuditEvent['outcome'],
  };
  for (const field of EVENT_FIELDS) {
    const value = item[field];
    if (typeof value === 'string' || typeof value === 'number') Object.assign(event, { [field]: value });
  }
  if (typeof item.details === 'object' && item.details !== null)
    event.details = item.details as Record<string, AuditScalar>;
  return event;
}

/**
 * The audit trail in the jobs table: `USER#<uid>` / `AUDIT#<at>#<random>`, removed by DynamoDB's TTL after the
 * retention. A user's events are one query of their own partition, newest first.
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly clock: Clock = systemClock,
  ) {}

  async record(userId: string, event: AuditEvent): Promise<void> {
    const clean = sanitizeAuditEvent(event);
    const now = Math.floor(this.clock.now().getTime() / 1000);
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...clean,
          [KEY.partition]: userPartition(userId),
          [KEY.sort]: auditSortKey(clean.at),
          [KEY.ttl]: now + this.retentionDays * DAY_SECONDS,
        },
      }),
    );
  }

  async list(userId: string, query: AuditQuery): Promise<AuditPage> {
    const partition = userPartition(userId);
    let startKey: Record<string, unknown> | undefined = query.cursor
      ? { [KEY.partition]: partition, [KEY.sort]: decodeAuditCursor(query.cursor) }
      : undefined;
    const events: AuditEvent[] = [];
    let lastSortKey: string | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES; page++) {
      const result: QueryCommandOutput = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ...(query.action ? { FilterExpression: '#action = :action' } : {}),
          ExpressionAttributeNames: {
            '#pk': KEY.partition,
            '#sk': KEY.sort,
            ...(query.action ? { '#action': 'action' } : {}),
          },
          ExpressionAttributeValues: {
            ':pk': partition,
            ':prefix': AUDIT_SORT_PREFIX,
            ...(query.action ? { ':action': query.action } : {}),
          },
          ScanIndexForward: false,
          // One more than asked for tells whether another page follows without a second query.
          Limit: query.action ? FILTERED_PAGE : query.limit - events.length + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      const items = result.Items ?? [];
      for (const item of items) {
        if (events.length === query.limit && lastSortKey) {
          // An event past the page: there is more, from the last event returned.
          return { events, nextCursor: encodeAuditCursor(lastSortKey) };
        }
        lastSortKey = String(item[KEY.sort]);
        events.push(toEvent(item));
      }
      startKey = result.LastEvaluatedKey;
      if (!startKey) return { events };
      // Go on from where the query stopped (past events a filter skipped, too).
      lastSortKey = String(startKey[KEY.sort]);
    }
    return lastSortKey ? { events, nextCursor: encodeAuditCursor(lastSortKey) } : { events };
  }
}
