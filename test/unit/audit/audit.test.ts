// The audit port's rules without AWS: what an event may hold, the actions of routes, the retention setting,
// cursors that cannot be forged or cross users, paging newest first, and how a job's end is recorded.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  auditJobEnded,
  auditSortKey,
  decodeAuditCursor,
  encodeAuditCursor,
  outcomeOfStatus,
  parseAuditRetentionDays,
  routeAuditAction,
  sanitizeAuditEvent,
  toAuditPageView,
  type AuditEvent,
} from '../../../shared/audit/audit';
import { ValidationError } from '../../../shared/errors';
import type { Job } from '../../../shared/jobs/job';
import { MemoryAuditLog } from '../../support/memory-audit-log';

const JOB_ID = '0b7c52f4-8f8e-4c47-9a51-3f2f6f0d9a10';

function isInvalidCursor(error: unknown): boolean {
  return error instanceof ValidationError && error.code === 'invalid_cursor';
}

describe('an audit event', () => {
  it('keeps codes, ids and safe scalars, and normalizes the time', () => {
    const event = sanitizeAuditEvent({
      at: '2026-03-01T10:00:00+01:00',
      action: 'export.completed',
      outcome: 'succeeded',
      status: 201,
      code: 'job_not_found',
      request_id: 'Ab1cD2eF3gH4iJ=',
      job_id: JOB_ID.toUpperCase(),
      details: { total_items: 12, sync: true, status: 'completed', none: null },
    });
    assert.deepEqual(event, {
      at: '2026-03-01T09:00:00.000Z',
      action: 'export.completed',
      outcome: 'succeeded',
      status: 201,
      code: 'job_not_found',
      request_id: 'Ab1cD2eF3gH4iJ=',
      job_id: JOB_ID,
      details: { total_items: 12, sync: true, status: 'completed', none: null },
    });
  });

  it('drops URLs, signatures, tokens, query strings, long text, ids that are not ids, and odd keys', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
    const event = sanitizeAuditEvent({
      at: new Date().toISOString(),
      action: 'download',
      outcome: 'succeeded',
      status: 302,
      code: 'has spaces and / slashes',
      request_id: 'https://evil.example/?x=1',
      job_id: '../../other-user',
      upload_id: 'not-a-uuid',
      details: {
        url: 'https://bucket.s3.amazonaws.com/users/a/x.chatbook?X-Amz-Signature=abc',
        signature: 'X-Amz-Signature=abcdef',
        query: 'exp=1&token=abc',
        token,
        bearer: `Bearer ${token}`,
        content: 'x'.repeat(65),
        fraction: Number.NaN,
        nested: { a: 1 } as unknown as string,
        'Bad-Key': 1,
        kept: 'rename',
      },
    });
    assert.deepEqual(event.details, { kept: 'rename' });
    assert.equal(event.code, undefined);
    assert.equal(event.request_id, undefined);
    assert.equal(event.job_id, undefined);
    assert.equal(event.upload_id, undefined);
    assert.doesNotMatch(JSON.stringify(event), /https|Amz|token|eyJ|xxxx/i);
  });

  it('refuses an action, outcome or time that is not valid (a programming error)', () => {
    const base: AuditEvent = { at: new Date().toISOString(), action: 'export', outcome: 'succeeded' };
    assert.throws(() => sanitizeAuditEvent({ ...base, action: 'Export Now' }), /Invalid audit action/);
    assert.throws(() => sanitizeAuditEvent({ ...base, action: 'a'.repeat(40) }), /Invalid audit action/);
    assert.throws(
      () => sanitizeAuditEvent({ ...base, outcome: 'ok' as AuditEvent['outcome'] }),
      /Invalid audit outcome/,
    );
    assert.throws(() => sanitizeAuditEvent({ ...base, at: 'yesterday' }), /valid time/);
  });

  it('is succeeded for 2xx and 3xx, refused for 4xx, failed for 5xx', () => {
    assert.deepEqual([200, 201, 302, 400, 404, 429, 500, 503].map(outcomeOfStatus), [
      'succeeded',
      'succeeded',
      'succeeded',
      'refused',
      'refused',
      'refused',
      'failed',
      'failed',
    ]);
  });

  it('names a route without an action of its own after its path and method', () => {
    assert.deepEqual(
      [
        'GET /api/v1/library/{type}/{id}',
        'GET /api/v1/library/{type}',
        'POST /api/v1/library/{type}',
        'PUT /api/v1/library/{type}/{id}',
        'DELETE /api/v1/library/{type}/{id}',
        'GET /api/v1/chatbooks/export/jobs',
        'GET /api/v1/chatbooks/import/jobs/{job_id}',
        'GET /api/v1/chatbooks/import/jobs/{job_id}/report',
        'GET /api/v1/chatbooks/audit',
        '$default',
      ].map(routeAuditAction),
      [
        'library.read',
        'library.list',
        'library.create',
        'library.update',
        'library.delete',
        'export.jobs.list',
        'import.jobs.read',
        'import.jobs.report.list',
        'audit.list',
        'route.unknown',
      ],
    );
  });
});

describe('the audit retention', () => {
  it('is 90 days unless set, and a whole number of days from 1 to 3650', () => {
    assert.equal(parseAuditRetentionDays(undefined), 90);
    assert.equal(parseAuditRetentionDays(''), 90);
    assert.equal(parseAuditRetentionDays('30'), 30);
    assert.equal(parseAuditRetentionDays('3650'), 3650);
    for (const bad of ['0', '-1', '1.5', 'ninety', '3651', '1e3x']) {
      assert.throws(() => parseAuditRetentionDays(bad), /Invalid audit retention/, bad);
    }
  });
});

describe('audit cursors', () => {
  it('carry a sort key of the trail and nothing else', () => {
    const sortKey = auditSortKey('2026-03-01T09:00:00.000Z');
    assert.match(sortKey, /^AUDIT#2026-03-01T09:00:00\.000Z#[0-9a-f]{12}$/);
    assert.equal(decodeAuditCursor(encodeAuditCursor(sortKey)), sortKey);
    assert.doesNotMatch(Buffer.from(encodeAuditCursor(sortKey), 'base64url').toString(), /USER#|pk/);
  });

  it('refuses anything forged: garbage, another key space, a partition, a re-encoding', () => {
    const valid = auditSortKey('2026-03-01T09:00:00.000Z');
    const forged = [
      'nope',
      '',
      Buffer.from('not json').toString('base64url'),
      Buffer.from(JSON.stringify({ sk: 'JOB#export#x' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sk: 'AUDIT#x' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sk: valid, pk: 'USER#bob' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sk: `${valid}#more` })).toString('base64url'),
      Buffer.from(JSON.stringify({ sk: valid })).toString('base64'),
      `${encodeAuditCursor(valid)}==`,
    ];
    for (const cursor of forged) assert.throws(() => decodeAuditCursor(cursor), isInvalidCursor, cursor);
  });
});

describe('an audit log (in memory, with the adapter rules)', () => {
  async function trailOf(log: MemoryAuditLog, user: string, actions: string[]): Promise<void> {
    const start = Date.parse('2026-03-01T09:00:00.000Z');
    for (const [index, action] of actions.entries()) {
      await log.record(user, {
        at: new Date(start + index * 1000).toISOString(),
        action,
        outcome: 'succeeded',
        request_id: `${user}-req-${index}`,
      });
    }
  }

  it('lists newest first, page by page, with no event twice and none left out', async () => {
    const log = new MemoryAuditLog();
    const actions = ['upload', 'preview', 'import', 'export', 'download', 'export', 'download'];
    await trailOf(log, 'ann', actions);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.list('ann', { limit: 3, cursor });
      sizes.push(page.events.length);
      seen.push(...page.events.map((event) => event.request_id ?? ''));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(seen, actions.map((_, index) => `ann-req-${index}`).reverse());
  });

  it('filters by action across pages', async () => {
    const log = new MemoryAuditLog();
    await trailOf(log, 'ann', ['export', 'download', 'export', 'download', 'export']);
    const first = await log.list('ann', { limit: 2, action: 'export' });
    assert.deepEqual(
      first.events.map((event) => event.request_id),
      ['ann-req-4', 'ann-req-2'],
    );
    assert.ok(first.nextCursor);
    const second = await log.list('ann', { limit: 2, action: 'export', cursor: first.nextCursor });
    assert.deepEqual(
      second.events.map((event) => event.request_id),
      ['ann-req-0'],
    );
    assert.equal(second.nextCursor, undefined);
  });

  it("keeps users apart: a cursor from one user's trail reads only the other user's own events", async () => {
    const log = new MemoryAuditLog();
    await trailOf(log, 'ann', ['export', 'download', 'import']);
    await trailOf(log, 'bob', ['preview']);
    const annPage = await log.list('ann', { limit: 1 });
    assert.ok(annPage.nextCursor);
    const bobWithAnnsCursor = await log.list('bob', { limit: 10, cursor: annPage.nextCursor });
    assert.ok(bobWithAnnsCursor.events.every((event) => event.request_id?.startsWith('bob-')));
    assert.deepEqual(
      (await log.list('bob', { limit: 10 })).events.map((event) => event.request_id),
      ['bob-req-0'],
    );
    assert.deepEqual((await log.list('carol', { limit: 10 })).events, []);
    await assert.rejects(log.list('ann', { limit: 10, cursor: 'forged' }), isInvalidCursor);
  });

  it('answers the API view with every field present', () => {
    assert.deepEqual(
      toAuditPageView({
        events: [{ at: '2026-03-01T09:00:00.000Z', action: 'export', outcome: 'refused', status: 429 }],
        nextCursor: 'c',
      }),
      {
        events: [
          {
            at: '2026-03-01T09:00:00.000Z',
            action: 'export',
            outcome: 'refused',
            status: 429,
            code: null,
            request_id: null,
            job_id: null,
            upload_id: null,
            details: {},
          },
        ],
        next_cursor: 'c',
      },
    );
  });
});

describe('auditJobEnded', () => {
  function job(overrides: Partial<Job>): Job {
    return {
      userId: 'ann',
      jobId: randomUUID(),
      kind: 'export',
      status: 'completed',
      name: 'My secret project notes',
      createdAt: '2026-03-01T09:00:00.000Z',
      updatedAt: '2026-03-01T09:01:00.000Z',
      totalItems: 12,
      processedItems: 12,
      events: [],
      ...overrides,
    };
  }

  it('records how an export or import ended, with its id, counts and error code, never its name or message', async () => {
    const log = new MemoryAuditLog();
    const exported = job({
      archive: {
        key: 'users/ann/chatbooks/exports/x/My secret.chatbook',
        fileName: 'My secret.chatbook',
        sizeBytes: 2048,
      },
      downloadCount: 0,
    });
    const failed = job({
      kind: 'import',
      status: 'failed',
      updatedAt: '2026-03-01T09:02:00.000Z',
      errorCode: 'archive_invalid',
      errorMessage: 'The entry content/notes/note_secret.md of "My secret project notes" is damaged',
      processedItems: 3,
      outcomes: { imported: 2, failed: 1 },
      warnings: ['w1', 'w2'],
    });
    const cancelled = job({ status: 'cancelled', updatedAt: '2026-03-01T09:03:00.000Z' });
    await auditJobEnded(log, exported);
    await auditJobEnded(log, failed);
    await auditJobEnded(log, cancelled);
    await auditJobEnded(log, job({ status: 'in_progress', updatedAt: '2026-03-01T09:04:00.000Z' }));
    const events = log.all('ann');
    assert.deepEqual(events.reverse(), [
      {
        at: '2026-03-01T09:01:00.000Z',
        action: 'export.completed',
        outcome: 'succeeded',
        job_id: exported.jobId,
        details: {
          status: 'completed',
          total_items: 12,
          processed_items: 12,
          size_bytes: 2048,
          download_count: 0,
        },
      },
      {
        at: '2026-03-01T09:02:00.000Z',
        action: 'import.failed',
        outcome: 'failed',
        code: 'archive_invalid',
        job_id: failed.jobId,
        details: {
          status: 'failed',
          total_items: 12,
          processed_items: 3,
          imported: 2,
          failed: 1,
          warnings: 2,
        },
      },
      {
        at: '2026-03-01T09:03:00.000Z',
        action: 'export.cancelled',
        outcome: 'succeeded',
        job_id: cancelled.jobId,
        details: { status: 'cancelled', total_items: 12, processed_items: 12 },
      },
    ]);
    assert.doesNotMatch(JSON.stringify(events), /secret|users\//);
  });
});
