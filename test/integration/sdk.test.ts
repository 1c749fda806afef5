// The SDK against the local cloud over HTTP: every method, the upload/import and export/download flows, waiting
// for jobs, typed errors; and every API response the suite saw parsed with its documented schema, unchanged.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import { API_OPERATIONS, type ApiOperation, type ErrorStatus } from '../../shared/http/api-catalog';
import { errorBodySchema } from '../../shared/http/api-responses';
import type { Job, JobKind } from '../../shared/jobs/job';
import {
  ChatbooksApiError,
  ChatbooksClient,
  ChatbooksConnectionError,
  ChatbooksError,
  ChatbooksJobError,
  type ContentType,
  type ExportJob,
  type ImportJob,
  type ImportReportItem,
} from '../../sdk/src';
import { bareJob } from '../support/jobs';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const ALICE = 'sdk-alice';
const BOB = 'sdk-bob';
const CAROL = 'sdk-carol';

let cloud: TestCloud;
let jobs: DynamoJobStore;
let workDir: string;

/** Every call to the API (not to S3) the suite made: what it answered. */
const seen: { method: string; path: string; status: number; body: unknown }[] = [];

const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : input.toString());
  if (url.origin === new URL(cloud.url).origin) {
    const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
    seen.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      status: response.status,
      body: isJson ? await response.clone().json() : undefined,
    });
  }
  return response;
};

function clientFor(user: string | undefined, token = user ? cloud.token({ userId: user }) : undefined) {
  return new ChatbooksClient({ baseUrl: cloud.url, token, fetch: recordingFetch });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

async function apiError(promise: Promise<unknown>, status: number, code: string): Promise<ChatbooksApiError> {
  const error = await rejection(promise);
  assert.ok(error instanceof ChatbooksApiError, `a ChatbooksApiError, got ${String(error)}`);
  assert.equal(error.status, status, error.message);
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.length > 10);
  return error;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A pending job with no workflow behind it: it stays where the test puts it. */
async function stuckJob(user: string, kind: JobKind): Promise<Job> {
  const job = bareJob(user, kind, { totalItems: 4 });
  await jobs.create(job);
  return job;
}

before(async () => {
  cloud = await startTestCloud();
  jobs = new DynamoJobStore(cloud.documents, cloud.resources.jobsTable);
  workDir = mkdtempSync(join(tmpdir(), 'chatbooks-sdk-'));
});

after(async () => {
  await cloud.dispose();
  rmSync(workDir, { recursive: true, force: true });
});

describe('service', () => {
  it('reads health and the OpenAPI document without a token', async () => {
    const anonymous = clientFor(undefined);
    const health = await anonymous.getHealth();
    assert.equal(health.service, 'chatbooks');
    assert.equal(health.status, 'ok');
    assert.deepEqual(Object.keys(health.components).sort(), ['storage', 'tables', 'workflows']);
    const document = await anonymous.getOpenApiDocument();
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(
      Object.keys(document.paths).sort(),
      [...new Set(API_OPERATIONS.map((operation) => operation.path))].sort(),
    );
  });
});

describe('library', () => {
  const alice = () => clientFor(ALICE);

  it('creates, reads, updates with If-Match, lists with filters and pages, and deletes items', async () => {
    const client = alice();
    const first = await client.createLibraryItem('note', {
      id: 'sdk-n1',
      tags: ['sdk'],
      content: { title: 'First note', content: 'Body one' },
    });
    assert.deepEqual([first.id, first.type, first.title, first.version], ['sdk-n1', 'note', 'First note', 1]);
    await client.createLibraryItem('note', {
      id: 'sdk-n2',
      content: { title: 'Second note', content: 'Two' },
    });
    await client.createLibraryItem('character', {
      id: 'sdk-c1',
      content: { name: 'Aria', description: 'A guide' },
    });

    const read = await client.getLibraryItem('note', 'sdk-n1');
    assert.equal((read.content as { content: string }).content, 'Body one');

    const updated = await client.updateLibraryItem(
      'note',
      'sdk-n1',
      { tags: ['sdk'], content: { title: 'First note', content: 'Body one, edited' } },
      { ifMatch: 1 },
    );
    assert.equal(updated.version, 2);
    const stale = await apiError(
      client.updateLibraryItem('note', 'sdk-n1', { content: { title: 'Lost' } }, { ifMatch: 1 }),
      409,
      'version_conflict',
    );
    assert.deepEqual(stale.details, { current_version: 2 });

    assert.deepEqual(
      (await client.listLibraryItems('note', { tag: ['sdk'] })).items.map((item) => item.id),
      ['sdk-n1'],
    );
    assert.deepEqual(
      (await client.listLibraryItems('note', { q: 'second' })).items.map((item) => item.title),
      ['Second note'],
    );
    const firstPage = await client.listLibraryItems('note', { limit: 1 });
    assert.equal(firstPage.items.length, 1);
    assert.ok(firstPage.next_cursor);
    const everyNote: string[] = [];
    for await (const item of client.libraryItems('note', { limit: 1 })) everyNote.push(item.id);
    assert.deepEqual(everyNote.sort(), ['sdk-n1', 'sdk-n2']);

    await apiError(
      client.createLibraryItem('note', { id: 'sdk-n2', content: { title: 'Again' } }),
      409,
      'item_exists',
    );
    await client.createLibraryItem('note', { id: 'sdk-gone', content: { title: 'Short-lived' } });
    await client.deleteLibraryItem('note', 'sdk-gone');
    await apiError(client.getLibraryItem('note', 'sdk-gone'), 404, 'item_not_found');
    await apiError(client.listLibraryItems('bogus' as ContentType), 400, 'invalid_path');
  });
});

describe('exports and downloads', () => {
  let completed: ExportJob;

  it('exports in the request and streams the download, whose bytes have the recorded SHA-256', async () => {
    const client = clientFor(ALICE);
    completed = await client.createExport({ name: 'SDK pack', selection: { note: 'all', character: 'all' } });
    assert.equal(completed.status, 'completed');
    assert.equal(completed.total_items, 3);
    assert.match(completed.sha256 ?? '', /^[0-9a-f]{64}$/);

    const download = await client.downloadExport(completed.job_id);
    assert.equal(download.fileName, 'SDK pack.chatbook');
    const chunks: Uint8Array[] = [];
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    assert.equal(bytes.length, completed.file_size_bytes);
    assert.equal(sha256(bytes), completed.sha256);
    assert.equal(bytes.subarray(0, 2).toString(), 'PK');
  });

  it('downloads to a file (no partial file left) and to a Web stream, verified, counting each download', async () => {
    const client = clientFor(ALICE);
    const path = join(workDir, 'sdk-pack.chatbook');
    const progress: number[] = [];
    const saved = await client.downloadExportToFile(completed.job_id, path, {
      onProgress: ({ transferredBytes }) => progress.push(transferredBytes),
    });
    assert.deepEqual(
      [saved.bytes, saved.verified, saved.sha256],
      [completed.file_size_bytes, true, completed.sha256],
    );
    assert.equal(sha256(readFileSync(path)), completed.sha256);
    assert.equal(existsSync(`${path}.part`), false);
    assert.equal(progress.at(-1), completed.file_size_bytes);

    const received: Uint8Array[] = [];
    const streamed = await client.downloadExportTo(
      completed.job_id,
      new WritableStream<Uint8Array>({ write: (chunk) => void received.push(chunk) }),
    );
    assert.equal(streamed.verified, true);
    assert.equal(sha256(Buffer.concat(received)), completed.sha256);
    assert.equal((await client.getExportJob(completed.job_id)).download_count, 3);
  });

  it('runs an async export to a file: export, wait, download', async () => {
    const client = clientFor(ALICE);
    const statuses: string[] = [];
    const path = join(workDir, 'async.chatbook');
    const result = await client.exportToFile(
      { name: 'SDK async', selection: { note: ['sdk-n1'] }, async: true },
      path,
      {
        intervalMs: 100,
        onJobProgress: (job) => statuses.push(job.status),
      },
    );
    assert.equal(result.job.status, 'completed');
    assert.equal(result.job.total_items, 1);
    assert.equal(statuses.at(-1), 'completed');
    assert.equal(sha256(readFileSync(path)), result.job.sha256);

    const listed = await client.listExportJobs({ limit: 10 });
    assert.deepEqual(
      listed.jobs.map((job) => job.job_id).sort(),
      [completed.job_id, result.job.job_id].sort(),
    );
    assert.deepEqual((await client.listExportJobs({ status: 'failed' })).jobs, []);
    // Waiting again (a resumed wait) answers at once.
    assert.equal((await client.waitForJob('export', result.job.job_id)).job_id, result.job.job_id);
  });

  it('answers refusals as typed errors with the server code, message and request id', async () => {
    const client = clientFor(ALICE);
    const missing = await apiError(client.getExportJob(randomUUID()), 404, 'job_not_found');
    assert.match(missing.message, /No export job/);
    assert.match(missing.requestId ?? '', /^[0-9a-f-]{36}$/);
    await apiError(client.cancelExportJob(completed.job_id), 409, 'job_finished');
    await apiError(client.downloadExport('not-a-job'), 400, 'invalid_job_id');
    const invalid = await apiError(client.createExport({ name: '', selection: {} }), 400, 'invalid_request');
    assert.ok(Array.isArray(invalid.details?.issues));
    // Another user's job is not there for Bob.
    await apiError(clientFor(BOB).getExportJob(completed.job_id), 404, 'job_not_found');
  });
});

describe('waiting for and cancelling jobs', () => {
  it('follows a job that moves, reporting each poll, until it completes', async () => {
    const job = await stuckJob(CAROL, 'export');
    const key = { userId: CAROL, kind: 'export' as const, jobId: job.jobId };
    const polled: number[] = [];
    const waiting = clientFor(CAROL).waitForJob('export', job.jobId, {
      intervalMs: 20,
      maxIntervalMs: 100,
      onProgress: (current) => polled.push(current.processed_items),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await jobs.transition(key, ['pending'], 'in_progress', 'test', { processedItems: 2 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await jobs.transition(key, ['in_progress'], 'completed', 'test', { processedItems: 4 });
    const done = await waiting;
    assert.equal(done.status, 'completed');
    assert.equal(polled[0], 0);
    assert.ok(polled.includes(2), `polls saw the progress: ${polled.join(',')}`);
    assert.equal(polled.at(-1), 4);
  });

  it('cancels pending jobs of both kinds; waiting on one then fails with the job', async () => {
    const client = clientFor(CAROL);
    const exportJob = await stuckJob(CAROL, 'export');
    assert.equal((await client.cancelExportJob(exportJob.jobId)).status, 'cancelled');
    const failed = await rejection(client.waitForJob('export', exportJob.jobId));
    assert.ok(failed instanceof ChatbooksJobError);
    assert.equal(failed.job.status, 'cancelled');
    assert.equal(failed.kind, 'export');

    const importJob = await stuckJob(CAROL, 'import');
    const cancelled = await client.cancelImportJob(importJob.jobId);
    assert.deepEqual([cancelled.status, cancelled.processed_items], ['cancelled', 0]);
    assert.equal((await client.getJob('import', importJob.jobId)).status, 'cancelled');
    await apiError(client.cancelJob('import', importJob.jobId), 409, 'job_finished');
  });

  it('gives up after timeoutMs and stops on an abort signal, leaving the job as it is', async () => {
    const client = clientFor(CAROL);
    const job = await stuckJob(CAROL, 'import');
    const late = await rejection(client.waitForJob('import', job.jobId, { intervalMs: 20, timeoutMs: 100 }));
    assert.ok(late instanceof ChatbooksError);
    assert.match(late.message, /still pending/);
    const aborted = await rejection(
      client.waitForJob('import', job.jobId, { signal: AbortSignal.abort(), intervalMs: 20 }),
    );
    assert.equal((aborted as Error).name, 'AbortError');
    assert.equal((await client.getImportJob(job.jobId)).status, 'pending');
  });
});

describe('uploads, preview and import', () => {
  let chatbook: Buffer;
  let chatbookPath: string;

  before(async () => {
    chatbookPath = join(workDir, 'import-me.chatbook');
    await clientFor(ALICE).exportToFile(
      { name: 'Import me', selection: { note: ['sdk-n1', 'sdk-n2'], character: 'all' } },
      chatbookPath,
    );
    chatbook = readFileSync(chatbookPath);
  });

  it('hands out presigned POSTs capped at the tier and refuses a declared size over it', async () => {
    const client = clientFor(BOB);
    const presigned = await client.createUpload({ file_name: 'a.chatbook', size_bytes: 10 });
    assert.equal(presigned.method, 'POST');
    assert.equal(presigned.max_bytes, 100 * 1024 * 1024);
    assert.equal(presigned.fields.key, `users/${BOB}/chatbooks/imports/${presigned.upload_id}.chatbook`);
    const tooLarge = await apiError(
      client.createUpload({ size_bytes: 200 * 1024 * 1024 }),
      413,
      'file_too_large',
    );
    assert.equal(tooLarge.details?.max_bytes, 100 * 1024 * 1024);
  });

  it('uploads from a path, bytes, a Blob or a sized stream, inline or through the presigned POST', async () => {
    const client = clientFor(BOB);
    const inline = await client.uploadInline(chatbook);
    assert.equal(inline.size_bytes, chatbook.length);

    const progress: number[] = [];
    const fromPath = await client.uploadChatbook(chatbookPath, {
      via: 'presigned',
      onProgress: ({ transferredBytes, totalBytes }) => {
        assert.equal(totalBytes, chatbook.length);
        progress.push(transferredBytes);
      },
    });
    assert.deepEqual([fromPath.via, fromPath.size_bytes], ['presigned', chatbook.length]);
    assert.equal(progress.at(-1), chatbook.length);

    const fromStream = await client.uploadChatbook(createReadStream(chatbookPath), {
      via: 'presigned',
      sizeBytes: chatbook.length,
    });
    const fromBlob = await client.uploadChatbook(new Blob([new Uint8Array(chatbook)]));
    assert.equal(fromBlob.via, 'inline');
    for (const upload of [inline, fromPath, fromStream, fromBlob]) {
      assert.equal((await client.previewChatbook(upload.upload_id)).manifest.name, 'Import me');
    }
    const unsized = createReadStream(chatbookPath);
    await assert.rejects(client.uploadChatbook(unsized), /sizeBytes/);
    unsized.destroy();
  });

  it('previews: counts and the conflicts with what is already there', async () => {
    const intoBob = await clientFor(BOB).previewFile(chatbookPath);
    assert.deepEqual(intoBob.counts, { note: 2, character: 1 });
    assert.equal(intoBob.conflicts.total, 0);
    assert.equal(intoBob.integrity.status, 'verified');
    const intoAlice = await clientFor(ALICE).previewFile(chatbookPath);
    assert.equal(intoAlice.conflicts.total, 3);
    assert.deepEqual(intoAlice.conflicts.items.map((item) => item.existing_id).sort(), [
      'sdk-c1',
      'sdk-n1',
      'sdk-n2',
    ]);
  });

  it("refuses a damaged chatbook with the validator's code and message", async () => {
    const client = clientFor(BOB);
    const truncated = chatbook.subarray(0, Math.floor(chatbook.length / 2));
    const refused = await apiError(client.previewFile(truncated), 400, 'truncated');
    assert.match(refused.message, /^The archive is truncated/);
    await apiError(client.previewChatbook(randomUUID()), 404, 'upload_not_found');
  });

  it('imports in the request and as a followed job, with per-item reports', async () => {
    const client = clientFor(BOB);
    const upload = await client.uploadChatbook(chatbookPath);
    const first = await client.createImport({ upload_id: upload.upload_id, strategy: 'rename' });
    assert.equal(first.status, 'completed');
    assert.deepEqual(first.counts, {
      imported: 3,
      skipped: 0,
      renamed: 0,
      merged: 0,
      overwritten: 0,
      failed: 0,
    });

    const polled: string[] = [];
    const skipped: ImportJob = await client.importFile(
      chatbookPath,
      { strategy: 'skip', async: true },
      { wait: true, intervalMs: 100, onJobProgress: (job) => polled.push(job.status) },
    );
    assert.equal(skipped.status, 'completed');
    assert.equal(skipped.counts.skipped, 3);
    assert.equal(polled.at(-1), 'completed');

    assert.equal((await client.getImportJob(skipped.job_id)).strategy, 'skip');
    assert.deepEqual(
      (await client.listImportJobs()).jobs.map((job) => job.job_id).sort(),
      [first.job_id, skipped.job_id].sort(),
    );
    const page = await client.getImportReport(skipped.job_id, { limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.next_cursor);
    const items: ImportReportItem[] = [];
    for await (const item of client.importReportItems(skipped.job_id)) items.push(item);
    assert.deepEqual(
      items.map((item) => item.outcome),
      ['skipped', 'skipped', 'skipped'],
    );
    assert.deepEqual(items.map((item) => item.source_id).sort(), ['sdk-c1', 'sdk-n1', 'sdk-n2']);

    await apiError(client.cancelImportJob(skipped.job_id), 409, 'job_finished');
    const invalid = await apiError(
      client.createImport({ upload_id: upload.upload_id, strategy: 'replace' as 'skip' }),
      400,
      'invalid_request',
    );
    assert.deepEqual(invalid.details?.issues, [
      { path: 'strategy', message: 'strategy must be skip, overwrite, rename or merge' },
    ]);
  });
});

describe('quotas, cleanup and the audit trail', () => {
  it('reads the caller’s quota, runs their cleanup and pages their audit trail', async () => {
    const client = clientFor(ALICE);
    const quota = await client.getQuota();
    assert.equal(quota.tier, 'free');
    assert.ok(quota.usage.exports_today >= 1);
    assert.equal(quota.usage.active_jobs, 0);
    const cleanup = await client.runCleanup();
    assert.equal(cleanup.expired_exports, 0);
    assert.equal(cleanup.failed_stale_jobs, 0);
    const page = await client.listAuditEvents({ limit: 5 });
    assert.equal(page.events.length, 5);
    assert.equal(page.events[0]?.action, 'cleanup');
    const all: string[] = [];
    for await (const event of client.auditEvents({ action: 'export' })) all.push(event.action);
    assert.ok(all.length >= 2 && all.every((action) => action === 'export'), all.join(','));
  });
});

describe('failures of the transport', () => {
  it('says a bad token is a 401 and an unreachable service a connection error', async () => {
    const stranger = clientFor(ALICE, 'not-a-token');
    const refused = await apiError(stranger.listExportJobs(), 401, 'unauthorized');
    assert.match(refused.message, /token/i);
    const unreachable = new ChatbooksClient({ baseUrl: 'http://127.0.0.1:9', token: 't' });
    const error = await rejection(unreachable.getHealth());
    assert.ok(error instanceof ChatbooksConnectionError);
    assert.match(error.message, /Could not reach http:\/\/127\.0\.0\.1:9/);
  });
});

function operationOf(method: string, path: string): ApiOperation | undefined {
  return API_OPERATIONS.find(
    (operation) =>
      operation.method === method &&
      new RegExp(`^${operation.path.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`).test(path),
  );
}

describe('the documented schemas', () => {
  it('describe every response the suite saw exactly (no field missing from them), and every route was called', () => {
    assert.ok(seen.length > 50);
    const succeeded = new Set<string>();
    for (const response of seen) {
      const operation = operationOf(response.method, response.path);
      assert.ok(operation, `${response.method} ${response.path} is a cataloged route`);
      const documented = operation.responses[response.status as keyof ApiOperation['responses']];
      if (response.status < 400) {
        assert.ok(documented, `${operation.operationId} documents ${response.status}`);
        succeeded.add(operation.operationId);
      } else {
        assert.ok(
          operation.errors.includes(response.status as ErrorStatus) || response.status === 401,
          `${operation.operationId} documents ${response.status}`,
        );
      }
      const schema: z.ZodType | undefined = response.status < 400 ? documented?.body : errorBodySchema;
      if (!schema) {
        assert.equal(response.body, undefined, `${operation.operationId} ${response.status} has no body`);
        continue;
      }
      // zod drops fields a schema does not name: parsed equals raw only when the schema names every field.
      assert.deepEqual(
        schema.parse(response.body),
        response.body,
        `${operation.operationId} ${response.status}`,
      );
    }
    assert.deepEqual(
      API_OPERATIONS.map((operation) => operation.operationId).filter((id) => !succeeded.has(id)),
      [],
      'operations no test called successfully',
    );
  });
});
