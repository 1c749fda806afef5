/**
 * A RandomAccessSource over one S3 object: HeadObject once for the size and ETag, then one ranged GetObject per
 * read. Wrap it in BlockCacheSource so that small reads (central directory, local headers) share blocks.
 *
 * Two emulator traps are avoided on purpose (s3rver answers `bytes=0-0` with the whole object and suffix
 * ranges with the wrong bytes): only `bytes=a-b` ranges of at least two bytes are ever sent; a one-byte read
 * fetches a neighbouring byte too. Reads pin the ETag with If-Match, so an object replaced mid-read fails
 * loudly instead of mixing two versions.
 */
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RandomAccessSource } from '../chatbook/reader/sources';
import { assertRangeInside } from '../chatbook/reader/sources';

export interface S3RangeSourceOptions {
  client: S3Client;
  bucket: string;
  key: string;
}

export class S3RangeSource implements RandomAccessSource {
  readonly size: number;
  readonly etag: string | undefined;
  /** GetObject requests sent, for tests and metrics. */
  readonly stats = { gets: 0, bytes: 0 };
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly key: string;

  private constructor(options: S3RangeSourceOptions, size: number, etag: string | undefined) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.key = options.key;
    this.size = size;
    this.etag = etag;
  }

  static async open(options: S3RangeSourceOptions): Promise<S3RangeSource> {
    const head = await options.client.send(
      new HeadObjectCommand({ Bucket: options.bucket, Key: options.key }),
    );
    const size = head.ContentLength;
    if (size === undefined || !Number.isSafeInteger(size) || size < 0) {
      throw new Error('S3 HeadObject returned no usable ContentLength.');
    }
    return new S3RangeSource(options, size, head.ETag);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    assertRangeInside(this.size, offset, length);
    if (length === 0) return Buffer.alloc(0);
    // Never a one-byte range: widen to two bytes (forwards, or backwards at the very end) and slice.
    let first = offset;
    let last = offset + length - 1;
    if (first === last) {
      if (last + 1 < this.size) last++;
      else if (first > 0) first--;
    }
    const ranged = first !== last;
    const response = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        // A one-byte object cannot be ranged without a one-byte range: fetch it whole.
        ...(ranged ? { Range: `bytes=${first}-${last}` } : {}),
        ...(this.etag === undefined ? {} : { IfMatch: this.etag }),
      }),
    );
    if (!response.Body) throw new Error('S3 GetObject returned no body.');
    const bytes = Buffer.from(await response.Body.transformToByteArray());
    this.stats.gets++;
    this.stats.bytes += bytes.length;
    const expected = ranged ? last - first + 1 : this.size;
    if (bytes.length !== expected) {
      throw new Error(`S3 GetObject returned ${bytes.length} bytes for a ${expected}-byte range.`);
    }
    return bytes.subarray(offset - first, offset - first + length);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
