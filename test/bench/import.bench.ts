/**
 * Import throughput through the local cloud over HTTP (`npm run bench -- import`): chatbooks of 10,000 and
 * 100,000 small notes (items/s) and a media-heavy one (MB/s), each uploaded with the presigned POST and imported
 * as a job (Validate → Plan → ImportBatch → Finalize), timed from the job's started_at to completed_at. Reports;
 * never asserts a timing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { itemPathFor } from '../../shared/chatbook/codec/item-codec';
import { mediaFilePath } from '../../shared/chatbook/layout';
import { writeChatbook, type ChatbookEntry } from '../../shared/chatbook/writer';
import type { ImportJobView } from '../../shared/imports/import-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '../../infra/local/cloud';
import { KEY, libraryItemSortKey, libraryListingSortKey, userPartition } from '../../shared/aws/table-keys';

const MB = 1024 * 1024;
const log = (line: string) => {
  console.log(`[import] ${line}`);
};

async function toBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A chatbook of `count` small notes. */
async function notesChatbook(count: number): Promise<Buffer> {
  const items = Array.from({ length: count }, (_, i) => ({ id: `n${i}`, title: `Note ${i}` }));
  const written = writeChatbook({
    manifest: {
      name: `${count} notes`,
      description: 'bench',
      content_items: items.map((item) => ({
        ...item,
        type: 'note',
        file_path: itemPathFor('note', item.id),
      })),
    },
    version: '1.1.0',
    entries: (async function* (): AsyncGenerator<ChatbookEntry> {
      await Promise.resolve();
      for (const item of items) {
        yield {
          path: itemPathFor('note', item.id),
          body: `---\nid: ${item.id}\ntitle: ${item.title}\n---\n\nSome text for note ${item.id}, long enough to look like one.\n`,
          contentItemIds: [item.id],
        };
      }
    })(),
  });
  const [bytes] = await Promise.all([toBuffer(written.stream), written.result]);
  return bytes;
}

/** A chatbook of `count` media items with one incompressible file of `fileBytes` each. */
async function mediaChatbook(count: number, fileBytes: number): Promise<Buffer> {
  const items = Array.from({ length: count }, (_, i) => ({ id: `m${i}`, title: `Clip ${i}` }));
  const written = writeChatbook({
    manifest: {
      name: 'media',
      description: 'bench',
      content_items: items.map((item) => ({
        ...item,
        type: 'media',
        file_path: itemPathFor('media', item.id),
      })),
    },
    version: '1.1.0',
    entries: (async function* (): AsyncGenerator<ChatbookEntry> {
      await Promise.resolve();
      for (const item of items) {
        const archivePath = mediaFilePath(item.id, 'f1', '.mp4');
        yield {
          path: itemPathFor('media', item.id),
          body: JSON.stringify({
            id: item.id,
            title: item.title,
            stored_artifacts: [
              { id: 'f1', original_filename: 'clip.mp4', bundled: true, archive_path: archivePath },
            ],
          }),
          contentItemIds: [item.id],
        };
        yield { path: archivePath, body: randomBytes(fileBytes), contentItemIds: [item.id] };
      }
    })(),
  });
  const [bytes] = await Promise.all([toBuffer(written.stream), written.result]);
  return bytes;
}

const dataDir = mkdtempSync(join(tmpdir(), 'chatbooks-import-bench-'));
// IMPORT_BATCH_SIZE, when set, reaches the import steps (to compare batch sizes).
const batchSize = process.env.IMPORT_BATCH_SIZE;
const cloud = await startLocalCloud({
  port: 0,
  dataDir,
  schedules: false,
  ...(batchSize ? { functionEnvironment: { IMPORT_BATCH_SIZE: batchSize } } : {}),
});
const token = cloud.token({ userId: 'bench', tier: 'enterprise', ttlSeconds: 6 * 3600 });
const call = (path: string, init: RequestInit = {}) =>
  fetch(`${cloud.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });

/**
 * The reference: how fast the local DynamoDB takes the same number of library rows written straight to it (25 per
 * BatchWriteItem, four in flight, as the import does), with no archive, decisions or records. Its client runs on
 * the emulator's own thread, so this is a floor of the store's ceiling; the import's items/s is read against it.
 */
async function storeCeiling(count: number): Promise<number> {
  const client = new DynamoDBClient({
    endpoint: cloud.aws.dynamodbEndpoint,
    region: cloud.aws.region,
    credentials: cloud.aws.credentials,
  });
  const documents = DynamoDBDocumentClient.from(client);
  const now = new Date().toISOString();
  const rows = Array.from({ length: count }, (_, i) => ({
    [KEY.partition]: userPartition('bench-reference'),
    [KEY.sort]: libraryItemSortKey('note', `ref-${i}`),
    [KEY.listing]: libraryListingSortKey('note', now, `ref-${i}`),
    id: `ref-${i}`,
    type: 'note',
    title: `Note ${i}`,
    version: 1,
    createdAt: now,
    updatedAt: now,
    content: {
      id: `ref-${i}`,
      title: `Note ${i}`,
      content: `Some text for note ${i}, long enough to look like one.`,
    },
    provenance: {
      source_chatbook: 'bench',
      original_id: `n${i}`,
      import_job_id: 'reference',
      imported_at: now,
    },
  }));
  const batches: Record<string, unknown>[][] = [];
  for (let first = 0; first < rows.length; first += 25) batches.push(rows.slice(first, first + 25));
  const table = cloud.resources.libraryTable;
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        let pending = batches[next++]!;
        while (pending.length > 0) {
          const result = await documents.send(
            new BatchWriteCommand({
              RequestItems: { [table]: pending.map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
          pending = (result.UnprocessedItems?.[table] ?? []).flatMap((request) =>
            request.PutRequest?.Item ? [request.PutRequest.Item] : [],
          );
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  documents.destroy();
  return count / seconds;
}

async function importOnce(
  label: string,
  bytes: Buffer,
  items: number,
): Promise<{ line: string; itemsPerSecond?: number }> {
  const presigned = (await (
    await call('/api/v1/chatbooks/uploads', {
      method: 'POST',
      body: JSON.stringify({ size_bytes: bytes.length }),
    })
  ).json()) as { upload_id: string; url: string; fields: Record<string, string> };
  const form = new FormData();
  for (const [name, value] of Object.entries(presigned.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), 'bench.chatbook');
  await fetch(presigned.url, { method: 'POST', body: form });
  const posted = Date.now();
  const response = await call('/api/v1/chatbooks/import', {
    method: 'POST',
    body: JSON.stringify({ upload_id: presigned.upload_id, async: true }),
  });
  if (response.status !== 202) {
    const refusal = (await response.json()) as { error: { code: string; message: string } };
    return { line: `${label}: refused ${response.status} ${refusal.error.code}: ${refusal.error.message}` };
  }
  const started = (await response.json()) as ImportJobView;
  let job = started;
  while (job.status === 'pending' || job.status === 'in_progress') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    job = (await (await call(`/api/v1/chatbooks/import/jobs/${started.job_id}`)).json()) as ImportJobView;
  }
  const seconds = (Date.parse(job.completed_at ?? '') - Date.parse(job.started_at ?? '')) / 1000;
  return {
    line:
      `${label}: ${job.status}, ${job.counts.imported}/${items} imported in ${seconds.toFixed(1)} s ` +
      `(${(items / seconds).toFixed(0)} items/s, ${(bytes.length / MB / seconds).toFixed(1)} MB/s of archive; ` +
      `${((Date.now() - posted) / 1000).toFixed(1)} s from the POST)`,
    itemsPerSecond: items / seconds,
  };
}

try {
  const results: string[] = [];
  // IMPORT_BENCH_SETS=10000,media (say) runs those sets only.
  const sets = (process.env.IMPORT_BENCH_SETS ?? '10000,100000,media').split(',');
  const ceiling = await storeCeiling(5000);
  results.push(`reference: the local DynamoDB takes ${ceiling.toFixed(0)} rows/s written straight to it`);
  log(results.at(-1) ?? '');
  for (const count of sets.filter((set) => /^\d+$/.test(set)).map(Number)) {
    const bytes = await notesChatbook(count);
    log(`${count} notes: ${(bytes.length / MB).toFixed(1)} MB chatbook; importing...`);
    const { line, itemsPerSecond } = await importOnce(`${count} small items`, bytes, count);
    results.push(
      itemsPerSecond === undefined
        ? line
        : `${line}; ${(itemsPerSecond / ceiling).toFixed(2)}x the reference`,
    );
    log(results.at(-1) ?? '');
  }
  if (sets.includes('media')) {
    const media = await mediaChatbook(40, 5 * MB);
    log(`media: ${(media.length / MB).toFixed(1)} MB chatbook; importing...`);
    results.push((await importOnce('media-heavy (40 × 5 MB)', media, 40)).line);
    log(results.at(-1) ?? '');
  }
  console.log(
    '\n[import] summary (target: >= 2,000 items/s here; the reference bounds what the local store allows):',
  );
  for (const line of results) console.log(`  ${line}`);
} finally {
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
