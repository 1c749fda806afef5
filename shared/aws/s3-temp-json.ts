import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectClassTagging } from './object-classes';

/** A working object of a job (a plan, a snapshot), tagged `temp` so lifecycle removes what a crash leaves. */
export async function putTempJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
      Tagging: objectClassTagging('temp'),
    }),
  );
}

export async function getJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(
    await (object.Body as { transformToString(): Promise<string> }).transformToString(),
  ) as unknown;
}
