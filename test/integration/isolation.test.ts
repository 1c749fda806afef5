// Isolation, proved through the local cloud (issue 6, point 5). Two users, A and B, each with a full set of their
// own data: library items of every type (a media item with its file), a completed export with a share link, an
// expired export, a completed import with its report, uploads; A also has an export and an import left pending for
// hours (stale). Then B attacks A through every route of the catalog (one matrix entry per route): A's job ids,
// upload ids, item ids, share links, cursors. Each attack gets 404 (403 for a foreign or tampered share token; on
// routes that create, a refusal that names nothing of A's) in the error model, answers exactly as it would for an
// id nobody has (no existence oracle), and no byte of A's data appears in anything B receives (headers and body,
// base64 and percent-encoding looked through). Afterwards A's data is unchanged, every S3 key and DynamoDB item of
// A's data sits under A's prefix, and a chatbook A shares with a third user meets that user's library only.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { endpointsOf, localClients, localLibraryStore } from '../../scripts/seed/seed-library';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import { KEY, jobSortKey, userPartition } from '../../shared/aws/table-keys';
import { CONTENT_TYPES, type ContentType } from '../../shared/chatbook/layout';
import { BufferSource, openChatbook } from '../../shared/chatbook/reader';
import { shareToken, type ExportJobView } from '../../shared/exports/export-service';
import type { ImportJobView } from '../../shared/imports/import-service';
import type { PreviewReport } from '../../shared/imports/preview';
import type { Job, JobKind } from '../../shared/jobs/job';
import type { LibraryItemView } from '../../shared/library/library-service';
import { jsonOf, probe, requestText, type ProbeReply, type ProbeRequest } from '../support/api-probe';
import { errorModelProblems, errorOf } from '../support/error-model';
import { leaksIn, replyTexts, revealed, type Secret } from '../support/leak-scan';
import { assertCoversCatalog } from '../support/route-catalog';
import { startTestCloud, type TestCloud } from '../support/local-cloud';
import { policyConditions, postRefusal } from '../support/s3-post-policy';

const CHATBOOKS = '/api/v1/chatbooks';
const LIBRARY = '/api/v1/library';
const SHARE_SECRET = 'isolation-share-secret-0123456789abcdef0123';
const RUN = randomBytes(4).toString('hex');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

interface PresignedUpload {
  upload_id: string;
  url: string;
  fields: Record<string, string>;
  max_bytes: number;
  expires_at: string;
}

interface ImportReport {
  job_id: string;
  items: { type: ContentType; source_id: string; outcome: string; library_id: string | null }[];
  next_cursor: string | null;
}

/** Everything one user owns, as the tests need to name it. */
interface UserWorld {
  user: string;
  /** In every title and text of the user's content, the media file's bytes and the export's name. */
  marker: string;
  tag: string;
  /** `iso-<letter>-<run>`: every item id the user chose starts with it. */
  idPrefix: string;
  items: { type: ContentType; id: string }[];
  mediaSha256: string;
  export: ExportJobView;
  share: { exp: string; token: string };
  archive: Buffer;
  expiredExportId: string;
  importJob: ImportJobView;
  importedItems: { type: ContentType; id: string }[];
  /** The upload the import consumed, and one never imported. */
  uploadIds: string[];
  /** Set for A only. */
  pendingExportId: string;
  pendingImportId: string;
}

let cloud: TestCloud;
let s3: S3Client;
let documents: DynamoDBDocumentClient;
let closeClients: () => void;
let a: UserWorld;
let b: UserWorld;
/** Every id B owns (items, jobs, uploads); attacks that create things add theirs. */
const bOwns = new Set<string>();
/** Objects A's own later actions may add under A's prefix (the quota entry's export). */
const aOwnPrefixes: string[] = [];
const tokens = new Map<string, string>();
let internalNames: string[];

const userId = (letter: string) => `iso-${letter}-user-${RUN}`;
const A = userId('alice');
const B = userId('bob');
const C = userId('carol');

function tokenFor(user: string): string {
  let token = tokens.get(user);
  if (!token) {
    // Premium: the setup creates more jobs than a free tier runs at once.
    token = cloud.token({ userId: user, tier: 'premium' });
    tokens.set(user, token);
  }
  return token;
}

function as(user: string | undefined, request: ProbeRequest): Promise<ProbeReply> {
  return probe(cloud.url, request, user ? { token: tokenFor(user) } : undefined);
}

const get = (path: string): ProbeRequest => ({ method: 'GET', path });
const del = (path: string): ProbeRequest => ({ method: 'DELETE', path });
const post = (path: string, body: unknown): ProbeRequest => ({ method: 'POST', path, body });
const itemPath = (type: string, id: string) => `${LIBRARY}/${type}/${encodeURIComponent(id)}`;

function expectStatus(reply: ProbeReply, status: number, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.status} ${reply.text.slice(0, 400)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Building each user's data through the API (the media file through the library port, as the seed does).

function contents(world: {
  marker: string;
  idPrefix: string;
}): Record<Exclude<ContentType, 'media'>, Record<string, unknown>> {
  const { marker, idPrefix } = world;
  return {
    note: { title: `Note ${marker}`, content: `The note says ${marker}.` },
    prompt: { name: `Prompt ${marker}`, system_prompt: `Be ${marker}`, user_prompt: 'Summarize' },
    character: { name: `Character ${marker}`, description: `Knows ${marker}` },
    world_book: { name: `World ${marker}`, entries: [{ keywords: [marker], content: `Lore ${marker}` }] },
    dictionary: { name: `Dictionary ${marker}`, entries: [{ key_pattern: marker, replacement: 'x' }] },
    conversation: {
      name: `Conversation ${marker}`,
      character_id: `${idPrefix}-character`,
      messages: [{ id: 'm1', parent_id: null, role: 'user', content: `Hello ${marker}` }],
    },
    generated_document: {
      title: `Document ${marker}`,
      document_type: 'summary',
      content: `Summary ${marker}`,
      conversation_id: `${idPrefix}-conversation`,
    },
    evaluation: {
      name: `Evaluation ${marker}`,
      eval_type: 'model_graded',
      eval_spec: { metric: marker },
      runs: [{ run_id: 'r1', status: 'completed', results: { note: marker } }],
    },
    embedding: {
      id: `media:${idPrefix}-media`,
      source: { media_id: `${idPrefix}-media` },
      encoding: 'base64',
      vector: 'AAAAPw==',
      model_note: marker,
    },
  };
}

async function createLibrary(world: UserWorld): Promise<void> {
  const { store, close } = localLibraryStore(endpointsOf(cloud));
  try {
    const mediaId = `${world.idPrefix}-media`;
    const body = Buffer.concat([Buffer.from(`${world.marker} media bytes `), randomBytes(4096)]);
    world.mediaSha256 = createHash('sha256').update(body).digest('hex');
    const file = await store.putFile(world.user, 'media', mediaId, {
      fileId: 'f1',
      name: 'clip.mp4',
      mimeType: 'video/mp4',
      body,
    });
    const now = new Date().toISOString();
    await store.put({
      userId: world.user,
      type: 'media',
      id: mediaId,
      title: `Media ${world.marker}`,
      tags: [world.tag],
      createdAt: now,
      updatedAt: now,
      version: 1,
      sizeBytes: 0,
      files: [file],
      content: {
        id: mediaId,
        title: `Media ${world.marker}`,
        type: 'video',
        transcripts: [{ id: '1', transcription: `Said ${world.marker}` }],
        chunks: [],
        stored_artifacts: [{ id: 'f1', original_filename: 'clip.mp4' }],
      },
    });
    world.items.push({ type: 'media', id: mediaId });
  } finally {
    close();
  }
  // The character before the conversation that links it, the conversation before the document.
  for (const [type, content] of Object.entries(contents(world))) {
    const id = type === 'embedding' ? `media:${world.idPrefix}-media` : `${world.idPrefix}-${type}`;
    const reply = await as(world.user, post(`${LIBRARY}/${type}`, { id, tags: [world.tag], content }));
    expectStatus(reply, 201, `creating ${world.user}'s ${type}`);
    world.items.push({ type: type as ContentType, id });
  }
}

async function uploadAs(user: string, bytes: Buffer): Promise<string> {
  const reply = await as(user, post(`${CHATBOOKS}/uploads`, { size_bytes: bytes.length }));
  expectStatus(reply, 201, `${user}'s presigned upload`);
  const form = jsonOf(reply) as PresignedUpload;
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append('file', new Blob([new Uint8Array(bytes)]), 'upload.chatbook');
  const stored = await fetch(form.url, { method: 'POST', body });
  assert.ok(stored.ok, `the presigned POST answered ${stored.status}`);
  return form.upload_id;
}

/** Follows the API's 302 as the owner and returns the archive's bytes. */
async function downloadAs(user: string, job: ExportJobView): Promise<Buffer> {
  assert.ok(job.download_url, `${job.job_id} is downloadable`);
  const redirect = await as(user, get(job.download_url));
  expectStatus(redirect, 302, `${user} downloads ${job.job_id}`);
  const object = await fetch(redirect.headers.location ?? '');
  assert.equal(object.status, 200);
  return Buffer.from(await object.arrayBuffer());
}

async function exportAs(user: string, body: Record<string, unknown>): Promise<ExportJobView> {
  const reply = await as(user, post(`${CHATBOOKS}/export`, body));
  expectStatus(reply, 201, `${user}'s export`);
  const job = jsonOf(reply) as ExportJobView;
  assert.equal(job.status, 'completed');
  return job;
}

async function reportOf(user: string, jobId: string, query = '?limit=1000'): Promise<ImportReport> {
  const reply = await as(user, get(`${CHATBOOKS}/import/jobs/${jobId}/report${query}`));
  expectStatus(reply, 200, `${user}'s report`);
  return jsonOf(reply) as ImportReport;
}

/** Makes a completed export's archive past its expiry, as the clock would. */
async function expire(user: string, jobId: string): Promise<void> {
  await documents.send(
    new UpdateCommand({
      TableName: cloud.resources.jobsTable,
      Key: { [KEY.partition]: userPartition(user), [KEY.sort]: jobSortKey('export', jobId) },
      UpdateExpression: 'SET #archive.#expiresAt = :past',
      ExpressionAttributeNames: { '#archive': 'archive', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() },
    }),
  );
}

/** Three hours old: past the cleanup's stale-job timeout (120 minutes), so a cleanup that reached it would fail it. */
const STALE_AGE_MS = 3 * 3600_000;

/** A job left pending long ago, written straight to the jobs table (nothing runs it). */
function stalePendingJob(world: UserWorld, kind: JobKind): Job {
  const now = new Date(Date.now() - STALE_AGE_MS).toISOString();
  return {
    userId: world.user,
    jobId: randomUUID(),
    kind,
    status: 'pending',
    name: `Pending ${kind} ${world.marker}`,
    createdAt: now,
    updatedAt: now,
    totalItems: 3,
    processedItems: 0,
    events: [{ at: now, step: 'request', status: 'pending' }],
    request: kind === 'import' ? { strategy: 'skip' } : { name: `Pending ${world.marker}` },
  };
}

async function buildWorld(user: string, letter: string, withPending: boolean): Promise<UserWorld> {
  const hex = randomBytes(6).toString('hex');
  const world = {
    user,
    marker: `${letter.toUpperCase()}MARK${hex}`,
    tag: `${letter}tag${hex}`,
    idPrefix: `iso-${letter}-${RUN}`,
    items: [],
    uploadIds: [],
    importedItems: [],
  } as unknown as UserWorld;
  await createLibrary(world);

  world.export = await exportAs(user, {
    name: `Everything ${world.marker}`,
    selection: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 'all'])),
    include_media: true,
  });
  assert.equal(world.export.total_items, world.items.length);
  assert.ok(world.export.share_url, 'share links are on in this cloud');
  const shared = new URL(world.export.share_url, cloud.url).searchParams;
  world.share = { exp: shared.get('exp') ?? '', token: shared.get('token') ?? '' };
  world.archive = await downloadAs(user, world.export);
  world.export = jsonOf(
    await as(user, get(`${CHATBOOKS}/export/jobs/${world.export.job_id}`)),
  ) as ExportJobView;
  assert.equal(world.export.download_count, 1);

  // Imported into the owner's own library with `rename`: the conflicts with what is there prove the forecast
  // and the import look at the caller's library (the third user's import below finds none).
  const imported = await uploadAs(user, world.archive);
  world.uploadIds.push(imported);
  const importReply = await as(
    user,
    post(`${CHATBOOKS}/import`, { upload_id: imported, strategy: 'rename' }),
  );
  expectStatus(importReply, 201, `${user}'s import`);
  world.importJob = jsonOf(importReply) as ImportJobView;
  assert.equal(world.importJob.status, 'completed');
  const report = await reportOf(user, world.importJob.job_id);
  assert.ok(report.items.length >= 2);
  assert.ok(
    report.items.some((item) => item.outcome === 'renamed'),
    `a rename import of the owner's own export renames: ${JSON.stringify(report.items.map((i) => i.outcome))}`,
  );
  for (const item of report.items) {
    if (item.library_id && item.library_id !== item.source_id) {
      world.importedItems.push({ type: item.type, id: item.library_id });
    }
  }
  assert.ok(world.importedItems.length > 0);

  const fresh = await uploadAs(user, world.archive);
  world.uploadIds.push(fresh);
  const preview = await as(user, post(`${CHATBOOKS}/preview`, { upload_id: fresh }));
  expectStatus(preview, 200, `${user}'s preview`);
  assert.ok(
    (jsonOf(preview) as PreviewReport).conflicts.total > 0,
    "the owner's preview sees the owner's items",
  );

  const expiring = await exportAs(user, { name: `Notes ${world.marker}`, selection: { note: 'all' } });
  world.expiredExportId = expiring.job_id;
  await expire(user, expiring.job_id);
  const gone = await as(user, get(`${CHATBOOKS}/download/${expiring.job_id}`));
  expectStatus(gone, 410, 'the owner is told the export expired');

  if (withPending) {
    const jobs = new DynamoJobStore(documents, cloud.resources.jobsTable);
    const pendingExport = stalePendingJob(world, 'export');
    const pendingImport = stalePendingJob(world, 'import');
    await jobs.create(pendingExport);
    await jobs.create(pendingImport);
    world.pendingExportId = pendingExport.jobId;
    world.pendingImportId = pendingImport.jobId;
  }
  return world;
}

/** Strings only A's own responses may show. */
function secretsOf(world: UserWorld): Secret[] {
  const ids = (label: string, values: readonly string[]) =>
    values.filter((value) => value).map((value) => ({ label, value }));
  return [
    { label: "A's user id", value: world.user },
    { label: "A's content marker", value: world.marker },
    { label: "A's tag", value: world.tag },
    { label: "A's media file SHA-256", value: world.mediaSha256 },
    { label: "A's archive SHA-256", value: world.export.sha256 ?? '' },
    { label: "A's share token", value: world.share.token },
    ...ids(
      "A's item id",
      [...world.items, ...world.importedItems].map((item) => item.id),
    ),
    ...ids("A's job id", [
      world.export.job_id,
      world.expiredExportId,
      world.importJob.job_id,
      world.pendingExportId,
      world.pendingImportId,
    ]),
    ...ids("A's upload id", world.uploadIds),
  ].filter((secret) => secret.value !== '');
}

// ---------------------------------------------------------------------------------------------------------------
// The matrix: one entry per route, each a list of attacks B makes on A through it.

interface Attack {
  name: string;
  request: ProbeRequest;
  /** The statuses B may get. */
  status: number | readonly number[];
  /** The error code, when the status is an error. */
  code?: string;
  /**
   * Values of A's in the request (ids, tokens, tags): the same request with look-alikes nobody has must get the
   * same answer, so the reply tells B nothing about whether A's thing exists.
   */
  swap?: readonly string[];
  /** What B knows besides the request (the leak scan does not count it). */
  known?: readonly string[];
  /** Strings this reply must not show besides A's (a public route shows nothing of B either). */
  alsoSecret?: readonly Secret[];
  check?: (reply: ProbeReply) => Promise<void>;
}

type Entry = () => Attack[] | Promise<Attack[]>;

/** A value of A's, and a look-alike of the same shape and length that no one has. */
function lookalike(value: string): string {
  const swapped = value
    .replace(UUID, () => randomUUID())
    .replaceAll(a.idPrefix, a.idPrefix.replace('iso-a-', 'iso-z-'))
    .replaceAll(a.marker, a.marker.replace('AMARK', 'ZMARK'))
    .replaceAll(a.tag, a.tag.replace(/^atag/, 'ztag'));
  if (swapped !== value) return swapped;
  if (/^[0-9a-f]+$/i.test(value)) return randomBytes(value.length).toString('hex').slice(0, value.length);
  return `z${randomBytes(value.length)
    .toString('hex')
    .slice(0, value.length - 1)}`;
}

function withSwaps(request: ProbeRequest, swaps: ReadonlyMap<string, string>): ProbeRequest {
  const replace = (text: string) => {
    let result = text;
    for (const [from, to] of swaps) result = result.replaceAll(from, to);
    return result;
  };
  return {
    ...request,
    path: replace(request.path),
    ...(request.body === undefined
      ? {}
      : { body: JSON.parse(replace(JSON.stringify(request.body))) as unknown }),
    ...(typeof request.raw === 'string' ? { raw: replace(request.raw) } : {}),
  };
}

/** The parts of an error reply that must not depend on whether A's thing exists. */
function errorShape(reply: ProbeReply, swaps: ReadonlyMap<string, string>): unknown {
  let text = reply.text;
  for (const [original, fresh] of swaps) text = text.replaceAll(fresh, original);
  return {
    status: reply.status,
    body: text === '' ? '' : (JSON.parse(text) as unknown),
    location: reply.headers.location ?? null,
  };
}

const knownToB: string[] = [];

async function runAttack(t: TestContext, attack: Attack, secrets: readonly Secret[]): Promise<void> {
  await t.test(attack.name, async () => {
    const reply = await as(B, attack.request);
    knownToB.push(requestText(attack.request));
    const allowed = [attack.status].flat();
    assert.ok(
      allowed.includes(reply.status),
      `${attack.request.method} ${attack.request.path} answered ${reply.status} (expected ${allowed.join(' or ')}): ${reply.text.slice(0, 500)}`,
    );
    if (reply.status >= 400) {
      assert.deepEqual(errorModelProblems(reply, { internalNames }), [], 'the error model');
      if (attack.code) assert.equal(errorOf(reply).code, attack.code);
      assert.equal(reply.headers.location, undefined, 'a refusal redirects nowhere');
    }
    const known = [requestText(attack.request), ...(attack.known ?? [])].join('\n');
    assert.deepEqual(
      leaksIn(replyTexts(reply), [...secrets, ...(attack.alsoSecret ?? [])], known),
      [],
      'leaks',
    );
    if (attack.swap && attack.swap.length > 0) {
      const swaps = new Map(attack.swap.map((value) => [value, lookalike(value)]));
      const twin = await as(B, withSwaps(attack.request, swaps));
      assert.deepEqual(
        errorShape(twin, swaps),
        errorShape(reply, new Map()),
        "the answer for A's thing is the answer for a thing nobody has",
      );
    }
    await attack.check?.(reply);
  });
}

function listedIds(reply: ProbeReply, field: 'jobs' | 'items'): string[] {
  const body = jsonOf(reply) as Record<
    string,
    { job_id?: string; id?: string; library_id?: string | null }[]
  >;
  const list = body[field];
  assert.ok(Array.isArray(list), `the reply lists ${field}`);
  return list.map((entry) => entry.job_id ?? entry.id ?? entry.library_id ?? '');
}

/** A listing as B holds only B's things. */
function onlyB(field: 'jobs' | 'items') {
  return (reply: ProbeReply): Promise<void> => {
    if (reply.status !== 200) return Promise.resolve();
    const foreign = listedIds(reply, field).filter((id) => !bOwns.has(id));
    assert.deepEqual(foreign, [], "B's listing holds only B's things");
    return Promise.resolve();
  };
}

/** A listing as B that must be empty. */
function emptyListing(field: 'jobs' | 'items') {
  return (reply: ProbeReply): Promise<void> => {
    assert.deepEqual(listedIds(reply, field), []);
    return Promise.resolve();
  };
}

/** The same JSON whoever asks (B, A, nobody), once volatile fields are left out. */
async function sameForEveryone(path: string, reply: ProbeReply): Promise<void> {
  const stable = (r: ProbeReply) =>
    JSON.stringify(r.json, (key, value: unknown) => (key === 'checkedAt' ? undefined : value));
  for (const user of [A, undefined]) {
    const other = await as(user, get(path));
    assert.equal(other.status, reply.status);
    assert.equal(stable(other), stable(reply), `${path} answers ${user ?? 'anyone'} as it answers B`);
  }
}

/** Every text of the chatbook: the manifest and each entry, inflated. */
async function archiveTexts(bytes: Buffer): Promise<string[]> {
  const archive = await openChatbook(new BufferSource(bytes));
  try {
    const texts = [JSON.stringify(archive.manifest)];
    for (const entry of archive.entries) {
      if (!entry.isDirectory) texts.push((await archive.readEntry(entry.name)).toString('latin1'));
    }
    return texts;
  } finally {
    await archive.close();
  }
}

/** Pages through a listing whose shape is not known yet (the coming routes), returning every reply. */
async function allPages(user: string, path: string): Promise<ProbeReply[]> {
  const replies: ProbeReply[] = [];
  let cursor: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const reply = await as(
      user,
      get(cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path),
    );
    replies.push(reply);
    const next = (reply.json as { next_cursor?: unknown } | undefined)?.next_cursor;
    cursor = reply.status === 200 && typeof next === 'string' ? next : undefined;
  } while (cursor && replies.length < 50);
  return replies;
}

/** A quota reply without what changes with time alone. */
function usageOf(reply: ProbeReply): string {
  return JSON.stringify(reply.json, (key, value: unknown) =>
    /(_at|At|time|reset|retry|seconds|until|now)$/i.test(key) ||
    (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value))
      ? undefined
      : value,
  );
}

async function firstCursor(user: string, path: string): Promise<string> {
  const reply = await as(user, get(path));
  expectStatus(reply, 200, `${user} lists ${path}`);
  const cursor = (reply.json as { next_cursor?: unknown }).next_cursor;
  assert.equal(typeof cursor, 'string', `${path} gives A a next_cursor`);
  return cursor as string;
}

const MATRIX: Record<string, Entry> = {
  [`GET ${CHATBOOKS}/health`]: () => [
    {
      name: 'answers B as it answers anyone, with nothing of A or B',
      request: get(`${CHATBOOKS}/health`),
      status: [200, 503],
      alsoSecret: [
        { label: "B's user id", value: B },
        ...internalNames.map((name) => ({ label: 'a resource name', value: name })),
      ],
      check: (reply) => sameForEveryone(`${CHATBOOKS}/health`, reply),
    },
  ],
  'GET /api/v1/openapi.json': () => [
    {
      name: 'answers B as it answers anyone, with nothing of A or B',
      request: get('/api/v1/openapi.json'),
      status: 200,
      alsoSecret: [{ label: "B's user id", value: B }],
      check: (reply) => sameForEveryone('/api/v1/openapi.json', reply),
    },
  ],

  [`POST ${CHATBOOKS}/export`]: () => {
    const pick = (type: ContentType) => a.items.find((item) => item.type === type)?.id ?? '';
    const aIds = { note: [pick('note')], prompt: [pick('prompt')], media: [pick('media')] };
    return [
      {
        name: "refuses a selection of A's item ids as it refuses ids nobody has",
        request: post(`${CHATBOOKS}/export`, { name: 'Stolen', selection: aIds, include_media: true }),
        status: 422,
        code: 'unknown_items',
        swap: Object.values(aIds).flat(),
      },
      {
        name: "refuses an imported item id of A's",
        request: post(`${CHATBOOKS}/export`, {
          name: 'Stolen',
          selection: { [a.importedItems[0]!.type]: [a.importedItems[0]!.id] },
          async: true,
        }),
        status: 422,
        code: 'unknown_items',
        swap: [a.importedItems[0]!.id],
      },
      {
        name: "finds nothing with A's tag",
        request: post(`${CHATBOOKS}/export`, {
          name: 'By tag',
          selection: { note: 'all', media: 'all' },
          filters: { tags: [a.tag] },
        }),
        status: 422,
        code: 'nothing_to_export',
        swap: [a.tag],
      },
      {
        name: "exports everything of B's and nothing of A's",
        request: post(`${CHATBOOKS}/export`, {
          name: 'All of mine',
          selection: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 'all'])),
          include_media: true,
          include_embeddings: true,
        }),
        status: 201,
        check: async (reply) => {
          const job = jsonOf(reply) as ExportJobView;
          bOwns.add(job.job_id);
          assert.equal(job.total_items, b.items.length + b.importedItems.length);
          const texts = await archiveTexts(await downloadAs(B, job));
          assert.deepEqual(leaksIn(texts, secretsOf(a), ''), [], "B's archive holds nothing of A's");
          assert.ok(
            texts.some((text) => text.includes(b.marker)),
            "B's archive holds B's content",
          );
        },
      },
    ];
  },
  [`GET ${CHATBOOKS}/export/jobs`]: async () => {
    const cursor = await firstCursor(A, `${CHATBOOKS}/export/jobs?limit=1`);
    return [
      {
        name: "lists only B's exports",
        request: get(`${CHATBOOKS}/export/jobs?limit=1000`),
        status: 200,
        check: onlyB('jobs'),
      },
      {
        name: 'lists no pending export (only A has one)',
        request: get(`${CHATBOOKS}/export/jobs?status=pending`),
        status: 200,
        check: emptyListing('jobs'),
      },
      {
        name: "follows A's cursor within B's exports only, or refuses it",
        request: get(`${CHATBOOKS}/export/jobs?limit=5&cursor=${encodeURIComponent(cursor)}`),
        status: [200, 400],
        known: [cursor],
        check: onlyB('jobs'),
      },
    ];
  },
  [`GET ${CHATBOOKS}/export/jobs/{job_id}`]: () =>
    [
      ['completed', a.export.job_id],
      ['expired', a.expiredExportId],
      ['pending', a.pendingExportId],
    ].map(([state, id]) => ({
      name: `404 for A's ${state} export`,
      request: get(`${CHATBOOKS}/export/jobs/${id}`),
      status: 404,
      code: 'job_not_found',
      swap: [id!],
    })),
  [`DELETE ${CHATBOOKS}/export/jobs/{job_id}`]: () =>
    [
      ['pending', a.pendingExportId],
      ['completed', a.export.job_id],
      ['expired', a.expiredExportId],
    ].map(([state, id]) => ({
      name: `cannot cancel A's ${state} export (404, not 409)`,
      request: del(`${CHATBOOKS}/export/jobs/${id}`),
      status: 404,
      code: 'job_not_found',
      swap: [id!],
    })),
  [`GET ${CHATBOOKS}/download/{job_id}`]: () => {
    const download = (jobId: string, share?: { exp: string; token: string }) =>
      get(`${CHATBOOKS}/download/${jobId}${share ? `?exp=${share.exp}&token=${share.token}` : ''}`);
    const flipped = `${b.share.token[0] === '0' ? '1' : '0'}${b.share.token.slice(1)}`;
    return [
      {
        name: "404 for A's completed export",
        request: download(a.export.job_id),
        status: 404,
        code: 'job_not_found',
        swap: [a.export.job_id],
      },
      {
        name: "404 for A's share link, used by B",
        request: download(a.export.job_id, a.share),
        status: 404,
        code: 'job_not_found',
        swap: [a.export.job_id],
      },
      {
        name: "404 for A's expired export (not 410)",
        request: download(a.expiredExportId),
        status: 404,
        code: 'job_not_found',
        swap: [a.expiredExportId],
      },
      {
        name: "404 for A's pending export (not 409)",
        request: download(a.pendingExportId),
        status: 404,
        code: 'job_not_found',
        swap: [a.pendingExportId],
      },
      {
        name: "404 for A's export with a token signed for B over it",
        request: download(a.export.job_id, {
          exp: b.share.exp,
          token: shareToken(SHARE_SECRET, a.export.job_id, b.share.exp, B),
        }),
        status: 404,
        code: 'job_not_found',
        swap: [a.export.job_id],
      },
      {
        name: "403 for A's token on B's own export",
        request: download(b.export.job_id, a.share),
        status: 403,
        code: 'invalid_signature',
      },
      {
        name: "403 for a token bound to A over B's export",
        request: download(b.export.job_id, {
          exp: b.share.exp,
          token: shareToken(SHARE_SECRET, b.export.job_id, b.share.exp, A),
        }),
        status: 403,
        code: 'invalid_signature',
      },
      {
        name: "403 for B's own share token, tampered",
        request: download(b.export.job_id, { exp: b.share.exp, token: flipped }),
        status: 403,
        code: 'invalid_signature',
      },
    ];
  },

  [`POST ${CHATBOOKS}/uploads`]: () => [
    {
      name: "gives B a presigned POST for one key under B's prefix only",
      request: post(`${CHATBOOKS}/uploads`, { size_bytes: 1000 }),
      status: 201,
      check: (reply) => {
        const form = jsonOf(reply) as PresignedUpload;
        bOwns.add(form.upload_id);
        assertPinnedToB(form);
        return Promise.resolve();
      },
    },
    {
      name: 'refuses a key chosen by the caller',
      request: post(`${CHATBOOKS}/uploads`, {
        size_bytes: 1000,
        key: `users/${A}/chatbooks/imports/${a.uploadIds[1]!}.chatbook`,
      }),
      status: 400,
      code: 'invalid_request',
    },
    {
      name: "stores an archive sent in the request under B's prefix",
      request: {
        method: 'POST',
        path: `${CHATBOOKS}/uploads`,
        raw: b.archive,
        headers: { 'content-type': 'application/zip' },
      },
      status: 201,
      check: async (reply) => {
        const { upload_id } = jsonOf(reply) as { upload_id: string };
        bOwns.add(upload_id);
        const keys = await keysUnder('users/');
        assert.deepEqual(
          keys.filter((key) => key.includes(upload_id)),
          [`users/${B}/chatbooks/imports/${upload_id}.chatbook`],
        );
      },
    },
  ],
  [`POST ${CHATBOOKS}/preview`]: () => [
    ...a.uploadIds.map((id, index) => ({
      name: `404 for A's ${index === 0 ? 'imported' : 'fresh'} upload`,
      request: post(`${CHATBOOKS}/preview`, { upload_id: id }),
      status: 404,
      code: 'upload_not_found',
      swap: [id],
    })),
    {
      name: "404 for A's upload reached through a path in the id",
      request: post(`${CHATBOOKS}/preview`, { upload_id: `../../${A}/chatbooks/imports/${a.uploadIds[1]!}` }),
      status: 404,
      code: 'upload_not_found',
    },
    {
      name: "404 for A's export job id taken for an upload",
      request: post(`${CHATBOOKS}/preview`, { upload_id: a.export.job_id }),
      status: 404,
      code: 'upload_not_found',
      swap: [a.export.job_id],
    },
  ],
  [`POST ${CHATBOOKS}/import`]: () => [
    ...a.uploadIds.map((id, index) => ({
      name: `404 for A's ${index === 0 ? 'imported' : 'fresh'} upload`,
      request: post(`${CHATBOOKS}/import`, { upload_id: id, strategy: 'overwrite' }),
      status: 404,
      code: 'upload_not_found',
      swap: [id],
    })),
    {
      name: "404 for A's upload reached through a path in the id, async",
      request: post(`${CHATBOOKS}/import`, {
        upload_id: `users/${A}/chatbooks/imports/${a.uploadIds[1]!}.chatbook`,
        async: true,
      }),
      status: 404,
      code: 'upload_not_found',
    },
  ],
  [`GET ${CHATBOOKS}/import/jobs`]: async () => {
    const cursor = await firstCursor(A, `${CHATBOOKS}/import/jobs?limit=1`);
    return [
      {
        name: "lists only B's imports",
        request: get(`${CHATBOOKS}/import/jobs?limit=1000`),
        status: 200,
        check: onlyB('jobs'),
      },
      {
        name: 'lists no pending import (only A has one)',
        request: get(`${CHATBOOKS}/import/jobs?status=pending`),
        status: 200,
        check: emptyListing('jobs'),
      },
      {
        name: "follows A's cursor within B's imports only, or refuses it",
        request: get(`${CHATBOOKS}/import/jobs?cursor=${encodeURIComponent(cursor)}`),
        status: [200, 400],
        known: [cursor],
        check: onlyB('jobs'),
      },
    ];
  },
  [`GET ${CHATBOOKS}/import/jobs/{job_id}`]: () =>
    [
      ['completed', a.importJob.job_id],
      ['pending', a.pendingImportId],
    ].map(([state, id]) => ({
      name: `404 for A's ${state} import`,
      request: get(`${CHATBOOKS}/import/jobs/${id}`),
      status: 404,
      code: 'job_not_found',
      swap: [id!],
    })),
  [`GET ${CHATBOOKS}/import/jobs/{job_id}/report`]: async () => {
    const cursor = await firstCursor(A, `${CHATBOOKS}/import/jobs/${a.importJob.job_id}/report?limit=1`);
    return [
      {
        name: "404 for A's import report",
        request: get(`${CHATBOOKS}/import/jobs/${a.importJob.job_id}/report`),
        status: 404,
        code: 'job_not_found',
        swap: [a.importJob.job_id],
      },
      {
        name: "404 for A's import report with A's cursor",
        request: get(
          `${CHATBOOKS}/import/jobs/${a.importJob.job_id}/report?cursor=${encodeURIComponent(cursor)}`,
        ),
        status: 404,
        code: 'job_not_found',
        known: [cursor],
        swap: [a.importJob.job_id],
      },
      {
        name: "404 for A's pending import's report",
        request: get(`${CHATBOOKS}/import/jobs/${a.pendingImportId}/report`),
        status: 404,
        code: 'job_not_found',
        swap: [a.pendingImportId],
      },
      {
        name: "reads only B's own records with A's cursor, or refuses it",
        request: get(
          `${CHATBOOKS}/import/jobs/${b.importJob.job_id}/report?cursor=${encodeURIComponent(cursor)}`,
        ),
        status: [200, 400],
        known: [cursor],
        check: (reply) => {
          if (reply.status === 200) {
            const ids = (jsonOf(reply) as ImportReport).items.map((item) => item.library_id ?? '');
            assert.deepEqual(
              ids.filter((id) => id && !bOwns.has(id)),
              [],
            );
          }
          return Promise.resolve();
        },
      },
    ];
  },
  [`DELETE ${CHATBOOKS}/import/jobs/{job_id}`]: () =>
    [
      ['pending', a.pendingImportId],
      ['completed', a.importJob.job_id],
    ].map(([state, id]) => ({
      name: `cannot cancel A's ${state} import (404, not 409)`,
      request: del(`${CHATBOOKS}/import/jobs/${id}`),
      status: 404,
      code: 'job_not_found',
      swap: [id!],
    })),

  [`GET ${LIBRARY}/{type}`]: async () => {
    const cursor = await firstCursor(A, `${LIBRARY}/note?limit=1`);
    return [
      ...CONTENT_TYPES.map((type) => ({
        name: `lists only B's ${type} items`,
        request: get(`${LIBRARY}/${type}?limit=500`),
        status: 200,
        check: onlyB('items'),
      })),
      {
        name: "finds nothing by A's title text",
        request: get(`${LIBRARY}/note?q=${a.marker}`),
        status: 200,
        swap: [a.marker],
        check: emptyListing('items'),
      },
      {
        name: "finds nothing by A's tag",
        request: get(`${LIBRARY}/media?tag=${a.tag}`),
        status: 200,
        swap: [a.tag],
        check: emptyListing('items'),
      },
      {
        name: "follows A's cursor within B's items only, or refuses it",
        request: get(`${LIBRARY}/note?cursor=${encodeURIComponent(cursor)}`),
        status: [200, 400],
        known: [cursor],
        check: onlyB('items'),
      },
    ];
  },
  [`POST ${LIBRARY}/{type}`]: () => {
    const note = a.items.find((item) => item.type === 'note')!;
    return [
      {
        name: "creates B's own item under A's id, without touching A's",
        request: post(`${LIBRARY}/note`, {
          id: note.id,
          content: { title: `Mine ${b.marker}`, content: 'B' },
        }),
        status: 201,
        check: async (reply) => {
          const item = jsonOf(reply) as LibraryItemView;
          assert.equal(item.id, note.id);
          assert.equal(item.version, 1);
          assert.equal(item.title, `Mine ${b.marker}`);
          const removed = await as(B, del(itemPath('note', note.id)));
          expectStatus(removed, 204, "B removes B's own copy");
        },
      },
    ];
  },
  [`GET ${LIBRARY}/{type}/{id}`]: () =>
    [...a.items, ...a.importedItems].map((item) => ({
      name: `404 for A's ${item.type} ${item.id}`,
      request: get(itemPath(item.type, item.id)),
      status: 404,
      code: 'item_not_found',
      swap: [item.id],
    })),
  [`PUT ${LIBRARY}/{type}/{id}`]: () =>
    [
      ...a.items.filter((item) => ['note', 'media', 'conversation'].includes(item.type)),
      a.importedItems[0]!,
    ].flatMap((item) => [
      {
        name: `404 for overwriting A's ${item.type} ${item.id}`,
        request: {
          method: 'PUT',
          path: itemPath(item.type, item.id),
          body: { content: { title: `Overwritten ${b.marker}`, name: `Overwritten ${b.marker}` } },
        },
        status: 404,
        code: 'item_not_found',
        swap: [item.id],
      },
      {
        name: `404 for overwriting A's ${item.type} ${item.id} at its version`,
        request: {
          method: 'PUT',
          path: itemPath(item.type, item.id),
          headers: { 'if-match': '"1"' },
          body: { content: { title: `Overwritten ${b.marker}`, name: `Overwritten ${b.marker}` } },
        },
        status: 404,
        code: 'item_not_found',
        swap: [item.id],
      },
    ]),
  [`DELETE ${LIBRARY}/{type}/{id}`]: () =>
    [...a.items, ...a.importedItems].map((item) => ({
      name: `404 for deleting A's ${item.type} ${item.id}`,
      request: del(itemPath(item.type, item.id)),
      status: 404,
      code: 'item_not_found',
      swap: [item.id],
    })),

  // Coming with issue 6 (audit, quotas, cleanup): run once their routes are in the catalog.
  [`GET ${CHATBOOKS}/audit`]: () => [
    {
      name: "B's audit trail never shows A's events",
      request: get(`${CHATBOOKS}/audit`),
      status: 200,
      // B's own refused attempts may name the ids B sent; nothing else of A's may appear.
      known: knownToB,
      check: async () => {
        const pages = await allPages(B, `${CHATBOOKS}/audit`);
        const texts = pages.flatMap(replyTexts);
        assert.deepEqual(leaksIn(texts, secretsOf(a), knownToB.join('\n')), [], "A's events in B's trail");
        assert.ok(
          texts.some((text) => text.includes(b.export.job_id)),
          "B's trail records B's own export (so it is not empty by accident)",
        );
        const aPage = await as(A, get(`${CHATBOOKS}/audit?limit=1`));
        const next = (aPage.json as { next_cursor?: unknown } | undefined)?.next_cursor;
        if (typeof next === 'string') {
          const crossed = await as(B, get(`${CHATBOOKS}/audit?cursor=${encodeURIComponent(next)}`));
          assert.ok([200, 400].includes(crossed.status), `A's audit cursor as B: ${crossed.status}`);
          assert.deepEqual(
            leaksIn(replyTexts(crossed), secretsOf(a), `${knownToB.join('\n')}\n${next}`),
            [],
            "A's cursor shows B nothing of A's",
          );
        }
      },
    },
  ],
  [`GET ${CHATBOOKS}/quota`]: () => [
    {
      name: "B's quota shows B's usage only, and does not move when A's does",
      request: get(`${CHATBOOKS}/quota`),
      status: 200,
      check: async (reply) => {
        const usage = async (user: string) =>
          (jsonOf(await as(user, get(`${CHATBOOKS}/quota`))) as { usage: Record<string, number> }).usage;
        const aUsage = await usage(A);
        const extra = await exportAs(A, {
          name: `More ${a.marker}`,
          selection: { note: 'all', media: 'all' },
          include_media: true,
        });
        aOwnPrefixes.push(
          `users/${A}/chatbooks/exports/${extra.job_id}/`,
          `users/${A}/chatbooks/temp/exports/${extra.job_id}/`,
        );
        const aLater = await usage(A);
        assert.equal(aLater.exports_today, (aUsage.exports_today ?? 0) + 1, "A's export counts in A's quota");
        assert.ok((aLater.storage_bytes ?? 0) > (aUsage.storage_bytes ?? 0), "A's export takes A's storage");
        const later = await as(B, get(`${CHATBOOKS}/quota`));
        assert.equal(later.status, 200);
        assert.equal(usageOf(later), usageOf(reply), "A's export does not change B's quota");
        assert.deepEqual(leaksIn(replyTexts(later), secretsOf(a), ''), []);
      },
    },
  ],
  [`POST ${CHATBOOKS}/cleanup`]: async () => {
    // B's own stale job, for the cleanup to fail: it shows the run reached B's jobs and what it does to them.
    const stale = stalePendingJob(b, 'export');
    await new DynamoJobStore(documents, cloud.resources.jobsTable).create(stale);
    bOwns.add(stale.jobId);
    const statusOf = async (user: string, kind: JobKind, jobId: string) =>
      (jsonOf(await as(user, get(`${CHATBOOKS}/${kind}/jobs/${jobId}`))) as { status: string }).status;
    return [
      {
        name: "B's cleanup cleans B's expired export and stale job, and never touches A's",
        request: post(`${CHATBOOKS}/cleanup`, {}),
        status: [200, 202, 204],
        check: async () => {
          assert.equal(
            await statusOf(B, 'export', b.expiredExportId),
            'expired',
            "B's expired export is cleaned",
          );
          assert.equal(await statusOf(B, 'export', stale.jobId), 'failed', "B's stale job is failed");
          assert.equal(
            await statusOf(A, 'export', a.expiredExportId),
            'completed',
            "A's expired export is A's",
          );
          assert.equal(await statusOf(A, 'export', a.pendingExportId), 'pending', "A's stale export is A's");
          assert.equal(await statusOf(A, 'import', a.pendingImportId), 'pending', "A's stale import is A's");
          assert.ok(
            (await keysUnder(`users/${A}/chatbooks/exports/${a.expiredExportId}/`)).length > 0,
            "A's expired archive is still there",
          );
        },
      },
    ];
  },
};

function assertPinnedToB(form: PresignedUpload): void {
  const key = `users/${B}/chatbooks/imports/${form.upload_id}.chatbook`;
  assert.equal(form.fields.key, key);
  const attempt = {
    fields: form.fields,
    fileSize: 1000,
    bucket: cloud.resources.bucket,
    secretAccessKey: cloud.aws.credentials.secretAccessKey,
    now: new Date(),
  };
  assert.equal(postRefusal(attempt), undefined, 'S3 takes the form as given');
  assert.ok(
    policyConditions(form.fields).some((condition) => !Array.isArray(condition) && condition.key === key),
    'the policy names the exact key (not a starts-with)',
  );
  for (const elsewhere of [
    `users/${A}/chatbooks/imports/${a.uploadIds[1]!}.chatbook`,
    `users/${A}/chatbooks/imports/${form.upload_id}.chatbook`,
    `users/${B}/../${A}/chatbooks/imports/${form.upload_id}.chatbook`,
    `users/${A}/library/media/x`,
  ]) {
    assert.match(
      postRefusal({ ...attempt, fields: { ...form.fields, key: elsewhere } }) ?? '',
      /^key is not/,
    );
  }
  // A policy rewritten to name A's key is no longer the one signed.
  const forged = Buffer.from(
    Buffer.from(form.fields.policy ?? '', 'base64')
      .toString('utf8')
      .replaceAll(key, `users/${A}/chatbooks/imports/${form.upload_id}.chatbook`),
  ).toString('base64');
  assert.match(
    postRefusal({
      ...attempt,
      fields: {
        ...form.fields,
        policy: forged,
        key: `users/${A}/chatbooks/imports/${form.upload_id}.chatbook`,
      },
    }) ?? '',
    /signature/,
  );
  assert.match(
    postRefusal({ ...attempt, fileSize: form.max_bytes + 1 }) ?? '',
    /outside/,
    'the size cap holds',
  );
  assert.ok(Date.parse(form.expires_at) - Date.now() <= 15 * 60_000 + 5000, 'the form lives minutes');
  assert.match(
    postRefusal({ ...attempt, now: new Date(Date.parse(form.expires_at) + 1000) }) ?? '',
    /expired/,
    'an expired form is refused',
  );
}

async function keysUnder(prefix: string): Promise<string[]> {
  return Object.keys(await objectsUnder(prefix));
}

/** Key -> "size etag" of every object under `prefix`. */
async function objectsUnder(prefix: string): Promise<Record<string, string>> {
  const objects: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: cloud.resources.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) objects[object.Key ?? ''] = `${object.Size} ${object.ETag}`;
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

interface Snapshot {
  items: Record<string, unknown>;
  jobs: Record<string, unknown>;
  reports: Record<string, unknown>;
  listings: Record<string, string[]>;
  objects: Record<string, string>;
}

/** What A sees of A's data: every item with its content and version, every job and report, every object. */
async function snapshotOf(world: UserWorld): Promise<Snapshot> {
  const items: Record<string, unknown> = {};
  for (const item of [...world.items, ...world.importedItems]) {
    const reply = await as(world.user, get(itemPath(item.type, item.id)));
    expectStatus(reply, 200, `${world.user} reads ${item.type} ${item.id}`);
    items[`${item.type}/${item.id}`] = reply.json;
  }
  const jobs: Record<string, unknown> = {};
  for (const id of [world.export.job_id, world.expiredExportId, world.pendingExportId]) {
    const reply = await as(world.user, get(`${CHATBOOKS}/export/jobs/${id}`));
    expectStatus(reply, 200, `${world.user} reads export ${id}`);
    // The share link is minted per read (its exp moves with the clock).
    const { share_url: _share, ...job } = jsonOf(reply) as ExportJobView;
    jobs[id] = job;
  }
  const reports: Record<string, unknown> = {};
  for (const id of [world.importJob.job_id, world.pendingImportId]) {
    const reply = await as(world.user, get(`${CHATBOOKS}/import/jobs/${id}`));
    expectStatus(reply, 200, `${world.user} reads import ${id}`);
    jobs[id] = reply.json;
    reports[id] = await reportOf(world.user, id);
  }
  const listings: Record<string, string[]> = {};
  for (const type of CONTENT_TYPES) {
    listings[type] = listedIds(await as(world.user, get(`${LIBRARY}/${type}?limit=500`)), 'items');
  }
  return { items, jobs, reports, listings, objects: await objectsUnder(`users/${world.user}/`) };
}

let aBefore: Snapshot;

before(async () => {
  cloud = await startTestCloud({ functionEnvironment: { SHARE_LINK_SECRET: SHARE_SECRET } });
  const clients = localClients(endpointsOf(cloud));
  s3 = clients.s3;
  documents = clients.documents;
  closeClients = clients.close;
  internalNames = [
    cloud.resources.bucket,
    cloud.resources.jobsTable,
    cloud.resources.libraryTable,
    cloud.resources.exportMachineArn,
    cloud.resources.importMachineArn,
  ];
  a = await buildWorld(A, 'a', true);
  b = await buildWorld(B, 'b', false);
  for (const id of [
    ...b.items.map((item) => item.id),
    ...b.importedItems.map((item) => item.id),
    b.export.job_id,
    b.expiredExportId,
    b.importJob.job_id,
    ...b.uploadIds,
  ]) {
    bOwns.add(id);
  }
  aBefore = await snapshotOf(a);
});

after(async () => {
  closeClients();
  await cloud.dispose();
});

describe('the isolation matrix: B attacks A through every route', () => {
  it('has an entry for every route of the catalog, and only routes of the catalog', () => {
    assertCoversCatalog(MATRIX, 'isolation entries');
  });

  for (const [route, entry] of Object.entries(MATRIX)) {
    it(route, async (t) => {
      const attacks = await entry();
      assert.ok(attacks.length > 0);
      for (const attack of attacks) await runAttack(t, attack, secretsOf(a));
    });
  }
});

describe('S3 keys and table items come from the verified user only', () => {
  it("keeps every object under its owner's prefix, and A's data only in A's partition", async () => {
    const keys = await keysUnder('');
    const owners = [A, B, C].map((user) => `users/${user}/`);
    assert.deepEqual(
      keys.filter((key) => !owners.some((prefix) => key.startsWith(prefix))),
      [],
      'objects outside the users prefixes',
    );
    const strictSecrets = secretsOf(a).filter((secret) =>
      [a.user, a.marker, a.tag, a.mediaSha256, a.export.sha256].includes(secret.value),
    );
    for (const table of [cloud.resources.jobsTable, cloud.resources.libraryTable]) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
        for (const item of page.Items ?? []) {
          const partition = String(item[KEY.partition]);
          if (partition === userPartition(A) || partition === userPartition(C)) continue;
          assert.deepEqual(
            leaksIn(revealed(JSON.stringify(item)), strictSecrets, ''),
            [],
            `${table} ${partition} ${String(item[KEY.sort])}`,
          );
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  });

  it('refuses a token whose subject cannot be a user id (it would become a key)', async () => {
    for (const subject of [`${B}/../${A}`, `../${A}`, `${B}#x`]) {
      const reply = await probe(cloud.url, get(`${CHATBOOKS}/export/jobs`), {
        token: cloud.token({ userId: subject }),
      });
      assert.equal(reply.status, 401, `${subject}: ${reply.text}`);
      assert.deepEqual(errorModelProblems(reply, { internalNames }), []);
      assert.deepEqual(leaksIn(replyTexts(reply), secretsOf(a), subject), []);
    }
  });
});

describe('a chatbook A shares with another user', () => {
  it("is matched against the recipient's library only: no conflicts forecast, every item imported", async () => {
    const uploadId = await uploadAs(C, a.archive);
    const preview = await as(C, post(`${CHATBOOKS}/preview`, { upload_id: uploadId }));
    expectStatus(preview, 200, "C's preview of A's chatbook");
    const report = jsonOf(preview) as PreviewReport;
    assert.equal(report.total_items, a.items.length);
    assert.equal(report.conflicts.total, 0, "A's items are not C's conflicts");
    const imported = await as(C, post(`${CHATBOOKS}/import`, { upload_id: uploadId, strategy: 'skip' }));
    expectStatus(imported, 201, "C's import of A's chatbook");
    const outcomes = (await reportOf(C, (jsonOf(imported) as ImportJobView).job_id)).items.map(
      (item) => item.outcome,
    );
    assert.equal(outcomes.length, a.items.length);
    assert.deepEqual(
      outcomes.filter((outcome) => outcome !== 'imported'),
      [],
      "nothing is skipped for being in A's library",
    );
  });
});

describe("A's data afterwards", () => {
  it('is unchanged: items, versions, jobs, download counts, reports, listings and objects', async () => {
    const now = await snapshotOf(a);
    assert.deepEqual(now.items, aBefore.items);
    assert.deepEqual(now.jobs, aBefore.jobs);
    assert.deepEqual(now.reports, aBefore.reports);
    assert.deepEqual(now.listings, aBefore.listings);
    const added = Object.keys(now.objects).filter(
      (key) => !(key in aBefore.objects) && !aOwnPrefixes.some((prefix) => key.startsWith(prefix)),
    );
    assert.deepEqual(added, [], "objects added under A's prefix");
    for (const [key, version] of Object.entries(aBefore.objects)) {
      assert.equal(now.objects[key], version, `${key} is as it was`);
    }
  });

  it("still serves A: A's share link and download work", async () => {
    const share = await as(
      A,
      get(`${CHATBOOKS}/download/${a.export.job_id}?exp=${a.share.exp}&token=${a.share.token}`),
    );
    assert.equal(share.status, 302);
    const object = await fetch(share.headers.location ?? '');
    assert.equal(
      createHash('sha256')
        .update(Buffer.from(await object.arrayBuffer()))
        .digest('hex'),
      a.export.sha256,
    );
  });
});
