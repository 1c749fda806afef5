import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import type { ArchiveUploadOptions, ExportObjects } from '../exports/ports';
import { objectClassTagging } from './object-classes';
import { getJson, putTempJson } from './s3-temp-json';

/** S3's minimum part size is 5 MiB; 8 MiB parts keep a 10,000-part upload above 80 GB. */
const PART_BYTES = 8 * 1024 * 1024;
/** Parts uploading at once: memory is about (this + 1) parts. */
const PARTS_IN_FLIGHT = 2;

/** `attachment; filename="..."` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Export archives and temporary plan objects in the bucket; every export object is tagged for lifecycle. */
export class S3ExportObjects implements ExportObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async uploadArchive(
    key: string,
    body: Readable,
    options: ArchiveUploadOptions,
  ): Promise<{ sizeBytes: number }> {
    const created = await this.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: options.contentType ?? 'application/zip',
        ContentDisposition: contentDisposition(options.fileName),
        Tagging: objectClassTagging('export'),
      }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('S3 returned no upload id');
    try {
      await options.onUploadId?.(uploadId);
      const parts: CompletedPart[] = [];
      const inFlight = new Set<Promise<void>>();
      let sizeBytes = 0;
      let partNumber = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const send = async (chunks: Buffer[]): Promise<void> => {
        const number = ++partNumber;
        const command = new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: number,
          Body: Buffer.concat(chunks),
        });
        // The archive's own SHA-256 goes on the job and TLS guards the transfer: signing each 8 MiB part's
        // payload would be a third SHA-256 pass over the archive (~3 s per GB on this CPU).
        command.middlewareStack.add(
          (next) => (args) => {
            const request = args.request as { headers?: Record<string, string> };
            if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
            return next(args);
          },
          { step: 'build', name: 'unsignedPartPayload' },
        );
        const upload = this.s3.send(command).then((result) => {
          parts.push({ PartNumber: number, ETag: result.ETag });
        });
        const tracked = upload.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        if (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
      };
      for await (const chunk of body) {
        const buffer = chunk as Buffer;
        pending.push(buffer);
        pendingBytes += buffer.length;
        sizeBytes += buffer.length;
        if (pendingBytes >= PART_BYTES) {
          const full = pending;
          pending = [];
          pendingBytes = 0;
          await send(full);
        }
      }
      if (pendingBytes > 0 || partNumber === 0) await send(pending);
      await Promise.all(inFlight);
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return { sizeBytes };
    } catch (error) {
      await this.abortUpload(key, uploadId).catch(() => undefined);
      throw error;
    }
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    await this.s3.send(
      new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
    );
  }

  async deleteObject(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  presignDownload(key: string, fileName: string, ttlSeconds: number): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentDisposition: contentDisposition(fileName),
      }),
      { expiresIn: ttlSeconds },
    );
  }

  putJson(key: string, value: unknown): Promise<void> {
    return putTempJson(this.s3, this.bucket, key, value);
  }

  getJson(key: string): Promise<unknown> {
    return getJson(this.s3, this.bucket, key);
  }
}
