import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { CleanupObjects } from '../cleanup/sweep';
import { userPrefix } from './object-classes';

/**
 * The cleanup's view of the bucket. In AWS the lifecycle rules also remove uploads, temp files and old exports
 * by tag; this does it at the product's own times (an export's expires_at, a day for uploads) and locally,
 * where the emulator has no lifecycle.
 */
export class S3CleanupObjects implements CleanupObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  deleteExportObjects(userId: string, jobId: string): Promise<number> {
    return this.deleteWhere(`${userPrefix(userId)}chatbooks/exports/${jobId}/`, () => true);
  }

  async deleteStaleUploads(userId: string, before: Date): Promise<number> {
    const old = (modified: Date | undefined) => modified !== undefined && modified < before;
    const chatbooks = `${userPrefix(userId)}chatbooks/`;
    return (
      (await this.deleteWhere(`${chatbooks}imports/`, old)) +
      (await this.deleteWhere(`${chatbooks}temp/`, old))
    );
  }

  /** Deletes the objects under `prefix` that `select` picks, a listing page (up to 1,000) per request. */
  private async deleteWhere(
    prefix: string,
    select: (modified: Date | undefined) => boolean,
  ): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      const keys = (page.Contents ?? []).flatMap((object) =>
        object.Key && select(object.LastModified) ? [{ Key: object.Key }] : [],
      );
      if (keys.length > 0) {
        await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        deleted += keys.length;
      }
      token = page.NextContinuationToken;
    } while (token);
    return deleted;
  }
}
