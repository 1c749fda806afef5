// The `chatbooks` CLI as a person or a script runs it: a child process against the local cloud, with its config
// file, environment and flags; results on stdout (tables, or JSON with --json), messages and exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DynamoJobStore } from '../../shared/aws/dynamo-job-store';
import type { Job, JobKind } from '../../shared/jobs/job';
import {
  ChatbooksApiError,
  ChatbooksClient,
  type ExportJob,
  type ImportJob,
  type ImportReportItem,
} from '../../sdk/src';
import { bareJob } from '../support/jobs';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ANN = 'cli-ann';
const BEN = 'cli-ben';
const CAT = 'cli-cat';

let cloud: TestCloud;
let jobs: DynamoJobStore;
let home: string;
let files: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** The user whose token CHATBOOKS_TOKEN carries (ANN by default); null for none. */
  user?: string | null;
  /** CHATBOOKS_ENDPOINT; the test cloud by default, null for none. */
  endpoint?: string | null;
  /** Called once the process has started (to change what it is waiting for). */
  started?: () => Promise<void>;
}

/** Runs `chatbooks <args>` as its own process; never through a shell, never blocking the cloud's event loop. */
function chatbooks(args: string[], options: RunOptions = {}): Promise<Run> {
  const user = options.user === undefined ? ANN : options.user;
  const endpoint = options.endpoint === undefined ? cloud.url : options.endpoint;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    // The test runner's NODE_OPTIONS would load tsx a second time.
    NODE_OPTIONS: '',
    ...(endpoint ? { CHATBOOKS_ENDPOINT: endpoint } : {}),
    ...(user ? { CHATBOOKS_TOKEN: cloud.token({ userId: user }) } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    if (options.started) options.started().catch(reject);
  });
}

function expectExit(run: Run, code: number): Run {
  assert.equal(run.code, code, `exit ${String(run.code)}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

function parsed(run: Run): unknown {
  return JSON.parse(run.stdout);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return assert.fail('expected a rejection');
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A pending job with no workflow behind it: it stays where the test puts it. */
async function stuckJob(user: string, kind: JobKind): Promise<Job> {
  const job = bareJob(user, kind, { totalItems: 2 });
  await jobs.create(job);
  return job;
}

before(async () => {
  cloud = await startTestCloud();
  jobs = new DynamoJobStore(cloud.documents, cloud.resources.jobsTable);
  home = mkdtempSync(join(tmpdir(), 'chatbooks-cli-home-'));
  files = mkdtempSync(join(tmpdir(), 'chatbooks-cli-files-'));
  const ann = new ChatbooksClient({ baseUrl: cloud.url, token: cloud.token({ userId: ANN }) });
  for (const [id, title, tags] of [
    ['cli-n1', 'Alpha note', ['cli']],
    ['cli-n2', 'Beta note', ['cli', 'beta']],
    ['cli-n3', 'Gamma note', []],
  ] as const) {
    await ann.createLibraryItem('note', {
      id,
      tags: [...tags],
      content: { title, content: `${title} body` },
    });
  }
  await ann.createLibraryItem('character', {
    id: 'cli-c1',
    content: { name: 'Aria', description: 'A guide' },
  });
});

after(async () => {
  await cloud.dispose();
  rmSync(home, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
});

describe('configure, endpoint and token', () => {
  it('saves the endpoint and token in the config file, readable only by the user, and uses them', async () => {
    const token = cloud.token({ userId: ANN });
    const unconfigured = { user: null, endpoint: null };
    const saved = expectExit(
      await chatbooks(['configure', '--endpoint', cloud.url, '--token', token], unconfigured),
      0,
    );
    const path = join(home, 'config', 'chatbooks', 'config.json');
    assert.equal(saved.stdout, `Saved ${path}: endpoint ${cloud.url}, token ****${token.slice(-4)}\n`);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { endpoint: cloud.url, token });
    assert.equal(statSync(path).mode & 0o777, 0o600);

    const [shown, listed] = await Promise.all([
      chatbooks(['--json', 'configure', '--show'], unconfigured),
      chatbooks(['--json', 'library', 'list', 'note'], unconfigured),
    ]);
    assert.deepEqual(parsed(expectExit(shown, 0)), {
      config_path: path,
      endpoint: cloud.url,
      endpoint_source: 'config',
      token: `****${token.slice(-4)}`,
      token_source: 'config',
    });
    assert.equal((parsed(expectExit(listed, 0)) as { items: unknown[] }).items.length, 3);
  });

  it('lets the environment override the file, and a flag override the environment', async () => {
    const elsewhere = { endpoint: 'http://127.0.0.1:9' };
    const [unreachable, flagged] = await Promise.all([
      chatbooks(['jobs', 'list'], elsewhere),
      chatbooks(['--endpoint', cloud.url, '--json', 'jobs', 'list'], elsewhere),
    ]);
    expectExit(unreachable, 4);
    assert.match(unreachable.stderr, /^Error: Could not reach http:\/\/127\.0\.0\.1:9: /);
    assert.match(unreachable.stderr, /Is the service running at http:\/\/127\.0\.0\.1:9\?/);
    assert.deepEqual(parsed(expectExit(flagged, 0)), { jobs: [] });
  });

  it('refuses to configure nothing without a terminal, and asks for a token when there is none', async () => {
    const nothing = expectExit(await chatbooks(['configure'], { user: null, endpoint: null }), 2);
    assert.match(nothing.stderr, /Give --endpoint <url> and\/or --token <token>/);
    expectExit(await chatbooks(['configure', '--clear-token'], { user: null, endpoint: null }), 0);
    const tokenless = expectExit(await chatbooks(['jobs', 'list'], { user: null }), 2);
    assert.match(tokenless.stderr, /No token\. Run `chatbooks configure --token <token>`/);
  });

  it('says a bad token is refused (exit 3) with the server message and code, as JSON on stderr with --json', async () => {
    const [refused, machine, health] = await Promise.all([
      chatbooks(['--token', 'not-a-jwt', 'jobs', 'list']),
      chatbooks(['--json', '--token', 'not-a-jwt', 'jobs', 'list']),
      chatbooks(['health'], { user: null }),
    ]);
    expectExit(refused, 3);
    assert.match(refused.stderr, /^Error: The token is not a JWT\./);
    assert.match(refused.stderr, /\(code unauthorized, HTTP 401\)/);
    assert.match(refused.stderr, /Check the token/);
    expectExit(machine, 3);
    assert.equal(machine.stdout, '');
    const { error } = JSON.parse(machine.stderr) as { error: Record<string, unknown> };
    assert.deepEqual([error.code, error.status, error.exit_code], ['unauthorized', 401, 3]);
    // Health needs no token.
    assert.match(expectExit(health, 0).stdout, new RegExp(`^${cloud.url}: ok\n`));
    assert.match(health.stdout, /workflows\s+ok\s+export ok, import ok/);
  });
});

describe('library', () => {
  it('lists items as a table or JSON, with filters and paging', async () => {
    const [listed, tagged, paged, unknown] = await Promise.all([
      chatbooks(['library', 'list', 'note']),
      chatbooks(['--json', 'library', 'list', 'note', '--tag', 'cli', '--tag', 'beta']),
      chatbooks(['--json', 'library', 'list', 'note', '--all', '--limit', '1']),
      chatbooks(['library', 'list', 'notes']),
    ]);
    const lines = expectExit(listed, 0).stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+TITLE\s+TAGS\s+UPDATED\s+SIZE$/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 2)),
      [
        ['cli-n3', 'Gamma note'],
        ['cli-n2', 'Beta note'],
        ['cli-n1', 'Alpha note'],
      ],
    );
    assert.match(lines[2] ?? '', /^cli-n2\s+Beta note\s+cli, beta\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d+ B$/);
    assert.deepEqual(
      (parsed(expectExit(tagged, 0)) as { items: { id: string }[] }).items.map((item) => item.id),
      ['cli-n2'],
    );
    const all = parsed(expectExit(paged, 0)) as { items: { id: string }[]; next_cursor: null };
    assert.deepEqual(all.items.map((item) => item.id).sort(), ['cli-n1', 'cli-n2', 'cli-n3']);
    assert.equal(all.next_cursor, null);
    assert.match(
      expectExit(unknown, 2).stderr,
      /Unknown content type "notes"\. Use one of: conversation, note/,
    );
  });
});

describe('export, download, preview and import', () => {
  let pack: string;

  it('exports selected types and downloads the chatbook, verified', async () => {
    pack = join(files, 'cli-pack.chatbook');
    const [run, unselected] = await Promise.all([
      chatbooks(['--json', 'export', '--type', 'note,character', '--name', 'CLI pack', '--out', pack]),
      chatbooks(['export']),
    ]);
    const result = parsed(expectExit(run, 0)) as { job: ExportJob; file: Record<string, unknown> };
    assert.equal(result.job.status, 'completed');
    assert.equal(result.job.total_items, 4);
    assert.deepEqual(result.file, {
      path: pack,
      bytes: result.job.file_size_bytes,
      sha256: result.job.sha256,
      verified: true,
    });
    assert.equal(sha256(pack), result.job.sha256);
    assert.equal(run.stderr, '', 'no progress bars and no notes off a terminal with --json');
    assert.match(expectExit(unselected, 2).stderr, /Select what to export: --all, --type <type> or --ids/);
  });

  it('runs exports as jobs: waited for, or started and resumed with jobs wait, then downloaded', async () => {
    const [waited, started] = await Promise.all([
      chatbooks(['--json', 'export', '--ids', 'note:cli-n1,cli-n3', '--async', '--wait']),
      chatbooks(['--json', 'export', '--ids', 'note:cli-n2', '--async']),
    ]);
    const waitedJob = (parsed(expectExit(waited, 0)) as { job: ExportJob }).job;
    assert.deepEqual([waitedJob.status, waitedJob.total_items], ['completed', 2]);
    const startedJob = (parsed(expectExit(started, 0)) as { job: ExportJob }).job;
    assert.equal(startedJob.status, 'pending');
    assert.equal(started.stderr, '');

    const resumed = parsed(
      expectExit(await chatbooks(['--json', 'jobs', 'wait', startedJob.job_id]), 0),
    ) as ExportJob & { kind: string };
    assert.deepEqual([resumed.kind, resumed.status, resumed.total_items], ['export', 'completed', 1]);

    const target = join(files, 'one-note.chatbook');
    const downloaded = expectExit(await chatbooks(['download', startedJob.job_id, '--out', target]), 0);
    assert.match(downloaded.stdout, /^Saved .*one-note\.chatbook \(\d+(\.\d)? K?B, SHA-256 verified\)\n$/);
    assert.equal(sha256(target), resumed.sha256);
    const exists = expectExit(await chatbooks(['download', startedJob.job_id, '--out', target]), 2);
    assert.match(exists.stderr, /one-note\.chatbook exists\. Pass --force to replace it\./);
  });

  it('previews the chatbook: counts for a new user, conflicts for its owner', async () => {
    const [forBen, forAnn] = await Promise.all([
      chatbooks(['--json', 'preview', pack], { user: BEN }),
      chatbooks(['preview', pack]),
    ]);
    const preview = parsed(expectExit(forBen, 0)) as {
      counts: Record<string, number>;
      conflicts: { total: number };
    };
    assert.deepEqual(preview.counts, { note: 3, character: 1 });
    assert.equal(preview.conflicts.total, 0);
    assert.match(expectExit(forAnn, 0).stdout, /"CLI pack" \(format 1\.1\.0\), 4 items/);
    assert.match(forAnn.stdout, /Conflicts with your library \(4 of 4\)/);
    assert.match(forAnn.stdout, /note\s+Alpha note\s+cli-n1\s+import it as "Alpha note \(1\)"/);
  });

  it('imports it with --wait --report, then again with skip as a job', async () => {
    const first = parsed(
      expectExit(
        await chatbooks(['--json', 'import', pack, '--strategy', 'rename', '--wait', '--report'], {
          user: BEN,
        }),
        0,
      ),
    ) as { job: ImportJob; report: ImportReportItem[] };
    assert.equal(first.job.status, 'completed');
    assert.equal(first.job.counts.imported, 4);
    assert.deepEqual(first.report.map((item) => item.source_id).sort(), [
      'cli-c1',
      'cli-n1',
      'cli-n2',
      'cli-n3',
    ]);

    const again = expectExit(
      await chatbooks(['import', pack, '--strategy', 'skip', '--async', '--wait'], { user: BEN }),
      0,
    );
    assert.match(
      again.stdout,
      /completed: 0 imported, 4 skipped, 0 renamed, 0 merged, 0 overwritten, 0 failed\n$/,
    );
    assert.match(again.stderr, /Uploaded .*cli-pack\.chatbook \([\d.]+ KB\)\./);
  });

  it("refuses an invalid strategy (usage), a missing file (usage) and a damaged file (the validator's message)", async () => {
    const bad = join(files, 'damaged.chatbook');
    const whole = readFileSync(pack);
    writeFileSync(bad, whole.subarray(0, Math.floor(whole.length / 2)));
    const [strategy, missing, refused] = await Promise.all([
      chatbooks(['import', pack, '--strategy', 'replace']),
      chatbooks(['import', join(files, 'nope.chatbook')]),
      chatbooks(['preview', bad]),
    ]);
    assert.match(
      expectExit(strategy, 2).stderr,
      /argument 'replace' is invalid\. Allowed choices are skip, overwrite, rename, merge/,
    );
    assert.match(expectExit(missing, 2).stderr, /^Error: No file .*nope\.chatbook\./);
    // What the service says of that file, printed as it said it.
    const answer = await rejection(
      new ChatbooksClient({ baseUrl: cloud.url, token: cloud.token({ userId: ANN }) }).previewFile(bad),
    );
    assert.ok(answer instanceof ChatbooksApiError);
    assert.equal(answer.status, 400);
    expectExit(refused, 3);
    assert.ok(refused.stderr.includes(`\nError: ${answer.message}\n`), refused.stderr);
    assert.match(refused.stderr, new RegExp(`\\(code ${answer.code}, HTTP 400, request id [0-9a-f-]{36}\\)`));
  });
});

describe('jobs', () => {
  it('lists both kinds, shows one found by its id alone, and prints an import report', async () => {
    const [bens, anns, table] = await Promise.all([
      chatbooks(['--json', 'jobs', 'list'], { user: BEN }),
      chatbooks(['--json', 'jobs', 'list', '--kind', 'export']),
      chatbooks(['jobs', 'list']),
    ]);
    const imports = (parsed(expectExit(bens, 0)) as { jobs: (ImportJob & { kind: string })[] }).jobs;
    assert.deepEqual(
      imports.map((job) => `${job.kind}:${job.status}:${job.strategy}`),
      ['import:completed:skip', 'import:completed:rename'],
    );
    const exports = (parsed(expectExit(anns, 0)) as { jobs: (ExportJob & { kind: string })[] }).jobs;
    // Newest first; the 1- and 2-item exports started together, so only the 4-item one's place is certain.
    assert.deepEqual(exports.map((job) => [job.kind, job.total_items]).at(-1), ['export', 4]);
    assert.deepEqual(exports.map((job) => job.total_items).sort(), [1, 2, 4]);
    const rows = expectExit(table, 0).stdout.trimEnd().split('\n');
    assert.match(rows[0] ?? '', /^KIND\s+JOB ID\s+STATUS\s+NAME\s+PROGRESS\s+CREATED$/);
    assert.equal(rows.length, 4);

    const renamed = imports[1]!;
    const [shown, report] = await Promise.all([
      chatbooks(['jobs', 'show', renamed.job_id], { user: BEN }),
      chatbooks(['--json', 'jobs', 'report', renamed.job_id, '--limit', '3'], { user: BEN }),
    ]);
    assert.match(
      expectExit(shown, 0).stdout,
      new RegExp(`^Import ${renamed.job_id} "CLI pack" completed: 4 imported`),
    );
    assert.match(shown.stdout, /\n {2}strategy: {3}rename\n/);
    const page = parsed(expectExit(report, 0)) as { items: ImportReportItem[]; next_cursor: string | null };
    assert.deepEqual(
      page.items.map((item) => item.outcome),
      ['imported', 'imported', 'imported'],
    );
    assert.ok(page.next_cursor);
  });

  it('answers an unknown job with a 404 message (exit 3), and a finished one with 409 on cancel', async () => {
    const exports = (
      parsed(
        expectExit(await chatbooks(['--json', 'jobs', 'list', '--kind', 'export', '--limit', '1']), 0),
      ) as {
        jobs: ExportJob[];
      }
    ).jobs;
    const [missing, finished] = await Promise.all([
      chatbooks(['jobs', 'show', randomUUID()]),
      chatbooks(['jobs', 'cancel', exports[0]!.job_id]),
    ]);
    assert.match(expectExit(missing, 3).stderr, /^Error: No export or import job [0-9a-f-]{36} for you\./);
    assert.match(missing.stderr, /code job_not_found, HTTP 404/);
    assert.match(
      expectExit(finished, 3).stderr,
      /^Error: The export is already completed; only pending or running exports can be cancelled\./,
    );
    assert.match(finished.stderr, /code job_finished, HTTP 409/);
  });

  it('cancels a pending job, and waiting on it then exits 5', async () => {
    const job = await stuckJob(CAT, 'export');
    const cancelled = parsed(
      expectExit(await chatbooks(['--json', 'jobs', 'cancel', job.jobId], { user: CAT }), 0),
    ) as { kind: string; status: string };
    assert.deepEqual([cancelled.kind, cancelled.status], ['export', 'cancelled']);
    const waited = expectExit(await chatbooks(['jobs', 'wait', job.jobId], { user: CAT }), 5);
    assert.match(waited.stderr, new RegExp(`^Error: The export job ${job.jobId} ended cancelled\n`));
  });

  it('waits for a job that another process finishes, from its id alone', async () => {
    const job = await stuckJob(CAT, 'import');
    const key = { userId: CAT, kind: 'import' as const, jobId: job.jobId };
    const run = await chatbooks(['--json', 'jobs', 'wait', job.jobId], {
      user: CAT,
      started: async () => {
        await new Promise((resolve) => setTimeout(resolve, 2500));
        await jobs.transition(key, ['pending'], 'in_progress', 'test', { processedItems: 1 });
        await new Promise((resolve) => setTimeout(resolve, 500));
        await jobs.transition(key, ['in_progress'], 'completed', 'test', { processedItems: 2 });
      },
    });
    const done = parsed(expectExit(run, 0)) as { kind: string; status: string; processed_items: number };
    assert.deepEqual([done.kind, done.status, done.processed_items], ['import', 'completed', 2]);
    assert.equal(existsSync(join(ROOT, 'cli-pack.chatbook')), false, 'nothing written to the working folder');
  });
});

describe('quota and cleanup', () => {
  it('prints the tier, limits and use, and runs the cleanup of the caller’s own data', async () => {
    const quota = await chatbooks(['quota'], { user: 'cli-cara' });
    const lines = expectExit(quota, 0).stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^Tier: free \(day counts start again \d{4}-\d{2}-\d{2} 00:00\)$/);
    assert.ok(
      lines.some((line) => /^jobs running\s+0\s+\d+$/.test(line)),
      lines.join('\n'),
    );
    const json = parsed(expectExit(await chatbooks(['--json', 'quota'], { user: 'cli-cara' }), 0)) as {
      tier: string;
      usage: { active_jobs: number };
    };
    assert.deepEqual([json.tier, json.usage.active_jobs], ['free', 0]);
    const cleanup = await chatbooks(['cleanup'], { user: 'cli-cara' });
    assert.match(
      expectExit(cleanup, 0).stdout,
      /^Expired 0 export\(s\) \(0 file\(s\) deleted\), failed 0 stuck job\(s\)/,
    );
  });
});

describe('other tools', () => {
  it('exports for another tool with --target, named for what it is', async () => {
    // Its own user: the job listings above count every export of the others.
    const cara = new ChatbooksClient({ baseUrl: cloud.url, token: cloud.token({ userId: 'cli-cara' }) });
    await cara.createLibraryItem('character', {
      id: 'cara-c1',
      content: { name: 'Cara', description: 'A card' },
    });
    const cards = join(files, 'cards.zip');
    const run = await chatbooks(
      ['--json', 'export', '--type', 'character', '--target', 'character_cards', '--out', cards],
      { user: 'cli-cara' },
    );
    const result = parsed(expectExit(run, 0)) as { job: ExportJob };
    assert.match(result.job.file_name ?? '', /\.zip$/);
    assert.equal(sha256(cards), result.job.sha256);
    assert.deepEqual(readFileSync(cards).subarray(0, 2), Buffer.from('PK'));
    const wrong = await chatbooks(['export', '--type', 'note', '--target', 'openwebui'], {
      user: 'cli-cara',
    });
    assert.match(expectExit(wrong, 3).stderr, /conversation only/);
  });
});
