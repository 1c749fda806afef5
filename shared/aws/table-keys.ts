/**
 * Key layout of the two tables. Every partition key starts with the verified user's partition, so no query
 * can reach across users; the few cross-user reads the operator needs (cleanup) go through a sparse index.
 */
export const KEY = {
  partition: 'pk',
  sort: 'sk',
  /** Local secondary index: a user's jobs of one kind, newest first. */
  byCreated: 'lsi1sk',
  /** Sparse global index for the cleanup sweep: only items that can expire carry it. */
  sweepPartition: 'gsi1pk',
  sweepSort: 'gsi1sk',
  /** DynamoDB's TTL attribute (epoch seconds). */
  ttl: 'ttl',
} as const;

export const INDEX = { byCreated: 'ByCreated', sweep: 'Sweep' } as const;

export function userPartition(userId: string): string {
  return `USER#${userId}`;
}

export function jobSortKey(kind: string, jobId: string): string {
  return `JOB#${kind}#${jobId}`;
}

export function jobCreatedSortKey(kind: string, createdAt: string, jobId: string): string {
  return `JOB#${kind}#${createdAt}#${jobId}`;
}
