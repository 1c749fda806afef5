// The library API (/api/v1/library/{type}) end to end through the local cloud: HTTP in, DynamoDB and S3 behind.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CONTENT_TYPES, type ContentType } from '../../shared/chatbook/layout';
import { ITEM_SCHEMAS } from '../../shared/chatbook/schema/items';
import type { LibraryItemView } from '../../shared/library/library-service';
import { SAMPLES } from '../support/chatbook-samples';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const PREFIX = '/api/v1/library';

let cloud: TestCloud;
let s3: S3Client;

before(async () => {
  cloud = await startTestCloud();
  s3 = cloud.s3;
});
after(async () => {
  await cloud.dispose();
});

type Json = Record<string, unknown>;
interface ItemBody extends Omit<LibraryItemView, 'content'> {
  content: Json;
}
interface ListBody {
  items: ItemBody[];
  next_cursor: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; details?: Json };
}
interface Reply<B> {
  status: number;
  headers: Headers;
  body: B;
}

const newUser = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const itemPath = (type: string, id: string) => `${PREFIX}/${type}/${encodeURIComponent(id)}`;

async function call<B = unknown>(
  user: string | undefined,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply<B>> {
  const text = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await cloud.call(path, {
    ...(user ? { user } : {}),
    method,
    headers: {
      ...(text === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(text === undefined ? {} : { body: text }),
  });
  const received = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (received === '' ? undefined : JSON.parse(received)) as B,
  };
}

const create = (user: string, type: string, body: unknown) =>
  call<ItemBody>(user, 'POST', `${PREFIX}/${type}`, { body });
const read = (user: string, type: string, id: string) => call<ItemBody>(user, 'GET', itemPath(type, id));
const list = (user: string, type: string, query = '') =>
  call<ListBody>(user, 'GET', `${PREFIX}/${type}${query ? `?${query}` : ''}`);

/** Asserts the reply is the error model with this status and code; returns its details. */
function assertError(reply: Reply<unknown>, status: number, code: string): Json | undefined {
  assert.equal(
    reply.status,
    status,
    `expected ${status} ${code}, got ${reply.status} ${JSON.stringify(reply.body)}`,
  );
  const body = reply.body as ErrorBody;
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  return body.error.details;
}

function assertCreated(reply: Reply<ItemBody>, type: string, id: string): ItemBody {
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  assert.equal(reply.headers.get('location'), itemPath(type, id));
  assert.equal(reply.headers.get('etag'), '"1"');
  return reply.body;
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: cloud.resources.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function readObject(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: cloud.resources.bucket, Key: key }));
  return object.Body!.transformToString();
}

const libraryPrefix = (user: string, type: string, id: string) =>
  `users/${encodeURIComponent(user)}/library/${type}/${encodeURIComponent(id)}/`;

/** The content as the type's schema normalizes it (what the API must store and return). */
function normalized(type: ContentType, content: Json): Json {
  return ITEM_SCHEMAS[type].parse(content);
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Each sample's title and tags as the library reads them. */
const EXPECTED: Record<ContentType, { title: string; tags: string[]; titleField: string }> = {
  conversation: { title: 'Trip: planning "v2" ✈', tags: [], titleField: 'name' },
  note: { title: 'Title: with colon', tags: ['rag', 'ünïcode'], titleField: 'title' },
  character: { title: 'Aria', tags: [], titleField: 'name' },
  world_book: { title: 'World', tags: [], titleField: 'name' },
  dictionary: { title: 'Slang', tags: [], titleField: 'name' },
  prompt: { title: 'Summarize', tags: ['a'], titleField: 'name' },
  media: { title: 'Talk', tags: [], titleField: 'title' },
  embedding: { title: 'Embedding of 42', tags: [], titleField: 'title' },
  generated_document: { title: 'Brief', tags: [], titleField: 'title' },
  evaluation: { title: 'QA', tags: [], titleField: 'name' },
};

const EXTRA = { x_custom: { nested: [1, 'two', null], flag: true } };

describe('library: create, get, update, delete for every type', () => {
  for (const type of CONTENT_TYPES) {
    it(`${type}: with a given id, keeps the content as its schema normalizes it, unknown fields included`, async () => {
      const user = newUser('crud');
      const sample = SAMPLES[type] as Json;
      const id = type === 'embedding' ? 'media:42' : `given-${type}.1`;
      const content = { ...sample, ...EXTRA };
      const expectedContent = normalized(type, { ...content, id });

      const started = Date.now();
      const created = assertCreated(await create(user, type, { id, content }), type, id);
      const finished = Date.now();
      assert.equal(created.id, id);
      assert.equal(created.type, type);
      assert.equal(created.title, EXPECTED[type].title);
      assert.deepEqual(created.tags, EXPECTED[type].tags);
      assert.equal(created.version, 1);
      assert.deepEqual(created.files, []);
      assert.match(created.created_at, ISO_MS);
      assert.equal(created.updated_at, created.created_at);
      const createdAt = Date.parse(created.created_at);
      assert.ok(createdAt >= started - 5 && createdAt <= finished + 5, created.created_at);
      assert.deepEqual(created.content, expectedContent);
      assert.equal(created.content.id, id);
      assert.deepEqual(created.content.x_custom, EXTRA.x_custom);
      for (const key of Object.keys(sample)) assert.ok(key in created.content, `${type} lost ${key}`);
      assert.equal(created.size_bytes, Buffer.byteLength(JSON.stringify(created.content)));

      const got = await read(user, type, id);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('etag'), '"1"');
      assert.deepEqual(got.body, created);

      const field = EXPECTED[type].titleField;
      const edited = { ...content, [field]: 'Edited title', tags: ['t1'], keywords: ['t2'] };
      const updated = await call<ItemBody>(user, 'PUT', itemPath(type, id), {
        body: { content: edited },
        headers: { 'if-match': '"1"' },
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.headers.get('etag'), '"2"');
      assert.equal(updated.body.version, 2);
      assert.equal(updated.body.title, 'Edited title');
      assert.deepEqual(updated.body.tags, ['t1', 't2']);
      assert.equal(updated.body.created_at, created.created_at);
      assert.ok(updated.body.updated_at >= created.updated_at);
      assert.deepEqual(updated.body.content, normalized(type, { ...edited, id }));
      assert.equal(updated.body.size_bytes, Buffer.byteLength(JSON.stringify(updated.body.content)));

      const reread = await read(user, type, id);
      assert.equal(reread.headers.get('etag'), '"2"');
      assert.deepEqual(reread.body, updated.body);

      const deleted = await call(user, 'DELETE', itemPath(type, id));
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, undefined);
      assertError(await read(user, type, id), 404, 'item_not_found');
      assertError(await call(user, 'DELETE', itemPath(type, id)), 404, 'item_not_found');
      assert.deepEqual((await list(user, type)).body, { items: [], next_cursor: null });
    });

    it(`${type}: assigns an id when none is given`, async () => {
      const user = newUser('assign');
      const sample = SAMPLES[type] as Json;
      const reply = await create(user, type, { content: sample });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      const id = reply.body.id;
      assert.match(id, UUID);
      assertCreated(reply, type, id);
      assert.equal(reply.body.content.id, id);
      assert.deepEqual(reply.body.content, normalized(type, { ...sample, id }));
      const got = await read(user, type, id);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, reply.body);
      const listed = await list(user, type);
      assert.deepEqual(
        listed.body.items.map((item) => item.id),
        [id],
      );
      assert.equal(listed.body.next_cursor, null);
      const { content: _content, ...summary } = reply.body;
      assert.deepEqual(listed.body.items[0], summary);
    });
  }

  it('normalizes legacy keys and coerced values, and takes tags given beside the content', async () => {
    const user = newUser('normalize');
    const note = await create(user, 'note', {
      id: 'n1',
      content: { id: 'ignored', title: 2024, keywords: 'x, y', content: null },
    });
    assert.equal(note.status, 201, JSON.stringify(note.body));
    assert.deepEqual(note.body.content, { id: 'n1', title: '2024', tags: ['x', 'y'], content: '' });
    assert.equal(note.body.title, '2024');
    assert.deepEqual(note.body.tags, ['x', 'y']);

    const prompt = await create(user, 'prompt', {
      id: 'p1',
      tags: ['  spaced ', 'plain', 'spaced'],
      content: { title: 'From title', keywords: ['k'] },
    });
    assert.equal(prompt.status, 201, JSON.stringify(prompt.body));
    assert.deepEqual(prompt.body.content, {
      id: 'p1',
      name: 'From title',
      prompt_format: 'legacy',
      keywords: ['k'],
    });
    assert.equal(prompt.body.title, 'From title');
    assert.deepEqual(prompt.body.tags, ['spaced', 'plain']);
  });
});

describe('library: listing', () => {
  const user = newUser('lister');
  // Oldest first; each created a few ms after the last, so update times are distinct.
  const notes = [
    { id: 'n0', title: 'Alpha report', tags: ['a'] },
    { id: 'n1', title: 'beta notes', tags: ['a', 'b'] },
    { id: 'n2', title: 'Gamma', tags: ['b'] },
    { id: 'n3', title: 'ALPHABET soup', tags: ['a', 'b', 'c'] },
    { id: 'n4', title: 'Delta', tags: [] },
    { id: 'n5', title: 'epsilon ALPHA', tags: ['c'] },
    { id: 'n6', title: 'Zeta', tags: ['a', 'c'] },
  ];
  const updatedAt = new Map<string, string>();
  const ids = (reply: Reply<ListBody>) => reply.body.items.map((item) => item.id);

  before(async () => {
    for (const note of notes) {
      const reply = await create(user, 'note', {
        id: note.id,
        content: { title: note.title, tags: note.tags },
      });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      updatedAt.set(note.id, reply.body.updated_at);
      await sleep(3);
    }
  });

  /** Follows next_cursor to the end; returns the pages' ids. */
  async function allPages(query: string): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const reply: Reply<ListBody> = await list(user, 'note', `${query}${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      pages.push(ids(reply));
      cursor = reply.body.next_cursor;
      assert.ok(pages.length <= 20, 'the listing does not end');
    } while (cursor);
    return pages;
  }

  it('lists newest update first, with each summary and no content', async () => {
    const reply = await list(user, 'note');
    assert.equal(reply.status, 200);
    assert.deepEqual(ids(reply), ['n6', 'n5', 'n4', 'n3', 'n2', 'n1', 'n0']);
    assert.equal(reply.body.next_cursor, null);
    const n3 = reply.body.items[3]!;
    assert.deepEqual(Object.keys(n3).sort(), [
      'created_at',
      'files',
      'id',
      'size_bytes',
      'tags',
      'title',
      'type',
      'updated_at',
      'version',
    ]);
    assert.equal(n3.title, 'ALPHABET soup');
    assert.deepEqual(n3.tags, ['a', 'b', 'c']);
    assert.equal(n3.updated_at, updatedAt.get('n3'));
    const times = reply.body.items.map((item) => item.updated_at);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal(new Set(times).size, times.length);
  });

  it('pages with a small limit, every item exactly once', async () => {
    assert.deepEqual(await allPages('limit=3'), [['n6', 'n5', 'n4'], ['n3', 'n2', 'n1'], ['n0']]);
    assert.deepEqual(await allPages('limit=1'), [['n6'], ['n5'], ['n4'], ['n3'], ['n2'], ['n1'], ['n0']]);
    assert.deepEqual(await allPages('limit=7'), [['n6', 'n5', 'n4', 'n3', 'n2', 'n1', 'n0']]);
    assert.deepEqual(await allPages('limit=500'), [['n6', 'n5', 'n4', 'n3', 'n2', 'n1', 'n0']]);
  });

  it('filters by tags: items carrying all of them', async () => {
    assert.deepEqual(ids(await list(user, 'note', 'tag=a')), ['n6', 'n3', 'n1', 'n0']);
    assert.deepEqual(ids(await list(user, 'note', 'tag=a,b')), ['n3', 'n1']);
    assert.deepEqual(ids(await list(user, 'note', `tag=${encodeURIComponent(' b , c ')}`)), ['n3']);
    assert.deepEqual(ids(await list(user, 'note', 'tag=c,a,b')), ['n3']);
    assert.deepEqual(await allPages('tag=a&limit=2'), [
      ['n6', 'n3'],
      ['n1', 'n0'],
    ]);
    // The last match is not the oldest item: the page that ends the matches says so (no cursor to an empty page).
    assert.deepEqual(await allPages('tag=c&limit=1'), [['n6'], ['n5'], ['n3']]);
    assert.deepEqual(await allPages('tag=b&limit=2'), [['n3', 'n2'], ['n1']]);
    assert.deepEqual((await list(user, 'note', 'tag=a,zzz')).body, { items: [], next_cursor: null });
  });

  it('filters by update time, both bounds inclusive, in any offset', async () => {
    const at = (id: string) => updatedAt.get(id)!;
    const between = `updated_since=${at('n2')}&updated_until=${at('n4')}`;
    assert.deepEqual(ids(await list(user, 'note', between)), ['n4', 'n3', 'n2']);
    assert.deepEqual(ids(await list(user, 'note', `updated_since=${at('n5')}`)), ['n6', 'n5']);
    assert.deepEqual(ids(await list(user, 'note', `updated_until=${at('n0')}`)), ['n0']);
    assert.deepEqual(ids(await list(user, 'note', `updated_until=${at('n1')}&tag=b`)), ['n1']);
    assert.deepEqual(await allPages(`${between}&limit=2`), [['n4', 'n3'], ['n2']]);

    // The same instant written with a +02:00 offset and without milliseconds' padding.
    const shifted = (iso: string) => {
      const date = new Date(Date.parse(iso) + 2 * 3600_000);
      return `${date.toISOString().slice(0, 23)}+02:00`;
    };
    const offsetQuery = `updated_since=${encodeURIComponent(shifted(at('n2')))}&updated_until=${encodeURIComponent(shifted(at('n4')))}`;
    assert.deepEqual(ids(await list(user, 'note', offsetQuery)), ['n4', 'n3', 'n2']);

    // One millisecond past n4 excludes it; one before n2 still includes n2 only at the low end.
    const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
    assert.deepEqual(
      ids(await list(user, 'note', `updated_since=${plus(at('n2'), 1)}&updated_until=${plus(at('n4'), -1)}`)),
      ['n3'],
    );
    assert.deepEqual((await list(user, 'note', 'updated_since=2999-01-01T00:00:00Z')).body, {
      items: [],
      next_cursor: null,
    });
    assert.deepEqual((await list(user, 'note', 'updated_until=2000-01-01T00:00:00Z')).body, {
      items: [],
      next_cursor: null,
    });
    const details = assertError(await list(user, 'note', 'updated_since=yesterday'), 400, 'invalid_query');
    assert.deepEqual(
      (details?.issues as { path: string }[]).map((issue) => issue.path),
      ['updated_since'],
    );
  });

  it('filters by a case-insensitive title substring', async () => {
    assert.deepEqual(ids(await list(user, 'note', 'q=alpha')), ['n5', 'n3', 'n0']);
    assert.deepEqual(ids(await list(user, 'note', 'q=ALPHA')), ['n5', 'n3', 'n0']);
    assert.deepEqual(ids(await list(user, 'note', `q=${encodeURIComponent('a r')}`)), ['n0']);
    assert.deepEqual(ids(await list(user, 'note', 'q=alpha&tag=a')), ['n3', 'n0']);
    assert.deepEqual(await allPages('q=alpha&limit=1'), [['n5'], ['n3'], ['n0']]);
    assert.deepEqual((await list(user, 'note', 'q=nothing-like-this')).body, {
      items: [],
      next_cursor: null,
    });
  });

  it('moves an updated item to the front', async () => {
    const reply = await call<ItemBody>(user, 'PUT', itemPath('note', 'n2'), {
      body: { content: { title: 'Gamma', tags: ['b'] } },
    });
    assert.equal(reply.status, 200);
    assert.ok(reply.body.updated_at > updatedAt.get('n6')!);
    assert.deepEqual(ids(await list(user, 'note')), ['n2', 'n6', 'n5', 'n4', 'n3', 'n1', 'n0']);
    assert.deepEqual(await allPages('limit=4'), [
      ['n2', 'n6', 'n5', 'n4'],
      ['n3', 'n1', 'n0'],
    ]);
    assert.deepEqual(ids(await list(user, 'note', `updated_since=${reply.body.updated_at}`)), ['n2']);
    updatedAt.set('n2', reply.body.updated_at);
  });

  it('refuses a cursor of another type, or garbage, with invalid_cursor', async () => {
    for (const id of ['p1', 'p2']) {
      assert.equal((await create(user, 'prompt', { id, content: { name: id } })).status, 201);
    }
    const prompts = await list(user, 'prompt', 'limit=1');
    assert.deepEqual(ids(prompts), ['p2']);
    const promptCursor = prompts.body.next_cursor;
    assert.equal(typeof promptCursor, 'string');
    assert.deepEqual(ids(await list(user, 'prompt', `limit=1&cursor=${promptCursor}`)), ['p1']);

    assertError(await list(user, 'note', `cursor=${promptCursor}`), 400, 'invalid_cursor');
    assertError(await list(user, 'note', 'cursor=not-a-cursor'), 400, 'invalid_cursor');
    const forged = Buffer.from(JSON.stringify({ sk: 'JOB#export#x', lk: 'JOB#export#x' })).toString(
      'base64url',
    );
    assertError(await list(user, 'note', `cursor=${forged}`), 400, 'invalid_cursor');
    const notJson = Buffer.from('{"sk":').toString('base64url');
    assertError(await list(user, 'note', `cursor=${notJson}`), 400, 'invalid_cursor');
  });

  it('keeps a cursor exact when the filters change between pages', async () => {
    const first = await list(user, 'note', 'limit=2');
    assert.deepEqual(ids(first), ['n2', 'n6']);
    const cursor = first.body.next_cursor!;
    // Past the cursor, narrowed to a window that lies entirely after it, or entirely before it.
    const at = (id: string) => updatedAt.get(id)!;
    assert.deepEqual(ids(await list(user, 'note', `cursor=${cursor}&updated_until=${at('n4')}`)), [
      'n4',
      'n3',
      'n1',
      'n0',
    ]);
    assert.deepEqual(ids(await list(user, 'note', `cursor=${cursor}&updated_since=${at('n4')}`)), [
      'n5',
      'n4',
    ]);
    const reply = await list(user, 'note', `cursor=${cursor}&updated_since=${at('n2')}`);
    assert.deepEqual(reply.body, { items: [], next_cursor: null });
  });
});

describe('library: validation', () => {
  const user = newUser('validator');

  it('refuses an unknown type with 400', async () => {
    for (const [method, path] of [
      ['GET', `${PREFIX}/widget`],
      ['POST', `${PREFIX}/widget`],
      ['GET', `${PREFIX}/widget/1`],
      ['PUT', `${PREFIX}/widget/1`],
      ['DELETE', `${PREFIX}/widget/1`],
    ] as const) {
      const reply = await call(
        user,
        method,
        path,
        method === 'POST' || method === 'PUT' ? { body: { content: {} } } : {},
      );
      const details = assertError(reply, 400, 'invalid_path');
      assert.deepEqual(
        (details?.issues as { path: string }[]).map((issue) => issue.path),
        ['type'],
      );
    }
  });

  it('requires a token', async () => {
    const reply = await call(undefined, 'GET', `${PREFIX}/note`);
    assertError(reply, 401, 'unauthorized');
  });

  it('refuses an invalid id: 400 on create, 404 on get, put and delete', async () => {
    const long = 'a'.repeat(200);
    for (const id of ['../x', long, 'a'.repeat(129), '-leading', 'has space', 'media:42', 'a/b', '']) {
      const reply = await create(user, 'note', { id, content: { title: 'x' } });
      assertError(reply, 400, 'invalid_id');
    }
    assertError(
      await create(user, 'embedding', { id: 'other:42', content: SAMPLES.embedding }),
      400,
      'invalid_id',
    );
    for (const id of ['../x', long, 'a b']) {
      assertError(await read(user, 'note', id), 404, 'item_not_found');
      assertError(
        await call(user, 'PUT', itemPath('note', id), { body: { content: { title: 'x' } } }),
        404,
        'item_not_found',
      );
      assertError(await call(user, 'DELETE', itemPath('note', id)), 404, 'item_not_found');
    }
    assert.deepEqual((await list(user, 'note')).body, { items: [], next_cursor: null });
    // The longest id allowed works.
    const longest = 'b'.repeat(128);
    assertCreated(await create(user, 'note', { id: longest, content: { title: 'long' } }), 'note', longest);
    assert.equal((await read(user, 'note', longest)).body.title, 'long');
  });

  it('refuses invalid content with 422 and each issue', async () => {
    const reply = await create(user, 'note', { id: 'untitled', content: { content: 'no title' } });
    const details = assertError(reply, 422, 'invalid_content');
    assert.deepEqual(details, { issues: ['content.title: required'] });
    const blank = await create(user, 'character', { content: { name: '   ', extensions: {} } });
    assert.deepEqual(assertError(blank, 422, 'invalid_content'), {
      issues: ['content.name: must not be empty'],
    });
    const twoIssues = await create(user, 'media', { content: { title: 'x', keywords: 5, chunks: 'no' } });
    const issues = assertError(twoIssues, 422, 'invalid_content')?.issues as string[];
    assert.ok(issues.length >= 1);
    assert.ok(
      issues.every((issue) => issue.startsWith('content.')),
      JSON.stringify(issues),
    );
    assertError(await read(user, 'note', 'untitled'), 404, 'item_not_found');

    // An update with invalid content leaves the item as it was.
    assertCreated(await create(user, 'note', { id: 'kept', content: { title: 'Kept' } }), 'note', 'kept');
    const refused = await call(user, 'PUT', itemPath('note', 'kept'), { body: { content: { title: '' } } });
    assert.deepEqual(assertError(refused, 422, 'invalid_content'), {
      issues: ['content.title: must not be empty'],
    });
    const kept = await read(user, 'note', 'kept');
    assert.equal(kept.body.version, 1);
    assert.equal(kept.body.title, 'Kept');
  });

  it('refuses a body that is not the write shape with 400', async () => {
    const malformed = await call(user, 'POST', `${PREFIX}/note`, { raw: '{"content": {"title": "x"' });
    assertError(malformed, 400, 'malformed_json');
    const malformedPut = await call(user, 'PUT', itemPath('note', 'kept'), { raw: 'not json' });
    assertError(malformedPut, 400, 'malformed_json');
    for (const body of [
      {},
      { content: [] },
      { content: 'text' },
      [],
      { content: {}, tags: [''] },
      { content: {}, tags: 'a' },
    ]) {
      assertError(await call(user, 'POST', `${PREFIX}/note`, { body }), 400, 'invalid_request');
    }
    const mismatch = await call(user, 'PUT', itemPath('note', 'kept'), {
      body: { id: 'other', content: { title: 'x' } },
    });
    assertError(mismatch, 400, 'id_mismatch');
  });

  it('refuses an update over a newer version with 409 version_conflict', async () => {
    assertCreated(
      await create(user, 'note', { id: 'versioned', content: { title: 'v1' } }),
      'note',
      'versioned',
    );
    const second = await call<ItemBody>(user, 'PUT', itemPath('note', 'versioned'), {
      body: { content: { title: 'v2' } },
      headers: { 'if-match': '1' },
    });
    assert.equal(second.status, 200);
    assert.equal(second.body.version, 2);
    const stale = await call(user, 'PUT', itemPath('note', 'versioned'), {
      body: { content: { title: 'stale' } },
      headers: { 'if-match': '"1"' },
    });
    assert.deepEqual(assertError(stale, 409, 'version_conflict'), { current_version: 2 });
    const current = await read(user, 'note', 'versioned');
    assert.equal(current.body.title, 'v2');
    assert.equal(current.body.version, 2);
    const weak = await call<ItemBody>(user, 'PUT', itemPath('note', 'versioned'), {
      body: { content: { title: 'v3' } },
      headers: { 'if-match': 'W/"2"' },
    });
    assert.equal(weak.status, 200);
    assert.equal(weak.body.version, 3);
    assert.equal(weak.headers.get('etag'), '"3"');
    const bad = await call(user, 'PUT', itemPath('note', 'versioned'), {
      body: { content: { title: 'x' } },
      headers: { 'if-match': 'yesterday' },
    });
    assertError(bad, 400, 'invalid_headers');
    assert.equal((await read(user, 'note', 'versioned')).body.title, 'v3');
  });

  it('refuses to create over an existing id with 409, leaving it as it was', async () => {
    const first = assertCreated(
      await create(user, 'note', { id: 'taken', content: { title: 'First' } }),
      'note',
      'taken',
    );
    assertError(
      await create(user, 'note', { id: 'taken', content: { title: 'Second' } }),
      409,
      'item_exists',
    );
    assert.deepEqual((await read(user, 'note', 'taken')).body, first);
  });

  it('answers an empty time window (since after until) with an empty page', async () => {
    const reply = await list(
      user,
      'note',
      'updated_since=2030-01-01T00:00:00Z&updated_until=2020-01-01T00:00:00Z',
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body, { items: [], next_cursor: null });
  });

  it('keeps a huge title and many tags within what an item can hold', async () => {
    const title = 'T'.repeat(210 * 1024);
    const reply = await create(user, 'note', { id: 'huge-title', content: { title, content: 'x' } });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.content.title, title);
    assert.equal(reply.body.title, title.slice(0, 500));
    assert.equal((await read(user, 'note', 'huge-title')).body.content.title, title);
    assert.equal((await list(user, 'note', `q=${'t'.repeat(20)}`)).body.items[0]?.id, 'huge-title');

    const many = Array.from({ length: 51 }, (_, i) => `tag-${i}`);
    const tooMany = await create(user, 'note', { id: 'many-tags', content: { title: 'x', tags: many } });
    assert.deepEqual(assertError(tooMany, 422, 'invalid_content'), {
      issues: ['content.tags: at most 50 tags'],
    });
    const tooLong = await create(user, 'prompt', {
      id: 'long-tag',
      content: { name: 'x', keywords: ['k'.repeat(101)] },
    });
    assert.deepEqual(assertError(tooLong, 422, 'invalid_content'), {
      issues: ['content.keywords: a tag is at most 100 characters'],
    });
    // Tags given beside the content take the place of the content's.
    const given = await create(user, 'note', {
      id: 'many-tags',
      tags: ['one'],
      content: { title: 'x', tags: many },
    });
    assert.equal(given.status, 201, JSON.stringify(given.body));
    assert.deepEqual(given.body.tags, ['one']);
    assert.deepEqual(given.body.content.tags, many);
  });

  it('refuses a limit out of 1..500 with invalid_query', async () => {
    for (const limit of ['0', '501', 'abc', '2.5', '-1']) {
      const details = assertError(await list(user, 'note', `limit=${limit}`), 400, 'invalid_query');
      assert.deepEqual(
        (details?.issues as { path: string }[]).map((issue) => issue.path),
        ['limit'],
      );
    }
    assert.equal((await list(user, 'note', 'limit=500')).status, 200);
    assert.equal((await list(user, 'note', 'limit=1')).body.items.length, 1);
  });
});

describe('library: bodies in S3', () => {
  it('keeps a body over 256 KB in S3, one object for the current version, gone after delete', async () => {
    const user = newUser('big');
    const prefix = libraryPrefix(user, 'note', 'big');
    const text = 'lorem ipsum '.repeat(Math.ceil((400 * 1024) / 12));
    const created = assertCreated(
      await create(user, 'note', { id: 'big', content: { title: 'Big', content: text } }),
      'note',
      'big',
    );
    assert.equal(created.content.content, text);
    assert.equal(created.size_bytes, Buffer.byteLength(JSON.stringify(created.content)));
    assert.ok(created.size_bytes > 400 * 1024);
    const keys = await listKeys(prefix);
    assert.equal(keys.length, 1, JSON.stringify(keys));
    assert.match(keys[0]!.slice(prefix.length), /^body-v1\b.*\.json$/);
    assert.deepEqual(JSON.parse(await readObject(keys[0]!)), created.content);

    const got = await read(user, 'note', 'big');
    assert.deepEqual(got.body, created);

    const bigger = `${text}more`;
    const updated = await call<ItemBody>(user, 'PUT', itemPath('note', 'big'), {
      body: { content: { title: 'Big', content: bigger } },
    });
    assert.equal(updated.status, 200);
    const afterUpdate = await listKeys(prefix);
    assert.equal(afterUpdate.length, 1, JSON.stringify(afterUpdate));
    assert.match(afterUpdate[0]!.slice(prefix.length), /^body-v2\b.*\.json$/);
    assert.equal((await read(user, 'note', 'big')).body.content.content, bigger);

    // Small again: the body moves inline and the object goes.
    const small = await call<ItemBody>(user, 'PUT', itemPath('note', 'big'), {
      body: { content: { title: 'Big', content: 'short' } },
    });
    assert.equal(small.status, 200);
    assert.deepEqual(await listKeys(prefix), []);
    assert.deepEqual((await read(user, 'note', 'big')).body.content, {
      id: 'big',
      title: 'Big',
      content: 'short',
    });

    // And large once more, then deleted.
    assert.equal(
      (
        await call(user, 'PUT', itemPath('note', 'big'), {
          body: { content: { title: 'Big', content: text } },
        })
      ).status,
      200,
    );
    assert.equal((await listKeys(prefix)).length, 1);
    assert.equal((await call(user, 'DELETE', itemPath('note', 'big'))).status, 204);
    assert.deepEqual(await listKeys(prefix), []);
    assert.deepEqual(await listKeys(`users/${user}/`), []);
  });

  it('keeps every embedding body in S3 and round-trips it', async () => {
    const user = newUser('vectors');
    const id = 'media:42';
    const prefix = libraryPrefix(user, 'embedding', id);
    const vector = { id, source: { type: 'media', id: '42' }, model: 'm', vector: [0.5, -1, 2.25] };
    const created = assertCreated(await create(user, 'embedding', { id, content: vector }), 'embedding', id);
    assert.deepEqual(created.content, { ...vector, dimensions: 3 });
    assert.equal(created.title, 'Embedding of 42');
    const keys = await listKeys(prefix);
    assert.equal(keys.length, 1, JSON.stringify(keys));
    assert.match(keys[0]!.slice(prefix.length), /^body-v1\b.*\.json$/);
    assert.deepEqual(JSON.parse(await readObject(keys[0]!)), created.content);
    assert.deepEqual((await read(user, 'embedding', id)).body, created);

    const updated = await call<ItemBody>(user, 'PUT', itemPath('embedding', id), {
      body: { content: { ...vector, vector: [1, 2, 3, 4] } },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.content.dimensions, 4);
    const afterUpdate = await listKeys(prefix);
    assert.equal(afterUpdate.length, 1, JSON.stringify(afterUpdate));
    assert.match(afterUpdate[0]!.slice(prefix.length), /^body-v2\b.*\.json$/);
    assert.deepEqual(JSON.parse(await readObject(afterUpdate[0]!)), updated.body.content);
    assert.deepEqual((await read(user, 'embedding', id)).body, updated.body);

    assert.equal((await call(user, 'DELETE', itemPath('embedding', id))).status, 204);
    assert.deepEqual(await listKeys(prefix), []);
  });

  it('leaves the stored body alone when a create over an existing id is refused', async () => {
    const user = newUser('clash');
    const id = 'media:7';
    const original = { id, source: { media_id: '7' }, encoding: 'base64', vector: 'AAAAPw==' };
    const created = assertCreated(
      await create(user, 'embedding', { id, content: original }),
      'embedding',
      id,
    );
    const refused = await create(user, 'embedding', { id, content: { ...original, vector: 'AACAPw==' } });
    assertError(refused, 409, 'item_exists');
    const got = await read(user, 'embedding', id);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.deepEqual(got.body, created);
    const keys = await listKeys(libraryPrefix(user, 'embedding', id));
    assert.equal(keys.length, 1);
    assert.deepEqual(JSON.parse(await readObject(keys[0]!)), created.content);

    // The same for a large note.
    const text = 'x'.repeat(300 * 1024);
    const note = assertCreated(
      await create(user, 'note', { id: 'big', content: { title: 'A', content: text } }),
      'note',
      'big',
    );
    assertError(
      await create(user, 'note', { id: 'big', content: { title: 'B', content: `${text}y` } }),
      409,
      'item_exists',
    );
    assert.deepEqual((await read(user, 'note', 'big')).body, note);
  });

  it('keeps a readable body when updates race', async () => {
    const user = newUser('race');
    const id = 'media:9';
    const base = { id, source: { type: 'media', id: '9' }, vector: [0] };
    assertCreated(await create(user, 'embedding', { id, content: base }), 'embedding', id);
    const replies = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        call<ItemBody>(user, 'PUT', itemPath('embedding', id), {
          body: { content: { ...base, vector: [n] } },
        }),
      ),
    );
    const winners = replies.filter((reply) => reply.status === 200);
    assert.ok(winners.length >= 1);
    for (const reply of replies) {
      if (reply.status !== 200) assertError(reply, 409, 'version_conflict');
    }
    const got = await read(user, 'embedding', id);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.deepEqual(got.body, winners.find((reply) => reply.body.version === got.body.version)?.body);
    assert.equal((await listKeys(libraryPrefix(user, 'embedding', id))).length, 1);
  });
});

describe('library: isolation between users', () => {
  it("keeps alice's items from bob, and bob's from alice", async () => {
    const alice = newUser('alice');
    const bob = newUser('bob');
    const aliceNote = assertCreated(
      await create(alice, 'note', { id: 'shared-id', content: { title: 'Alice private', tags: ['mine'] } }),
      'note',
      'shared-id',
    );
    assertCreated(
      await create(alice, 'embedding', { id: 'media:1', content: SAMPLES.embedding }),
      'embedding',
      'media:1',
    );

    assertError(await read(bob, 'note', 'shared-id'), 404, 'item_not_found');
    assertError(
      await call(bob, 'PUT', itemPath('note', 'shared-id'), { body: { content: { title: 'Bob was here' } } }),
      404,
      'item_not_found',
    );
    assertError(await call(bob, 'DELETE', itemPath('note', 'shared-id')), 404, 'item_not_found');
    assertError(await call(bob, 'DELETE', itemPath('embedding', 'media:1')), 404, 'item_not_found');
    assert.deepEqual((await list(bob, 'note')).body, { items: [], next_cursor: null });
    assert.deepEqual((await list(bob, 'note', 'tag=mine')).body, { items: [], next_cursor: null });
    assert.deepEqual((await list(bob, 'embedding')).body, { items: [], next_cursor: null });

    const bobNote = assertCreated(
      await create(bob, 'note', { id: 'shared-id', content: { title: 'Bob own' } }),
      'note',
      'shared-id',
    );
    assert.equal(bobNote.title, 'Bob own');
    assert.deepEqual((await read(alice, 'note', 'shared-id')).body, aliceNote);
    assert.deepEqual(
      (await list(bob, 'note')).body.items.map((item) => [item.id, item.title]),
      [['shared-id', 'Bob own']],
    );
    assert.deepEqual(
      (await list(alice, 'note')).body.items.map((item) => [item.id, item.title]),
      [['shared-id', 'Alice private']],
    );

    assert.equal((await call(bob, 'DELETE', itemPath('note', 'shared-id'))).status, 204);
    assert.deepEqual((await read(alice, 'note', 'shared-id')).body, aliceNote);
    assert.equal((await listKeys(libraryPrefix(alice, 'embedding', 'media:1'))).length, 1);
    assert.deepEqual(await listKeys(`users/${bob}/`), []);
  });
});
