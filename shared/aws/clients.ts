import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';

// Module-scope clients so warm invocations reuse connections. Endpoints come from the SDK's standard
// AWS_ENDPOINT_URL_<SERVICE> variables (the local cloud sets them); only path-style addressing needs a flag.
let s3: S3Client | undefined;
let documents: DynamoDBDocumentClient | undefined;
let sfn: SFNClient | undefined;

export function s3Client(): S3Client {
  s3 ??= new S3Client({
    forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true',
    // Chatbooks carry their own integrity (CRC-32 per entry, SHA-256 per file and per archive), so the SDK's
    // flexible checksums would only add a JavaScript CRC pass over every byte uploaded and downloaded.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3;
}

export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documents;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({});
  return sfn;
}
