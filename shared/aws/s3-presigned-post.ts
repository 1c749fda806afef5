/**
 * A presigned S3 POST (browser-based upload, Signature Version 4): a policy with conditions (the exact key, a
 * content-length range, the object's tagging) signed with the function's credentials. S3 refuses an upload that
 * breaks any condition, so the size cap holds without the file passing through the API.
 */
import { createHmac } from 'node:crypto';
import type { PresignedPost } from '../imports/ports';

export interface PostCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface PresignPostInput {
  credentials: PostCredentials;
  region: string;
  /** The bucket's endpoint URL for POST (virtual-hosted in AWS, path-style locally). */
  url: string;
  bucket: string;
  key: string;
  /** Inclusive byte range the uploaded file must fall in. */
  contentLength: { min: number; max: number };
  /** Extra form fields that must be sent exactly as given (e.g. tagging, Content-Type). */
  fields?: Record<string, string>;
  expiresSeconds: number;
  now: Date;
}

function amzDate(now: Date): { date: string; dateTime: string } {
  const dateTime = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return { date: dateTime.slice(0, 8), dateTime };
}

/** SigV4's derived signing key over the string to sign (for POST, the base64 policy). */
export function signPolicy(
  base64Policy: string,
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): string {
  const hmac = (key: string | Buffer, data: string) =>
    createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return createHmac('sha256', signingKey).update(base64Policy, 'utf8').digest('hex');
}

export function presignPost(input: PresignPostInput): PresignedPost {
  const { date, dateTime } = amzDate(input.now);
  const credential = `${input.credentials.accessKeyId}/${date}/${input.region}/s3/aws4_request`;
  const fields: Record<string, string> = {
    key: input.key,
    ...input.fields,
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': credential,
    'x-amz-date': dateTime,
    ...(input.credentials.sessionToken ? { 'x-amz-security-token': input.credentials.sessionToken } : {}),
  };
  const expiresAt = new Date(input.now.getTime() + input.expiresSeconds * 1000);
  const policy = {
    expiration: expiresAt.toISOString(),
    conditions: [
      { bucket: input.bucket },
      ['content-length-range', input.contentLength.min, input.contentLength.max],
      ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
    ],
  };
  const base64Policy = Buffer.from(JSON.stringify(policy), 'utf8').toString('base64');
  fields.policy = base64Policy;
  fields['x-amz-signature'] = signPolicy(
    base64Policy,
    input.credentials.secretAccessKey,
    date,
    input.region,
    's3',
  );
  return { url: input.url, fields, expiresAt: expiresAt.toISOString() };
}
