/**
 * S3 keys are per user (users/<uid>/...), so lifecycle rules tell exports, uploads and temporary objects apart
 * by this tag, set when each object is written.
 */
export const OBJECT_CLASS_TAG = 'chatbooks-class';
export type ObjectClass = 'export' | 'import' | 'temp' | 'library';

/** The `Tagging` value for PutObject / CreateMultipartUpload. */
export function objectClassTagging(objectClass: ObjectClass): string {
  return `${OBJECT_CLASS_TAG}=${objectClass}`;
}

/** Characters a user id may keep in an S3 key; the auth layer already restricts ids to this set. */
export function userPrefix(userId: string): string {
  return `users/${encodeURIComponent(userId)}/`;
}
