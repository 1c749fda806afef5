import {
  DeleteObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { BlockCacheSource, type RandomAccessSource } from '../chatbook/reader';
import type { PresignedPost, UploadObjects } from '../imports/ports';
import { ConflictError } from '../errors';
import { objectClassTagging } from './object-classes';
import { getJson, putTempJson } from './s3-temp-json';
import { presignPost } from './s3-presigned-post';
import { S3RangeSource } from './s3-range-source';

/** The S3 form field that tags a POSTed object (lifecycle removes imports after a day). */
function taggingXml(tagging: string): string {
  const [key, value] = tagging.split('=');
  return `<Tagging><TagSet><Tag><Key>${key}</Key><Value>${value}</Value></Tag></TagSet></Tagging>`;
}

/** Uploaded chatbooks in the bucket: presigned POSTs, small direct puts, and ranged reads for preview and import. */
export class S3UploadObjects implements UploadObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** Where browsers POST: the local endpoint (path-style) or the bucket's regional virtual host. */
    private readonly endpoint: string | undefined = process.env.AWS_ENDPOINT_URL_S3,
  ) {}

  async presignUpload(key: string, maxBytes: number, expiresSeconds: number): Promise<PresignedPost> {
    const credentials = await this.s3.config.credentials();
    const region = await this.s3.config.region();
    const url = this.endpoint
      ? `${this.endpoint.replace(/\/$/, '')}/${this.bucket}`
      : `https://${this.bucket}.s3.${region}.amazonaws.com`;
    return presignPost({
      credentials,
      region,
      url,
      bucket: this.bucket,
      key,
      contentLength: { min: 1, max: maxBytes },
      fields: { tagging: taggingXml(objectClassTagging('import')) },
      expiresSeconds,
      now: new Date(),
    });
  }

  async putUpload(key: string, body: Buffer): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/zip',
        Tagging: objectClassTagging('import'),
      }),
    );
  }

  async sizeOf(key: string): Promise<number | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength;
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
      throw error;
    }
  }

  async open(key: string, etag?: string): Promise<{ source: RandomAccessSource; etag: string | undefined }> {
    const source = await S3RangeSource.open({ client: this.s3, bucket: this.bucket, key });
    if (etag !== undefined && source.etag !== etag) {
      throw new ConflictError(
        'upload_changed',
        'The uploaded chatbook changed after it was validated. Upload it again and start a new import.',
      );
    }
    return { source: new BlockCacheSource(source), etag: source.etag };
  }

  putJson(key: string, value: unknown): Promise<void> {
    return putTempJson(this.s3, this.bucket, key, value);
  }

  getJson(key: string): Promise<unknown> {
    return getJson(this.s3, this.bucket, key);
  }

  async deleteObject(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
