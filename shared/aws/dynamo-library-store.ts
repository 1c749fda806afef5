import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type PutCommandInput,
  type QueryCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ContentType } from '../chatbook/layout';
import type { ItemByType } from '../chatbook/schema/items';
import { ValidationError } from '../errors';
import type {
  LibraryFile,
  LibraryItem,
  LibraryItemSummary,
  LibraryPage,
  LibraryQuery,
  LibraryStore,
} from '../library/library';
import { mapLimited } from '../util/map-limited';
import { readAll } from '../util/read-all';
import { objectClassTagging, userPrefix } from './object-classes';
import { INDEX, KEY, libraryItemSortKey, libraryListingSortKey, userPartition } from './table-keys';

/** Bodies above this go to S3 (a DynamoDB item holds 400 KB, keys and attributes included). */
const INLINE_BODY_LIMIT = 256 * 1024;
/** Embeddings (vectors) always live in S3, whatever their size. */
const ALWAYS_IN_S3: ReadonlySet<ContentType> = new Set(['embedding']);
const QUERY_PAGE = 100;
/** A filtered listing reads at most this many pages per call, then returns what it has with a cursor. */
const MAX_PAGES_PER_LIST = 20;
const BATCH_GET_MAX = 100;
const BODY_FETCH_CONCURRENCY = 8;
/** DynamoDB's BatchWriteItem takes 25 requests; a few run at once. */
const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_CONCURRENCY = 4;

/** Listings read everything but the body. */
const SUMMARY_FIELDS = [
  KEY.sort,
  KEY.listing,
  'userId',
  'type',
  'id',
  'title',
  'titleLower',
  'tags',
  'createdAt',
  'updatedAt',
  'version',
  'sizeBytes',
  'files',
  'provenance',
] as const;
const SUMMARY_NAMES = Object.fromEntries(SUMMARY_FIELDS.map((field, i) => [`#f${i}`, field]));
const SUMMARY_PROJECTION = Object.keys(SUMMARY_NAMES).join(', ');

/** What the table holds for an item: the summary fields, the body inline or its S3 key, and the keys. */
interface StoredItem extends LibraryItemSummary {
  titleLower: string;
  body?: string;
  bodyKey?: string;
}

function itemKey(userId: string, type: string, id: string): Record<string, string> {
  return { [KEY.partition]: userPartition(userId), [KEY.sort]: libraryItemSortKey(type, id) };
}

function libraryObjectKey(userId: string, type: string, itemId: string, leaf: string): string {
  return `${userPrefix(userId)}library/${type}/${encodeURIComponent(itemId)}/${leaf}`;
}

interface Cursor {
  sk: string;
  lk: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** A cursor is only the sort keys; the partition is always the caller's, so a cursor cannot cross users. */
function decodeCursor(raw: string, type: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const prefix = `ITEM#${type}#`;
  const cursor = value as Partial<Cursor> | undefined;
  if (
    typeof cursor?.sk !== 'string' ||
    typeof cursor.lk !== 'string' ||
    !cursor.sk.startsWith(prefix) ||
    !cursor.lk.startsWith(prefix)
  ) {
    throw new ValidationError(
      'invalid_cursor',
      'The cursor is not one this listing returned. Start again without a cursor.',
    );
  }
  return { sk: cursor.sk, lk: cursor.lk };
}

function summaryOf(stored: Record<string, unknown>): LibraryItemSummary {
  const item = stored as unknown as StoredItem;
  return {
    userId: item.userId,
    type: item.type,
    id: item.id,
    title: item.title,
    tags: item.tags,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version,
    sizeBytes: item.sizeBytes,
    files: item.files,
    ...(item.provenance ? { provenance: item.provenance } : {}),
  };
}

/**
 * The library over DynamoDB (one item per content item, listed by update time through the Listing index) and
 * S3 (large bodies, embeddings, and every binary file, under `users/<uid>/library/`).
 */
export class DynamoLibraryStore implements LibraryStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async list<T extends ContentType>(userId: string, type: T, query: LibraryQuery): Promise<LibraryPage<T>> {
    const low = libraryListingSortKey(type, query.updatedSince ?? '', '');
    // '~' sorts after every character an ISO timestamp and an id use.
    const high = query.updatedUntil ? libraryListingSortKey(type, query.updatedUntil, '~') : `ITEM#${type}#~`;
    const names: Record<string, string> = { ...SUMMARY_NAMES, '#pk': KEY.partition, '#lk': KEY.listing };
    const values: Record<string, unknown> = { ':pk': userPartition(userId), ':low': low, ':high': high };
    const cursor = query.cursor ? decodeCursor(query.cursor, type) : undefined;
    // An empty window (since after until): DynamoDB refuses a BETWEEN whose bounds are reversed.
    if (low > high) return { items: [] };
    let startKey: Record<string, unknown> | undefined;
    if (cursor) {
      // DynamoDB refuses a start key outside the key condition, which a cursor is when the time filters changed
      // between pages. Newest first, what follows the cursor is everything below it: nothing when the cursor is
      // under the window, the whole window when it is above.
      if (cursor.lk < low) return { items: [] };
      if (cursor.lk <= high) {
        startKey = {
          [KEY.partition]: userPartition(userId),
          [KEY.sort]: cursor.sk,
          [KEY.listing]: cursor.lk,
        };
      }
    }
    const items: LibraryItemSummary<T>[] = [];
    let last: Cursor | undefined;
    for (let page = 0; page < MAX_PAGES_PER_LIST; page++) {
      const result: QueryCommandOutput = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.listing,
          KeyConditionExpression: '#pk = :pk AND #lk BETWEEN :low AND :high',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ProjectionExpression: SUMMARY_PROJECTION,
          ScanIndexForward: false,
          Limit: QUERY_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      // Filtering here rather than in a FilterExpression keeps exact cursors: the page stops at the item it fills.
      const read = result.Items ?? [];
      for (const [index, raw] of read.entries()) {
        const stored = raw as unknown as StoredItem;
        last = { sk: String(raw[KEY.sort]), lk: String(raw[KEY.listing]) };
        if (!this.matches(stored, query)) continue;
        items.push(summaryOf(raw) as LibraryItemSummary<T>);
        if (items.length === query.limit) {
          // A cursor only when more may match: the rest of this page is already read, so it is checked here.
          const more =
            result.LastEvaluatedKey !== undefined ||
            read.slice(index + 1).some((next) => this.matches(next as unknown as StoredItem, query));
          return more ? { items, nextCursor: encodeCursor(last) } : { items };
        }
      }
      startKey = result.LastEvaluatedKey;
      if (!startKey) return { items };
    }
    return last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  private matches(item: StoredItem, query: LibraryQuery): boolean {
    if (query.tags?.some((tag) => !item.tags.includes(tag))) return false;
    if (query.titleContains && !item.titleLower.includes(query.titleContains.toLowerCase())) return false;
    return true;
  }

  async get<T extends ContentType>(userId: string, type: T, id: string): Promise<LibraryItem<T> | undefined> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: itemKey(userId, type, id), ConsistentRead: true }),
      );
      if (!result.Item) return undefined;
      try {
        return (await this.withContent(result.Item)) as LibraryItem<T>;
      } catch (error) {
        // An update or delete between reading the item and its body removed the body it named: read it again.
        if (!(error instanceof NoSuchKey) || attempt >= 3) throw error;
      }
    }
  }

  async getSummaries<T extends ContentType>(
    userId: string,
    type: T,
    ids: readonly string[],
  ): Promise<LibraryItemSummary<T>[]> {
    const found = await this.batchGet(userId, type, ids, true);
    return found.map((item) => summaryOf(item) as LibraryItemSummary<T>);
  }

  async getMany<T extends ContentType>(
    userId: string,
    type: T,
    ids: readonly string[],
  ): Promise<LibraryItem<T>[]> {
    const found = await this.batchGet(userId, type, ids, false);
    const items = await mapLimited(found, BODY_FETCH_CONCURRENCY, (item) =>
      this.withContent(item).catch((error: unknown) => {
        // Changed since the batch read (its body replaced or deleted): read that one again.
        if (error instanceof NoSuchKey) return this.get(userId, type, String(item.id));
        throw error;
      }),
    );
    return items.filter((item): item is LibraryItem => item !== undefined) as LibraryItem<T>[];
  }

  /** The stored items among `ids`, in the order of `ids`; unprocessed keys are retried with backoff. */
  private async batchGet(
    userId: string,
    type: ContentType,
    ids: readonly string[],
    summariesOnly: boolean,
  ): Promise<Record<string, unknown>[]> {
    const found = new Map<string, Record<string, unknown>>();
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(start, start + BATCH_GET_MAX)
        .map((id) => itemKey(userId, type, id));
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result: BatchGetCommandOutput = await this.documents.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ConsistentRead: true,
                ...(summariesOnly
                  ? { ProjectionExpression: SUMMARY_PROJECTION, ExpressionAttributeNames: SUMMARY_NAMES }
                  : {}),
              },
            },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) found.set(String(item.id), item);
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return unique.flatMap((id) => {
      const item = found.get(id);
      return item ? [item] : [];
    });
  }

  private async withContent(raw: Record<string, unknown>): Promise<LibraryItem> {
    const stored = raw as unknown as StoredItem;
    let body = stored.body;
    if (body === undefined && stored.bodyKey) {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: stored.bodyKey }));
      body = (await readAll(object.Body as Readable)).toString('utf8');
    }
    const content = JSON.parse(body ?? '{}') as ItemByType[ContentType];
    return { ...summaryOf(raw), content };
  }

  /** The table row of an item, its body inline or first stored in S3 (under a key of this write). */
  private async storedRow(item: LibraryItem): Promise<{ row: Record<string, unknown>; bodyKey?: string }> {
    const body = JSON.stringify(item.content);
    const bodyBytes = Buffer.byteLength(body);
    const inS3 = ALWAYS_IN_S3.has(item.type) || bodyBytes > INLINE_BODY_LIMIT;
    // One key per write, not just per version: a create over an existing id and two updates racing from the same
    // version write the same version number, and a refused write must never overwrite (then delete) the body of
    // the item that is there.
    const bodyKey = libraryObjectKey(
      item.userId,
      item.type,
      item.id,
      `body-v${item.version}-${randomUUID().slice(0, 8)}.json`,
    );
    if (inS3) {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: bodyKey,
          Body: body,
          ContentType: 'application/json',
          Tagging: objectClassTagging('library'),
        }),
      );
    }
    const stored: StoredItem = {
      ...summaryOf(item as unknown as Record<string, unknown>),
      sizeBytes: bodyBytes + item.files.reduce((sum, file) => sum + file.sizeBytes, 0),
      titleLower: item.title.toLowerCase(),
      ...(inS3 ? { bodyKey } : { body }),
    };
    const row = {
      ...itemKey(item.userId, item.type, item.id),
      [KEY.listing]: libraryListingSortKey(item.type, item.updatedAt, item.id),
      ...stored,
    };
    return inS3 ? { row, bodyKey } : { row };
  }

  async putNew(items: readonly LibraryItem[]): Promise<void> {
    const rows = await mapLimited(
      items,
      BODY_FETCH_CONCURRENCY,
      async (item) => (await this.storedRow(item)).row,
    );
    const requests: { PutRequest: { Item: Record<string, unknown> } }[][] = [];
    for (let first = 0; first < rows.length; first += BATCH_WRITE_MAX) {
      requests.push(rows.slice(first, first + BATCH_WRITE_MAX).map((row) => ({ PutRequest: { Item: row } })));
    }
    await mapLimited(requests, BATCH_WRITE_CONCURRENCY, async (batch) => {
      let pending: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] | undefined = batch;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result: BatchWriteCommandOutput = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = result.UnprocessedItems?.[this.tableName];
      }
    });
  }

  async put(item: LibraryItem, expect?: 'absent' | number): Promise<boolean> {
    const { row, bodyKey } = await this.storedRow(item);
    const condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      expect === 'absent'
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': KEY.partition },
          }
        : typeof expect === 'number'
          ? {
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': expect },
            }
          : {};
    let previous: StoredItem | undefined;
    try {
      const result = await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: row,
          ...condition,
          ReturnValues: 'ALL_OLD',
        }),
      );
      previous = result.Attributes as StoredItem | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (bodyKey) await this.deleteObjects([bodyKey]);
        return false;
      }
      throw error;
    }
    if (previous) {
      const kept = new Set([...(bodyKey ? [bodyKey] : []), ...item.files.map((file) => file.key)]);
      const stale = [...(previous.bodyKey ? [previous.bodyKey] : []), ...previous.files.map((f) => f.key)];
      await this.deleteObjects(stale.filter((key) => !kept.has(key)));
    }
    return true;
  }

  async delete(userId: string, type: ContentType, id: string): Promise<boolean> {
    const result = await this.documents.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: itemKey(userId, type, id),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!result.Attributes) return false;
    const stored = result.Attributes as unknown as StoredItem;
    await this.deleteObjects([
      ...(stored.bodyKey ? [stored.bodyKey] : []),
      ...stored.files.map((f) => f.key),
    ]);
    return true;
  }

  async putFile(
    userId: string,
    type: ContentType,
    itemId: string,
    file: { fileId: string; name: string; mimeType: string; body: Buffer },
  ): Promise<LibraryFile> {
    const key = libraryObjectKey(userId, type, itemId, `files/${encodeURIComponent(file.fileId)}`);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: file.body,
        ContentType: file.mimeType,
        Tagging: objectClassTagging('library'),
      }),
    );
    return {
      fileId: file.fileId,
      name: file.name,
      mimeType: file.mimeType,
      sizeBytes: file.body.length,
      sha256: createHash('sha256').update(file.body).digest('hex'),
      key,
    };
  }

  async openFile(file: LibraryFile): Promise<AsyncIterable<Uint8Array>> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: file.key }));
    return object.Body as Readable;
  }

  private async deleteObjects(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }
}
