/**
 * Writes the seed into a user's library through the LibraryStore port: each item's files first (generated,
 * stored, dropped), then the item with the stored file records. Ids are deterministic, so a re-run overwrites.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLibraryStore } from '../../shared/aws/dynamo-library-store';
import { CONTENT_TYPES, type ContentType } from '../../shared/chatbook/layout';
import { tagsOf, titleOf } from '../../shared/library/item-fields';
import type { LibraryFile, LibraryItem, LibraryStore } from '../../shared/library/library';
import { generateSeed, planSeed, type SeedItem, type SeedOptions, type SeedSize } from './generate';

export interface SeedProgress {
  items: number;
  totalItems: number;
  files: number;
  fileBytes: number;
  totalFileBytes: number;
}

export interface SeedResult {
  counts: Record<ContentType, number>;
  items: number;
  files: number;
  /** Bytes of every stored file (media artifacts and conversation images). */
  fileBytes: number;
  /** Bytes of media items' files. */
  mediaBytes: number;
}

export interface SeedLibraryOptions extends SeedOptions {
  /** Items written at once (each with its files); default 8. */
  concurrency?: number;
  onProgress?: (progress: SeedProgress) => void;
}

async function seedItem(store: LibraryStore, userId: string, spec: SeedItem): Promise<LibraryFile[]> {
  const files: LibraryFile[] = [];
  for (const file of spec.files) {
    // One file's bytes at a time per item: made, stored, dropped.
    files.push(
      await store.putFile(userId, spec.type, spec.id, {
        fileId: file.fileId,
        name: file.name,
        mimeType: file.mimeType,
        body: file.body(),
      }),
    );
  }
  const content = spec.content(files);
  const item: LibraryItem = {
    userId,
    type: spec.type,
    id: spec.id,
    title: titleOf(spec.type, content),
    tags: spec.tags ?? tagsOf(spec.type, content),
    createdAt: spec.createdAt,
    updatedAt: spec.updatedAt,
    version: 1,
    sizeBytes: 0,
    files,
    content,
  };
  await store.put(item);
  return files;
}

/** Fills `userId`'s library with the `size` seed; resolves with what was written. */
export async function seedLibrary(
  store: LibraryStore,
  userId: string,
  size: SeedSize,
  options: SeedLibraryOptions = {},
): Promise<SeedResult> {
  const plan = planSeed(size, options);
  const result: SeedResult = {
    counts: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 0])) as Record<ContentType, number>,
    items: 0,
    files: 0,
    fileBytes: 0,
    mediaBytes: 0,
  };
  const specs = generateSeed(size, options);
  const worker = async (): Promise<void> => {
    for (let next = specs.next(); !next.done; next = specs.next()) {
      const spec = next.value;
      const files = await seedItem(store, userId, spec);
      result.counts[spec.type] += 1;
      result.items += 1;
      for (const file of files) {
        result.files += 1;
        result.fileBytes += file.sizeBytes;
        if (spec.type === 'media') result.mediaBytes += file.sizeBytes;
      }
      options.onProgress?.({
        items: result.items,
        totalItems: plan.items,
        files: result.files,
        fileBytes: result.fileBytes,
        totalFileBytes: plan.fileBytes,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return result;
}

/** Where the local cloud's emulators are (its `cloud.json`, or a LocalCloud's aws and resources). */
export interface LocalEndpoints {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  s3Endpoint: string;
  dynamodbEndpoint: string;
  bucket: string;
  libraryTable: string;
}

/** The endpoints of a running LocalCloud (started in this process). */
export function endpointsOf(cloud: {
  aws: {
    region: string;
    credentials: LocalEndpoints['credentials'];
    s3Endpoint: string;
    dynamodbEndpoint: string;
  };
  resources: { bucket: string; libraryTable: string };
}): LocalEndpoints {
  return {
    region: cloud.aws.region,
    credentials: cloud.aws.credentials,
    s3Endpoint: cloud.aws.s3Endpoint,
    dynamodbEndpoint: cloud.aws.dynamodbEndpoint,
    bucket: cloud.resources.bucket,
    libraryTable: cloud.resources.libraryTable,
  };
}

/** SDK clients on the local cloud's emulators, and a way to close them. */
export function localClients(
  endpoints: Pick<LocalEndpoints, 'region' | 'credentials' | 's3Endpoint' | 'dynamodbEndpoint'>,
): { documents: DynamoDBDocumentClient; s3: S3Client; close: () => void } {
  const config = { region: endpoints.region, credentials: endpoints.credentials };
  const dynamodb = new DynamoDBClient({ ...config, endpoint: endpoints.dynamodbEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const s3 = new S3Client({
    ...config,
    endpoint: endpoints.s3Endpoint,
    forcePathStyle: true,
    // s3rver stores aws-chunked framing verbatim: send checksums only where an operation requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    documents,
    s3,
    close: () => {
      documents.destroy();
      dynamodb.destroy();
      s3.destroy();
    },
  };
}

/** A DynamoLibraryStore on the local cloud's emulators, and a way to close its clients. */
export function localLibraryStore(endpoints: LocalEndpoints): { store: LibraryStore; close: () => void } {
  const { documents, s3, close } = localClients(endpoints);
  return { store: new DynamoLibraryStore(documents, endpoints.libraryTable, s3, endpoints.bucket), close };
}
