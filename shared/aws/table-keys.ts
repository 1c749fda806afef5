/**
 * Key layout of the two tables. Every partition key starts with the verified user's partition, so no query
 * can reach across users; the few cross-user reads the operator needs (cleanup) go through a sparse index.
 */
export const KEY = {
  partition: 'pk',
  sort: 'sk',
  /** Local secondary index: a user's jobs of one kind by creation time; library items of one type by update time. */
  listing: 'lsi1sk',
  /** Sparse global index for the cleanup sweep: only items that can expire carry it. */
  sweepPartition: 'gsi1pk',
  sweepSort: 'gsi1sk',
  /** DynamoDB's TTL attribute (epoch seconds). */
  ttl: 'ttl',
} as const;

export const INDEX = { listing: 'Listing', sweep: 'Sweep' } as const;

export function userPartition(userId: string): string {
  return `USER#${userId}`;
}

export function jobSortKey(kind: string, jobId: string): string {
  return `JOB#${kind}#${jobId}`;
}

export function jobCreatedSortKey(kind: string, createdAt: string, jobId: string): string {
  return `JOB#${kind}#${createdAt}#${jobId}`;
}

export function libraryItemSortKey(type: string, id: string): string {
  return `ITEM#${type}#${id}`;
}

/** Library listing order: newest update first within a type. */
export function libraryListingSortKey(type: string, updatedAt: string, id: string): string {
  return `ITEM#${type}#${updatedAt}#${id}`;
}
