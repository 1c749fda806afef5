/** What the export use cases need from storage and workflows; the AWS adapters in shared/aws implement them. */
import type { Readable } from 'node:stream';
import type { JobWorkflows } from '../jobs/job';

export interface ArchiveUploadOptions {
  /** The download's file name, for Content-Disposition. */
  fileName: string;
  /** The download's media type; a chatbook (application/zip) unless said. */
  contentType?: string;
  /** Called once the multipart upload exists, so a failure elsewhere can abort it. */
  onUploadId?: (uploadId: string) => Promise<void>;
}

export interface ExportObjects {
  /** Streams an archive to `key` (multipart, a few parts in memory at most); returns the bytes stored. */
  uploadArchive(key: string, body: Readable, options: ArchiveUploadOptions): Promise<{ sizeBytes: number }>;
  abortUpload(key: string, uploadId: string): Promise<void>;
  deleteObject(key: string): Promise<void>;
  /** A presigned GET that downloads as an attachment named `fileName`, valid `ttlSeconds`. */
  presignDownload(key: string, fileName: string, ttlSeconds: number): Promise<string>;
  putJson(key: string, value: unknown): Promise<void>;
  getJson(key: string): Promise<unknown>;
}

/** The export state machine. */
export type ExportWorkflows = JobWorkflows;
