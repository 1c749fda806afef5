/**
 * Uploads: a chatbook to preview or import lands at users/<uid>/chatbooks/imports/<upload_id>.chatbook, either
 * through a presigned POST capped at the user's tier (large files never pass through the API) or, when small,
 * in the request itself. The upload id is all that preview and import take.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { userPrefix } from '../aws/object-classes';
import { NotFoundError, TooLargeError, ValidationError } from '../errors';
import type { AuthContext } from '../http/auth';
import { UUID_PATTERN, type Clock } from '../jobs/job';
import type { UploadObjects } from './ports';

/** API Gateway hands a Lambda at most 6 MB, base64 included: larger archives go through the presigned POST. */
export const INLINE_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;
const PRESIGN_SECONDS = 15 * 60;

export const uploadRequestSchema = z
  .object({
    file_name: z
      .string()
      .max(255)
      .regex(/\.(chatbook|zip)$/i, 'file_name must end in .chatbook or .zip')
      .optional(),
    size_bytes: z.number().int().positive().optional(),
  })
  .strict();
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export function uploadKey(userId: string, uploadId: string): string {
  return `${userPrefix(userId)}chatbooks/imports/${uploadId}.chatbook`;
}

export function tooLarge(sizeBytes: number, maxBytes: number, tier: string): TooLargeError {
  return new TooLargeError(
    'file_too_large',
    `The chatbook is ${(sizeBytes / 1048576).toFixed(1)} MB; your ${tier} plan takes files up to ${Math.round(maxBytes / 1048576)} MB. Export a smaller selection, or upgrade.`,
    { details: { size_bytes: sizeBytes, max_bytes: maxBytes, tier } },
  );
}

/** What uploads need of the quotas (QuotaService has both). */
export interface UploadLimits {
  maxFileBytes(auth: AuthContext): Promise<number>;
  /** The cap for a new upload; records the uploader so the cleanup finds what they leave. */
  beforeUpload(auth: AuthContext): Promise<number>;
}

export class UploadService {
  constructor(
    private readonly objects: UploadObjects,
    private readonly clock: Clock,
    /** The caller's file-size quota: their tier's, or their own override. */
    private readonly limits: UploadLimits,
  ) {}

  /** A presigned POST for a new upload id; the declared size, when given, is checked against the tier now. */
  async create(auth: AuthContext, request: UploadRequest) {
    const maxBytes = await this.limits.beforeUpload(auth);
    if (request.size_bytes !== undefined && request.size_bytes > maxBytes) {
      throw tooLarge(request.size_bytes, maxBytes, auth.tier);
    }
    const uploadId = randomUUID();
    const post = await this.objects.presignUpload(
      uploadKey(auth.userId, uploadId),
      maxBytes,
      PRESIGN_SECONDS,
    );
    return {
      upload_id: uploadId,
      method: 'POST' as const,
      url: post.url,
      fields: post.fields,
      max_bytes: maxBytes,
      expires_at: post.expiresAt,
      how: 'POST multipart/form-data to url: every field as given, then the file as the last field, named "file".',
    };
  }

  /** Stores a small archive sent in the request body. */
  async storeInline(auth: AuthContext, body: Buffer) {
    if (body.length === 0) {
      throw new ValidationError(
        'empty_upload',
        'The request has no file. Send the chatbook as the body (or the "file" field).',
      );
    }
    const maxBytes = Math.min(INLINE_UPLOAD_MAX_BYTES, await this.limits.beforeUpload(auth));
    if (body.length > maxBytes) {
      throw new TooLargeError(
        'inline_upload_too_large',
        `Archives over ${maxBytes / 1048576} MB cannot be sent in the request. POST /uploads with {"size_bytes": n} for a presigned upload instead.`,
        { details: { size_bytes: body.length, max_bytes: maxBytes } },
      );
    }
    const uploadId = randomUUID();
    await this.objects.putUpload(uploadKey(auth.userId, uploadId), body);
    return { upload_id: uploadId, size_bytes: body.length, uploaded_at: this.clock.now().toISOString() };
  }

  /** The upload's key and size, after checking it exists for this user and fits the tier. */
  async require(
    auth: AuthContext,
    uploadId: string,
  ): Promise<{ key: string; sizeBytes: number; maxFileBytes: number }> {
    const key = UUID_PATTERN.test(uploadId) ? uploadKey(auth.userId, uploadId) : undefined;
    const sizeBytes = key ? await this.objects.sizeOf(key) : undefined;
    if (!key || sizeBytes === undefined) {
      throw new NotFoundError(
        'upload_not_found',
        `No upload ${uploadId.slice(0, 64)} for you (uploads are kept a day). Upload the chatbook again with POST /uploads.`,
      );
    }
    const maxBytes = await this.limits.maxFileBytes(auth);
    if (sizeBytes > maxBytes) throw tooLarge(sizeBytes, maxBytes, auth.tier);
    return { key, sizeBytes, maxFileBytes: maxBytes };
  }
}
