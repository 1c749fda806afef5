/** What upload, preview and import need from storage; the S3 adapter implements it. */
import type { RandomAccessSource } from '../chatbook/reader';

/** A browser-style upload: POST the fields and then the file, as multipart/form-data, to the URL. */
export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
}

export interface UploadObjects {
  /** A presigned POST for exactly `key`, at most `maxBytes`, tagged as an import (removed after a day). */
  presignUpload(key: string, maxBytes: number, expiresSeconds: number): Promise<PresignedPost>;
  /** Stores a small archive sent in the request itself. */
  putUpload(key: string, body: Buffer): Promise<void>;
  /** The object's size, or undefined when there is none. */
  sizeOf(key: string): Promise<number | undefined>;
  /**
   * Ranged reads of the object through a block cache (nothing extracted, nothing downloaded whole), pinned to its
   * ETag; with `etag`, an object that has changed since is refused.
   */
  open(key: string, etag?: string): Promise<{ source: RandomAccessSource; etag: string | undefined }>;
  deleteObject(key: string): Promise<void>;
  /** A working object of an import job (temp: lifecycle removes it if the job does not). */
  putJson(key: string, value: unknown): Promise<void>;
  getJson(key: string): Promise<unknown>;
}
