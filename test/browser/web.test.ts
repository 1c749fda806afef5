// The web page in real headless Chromium (Debian's, never a downloaded one) against a local cloud: sign in (a
// bad token first, then the demo shortcut and pasted tokens), browse and filter the library, export with
// progress and download, upload that chatbook as another user, preview its conflict forecast, import with a
// strategy and read the paged report, list jobs and cancel a running one. A screenshot of each screen goes to
// test-artifacts/screenshots/.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { endpointsOf, localLibraryStore } from '../../scripts/seed/seed-library';
import { openChatbook, openFileSource } from '../../shared/chatbook/reader';
import type { ExportJobView } from '../../shared/exports/export-service';
import type { ImportJobView } from '../../shared/imports/import-service';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const CHROMIUM = process.env.CHATBOOKS_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = process.env.CHATBOOKS_SKIP_BROWSER === '1';
const SCREENSHOTS = join('test-artifacts', 'screenshots');

const ALICE = 'alice-web';
const BOB = 'bob-web';
const FIELD_NOTES = 12;
const BIG_MEDIA = 16;
const BIG_MEDIA_BYTES = 4 * 1024 * 1024;

let cloud: TestCloud;
/** What `after` stops: whatever `before` got to start (it fails early without Chromium). */
let started: { cloud?: TestCloud; browser?: Browser } = {};
let page: Page;
let workDir: string;
let downloaded: string;
/** Uncaught errors in the page: there must be none. */
const pageErrors: string[] = [];

async function create(user: string, type: string, content: Record<string, unknown>, tags?: string[]) {
  const response = await cloud.call(`/api/v1/library/${type}`, {
    user,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content, ...(tags ? { tags } : {}) }),
  });
  assert.equal(response.status, 201, await response.text());
}

/** Alice: 15 notes (two tagged research, twelve field notes) and 3 prompts. Bob: one note of the same title. */
async function seedThroughTheApi(): Promise<void> {
  await create(ALICE, 'note', { title: 'Research log: retrieval', content: 'BM25 first.' }, [
    'research',
    'rag',
  ]);
  await create(ALICE, 'note', { title: 'Research log: evaluation', content: 'Hold out a set.' }, [
    'research',
  ]);
  await create(ALICE, 'note', { title: 'Grocery list', content: 'Tea.' }, ['home']);
  for (let index = 1; index <= FIELD_NOTES; index++) {
    await create(ALICE, 'note', { title: `Field note ${String(index).padStart(2, '0')}` }, ['field']);
  }
  for (const name of ['Summarize a paper', 'Critique an argument', 'Explain like I am five']) {
    await create(ALICE, 'prompt', { name, content: `${name}: {{text}}` });
  }
  await create(BOB, 'note', { title: 'Research log: retrieval', content: 'Bob’s own take.' }, ['mine']);
}

/** Bob's media, large and incompressible, so an export of it runs long enough to cancel from the page. */
async function seedBigMedia(): Promise<void> {
  const { store, close } = localLibraryStore(endpointsOf(cloud));
  try {
    for (let index = 0; index < BIG_MEDIA; index++) {
      const id = `web-media-${index}`;
      const file = await store.putFile(BOB, 'media', id, {
        fileId: 'f1',
        name: `clip-${index}.mp4`,
        mimeType: 'video/mp4',
        body: randomBytes(BIG_MEDIA_BYTES),
      });
      const now = new Date().toISOString();
      await store.put({
        userId: BOB,
        type: 'media',
        id,
        title: `Clip ${index}`,
        tags: [],
        createdAt: now,
        updatedAt: now,
        version: 1,
        sizeBytes: BIG_MEDIA_BYTES,
        files: [file],
        content: {
          id,
          title: `Clip ${index}`,
          transcripts: [],
          chunks: [],
          stored_artifacts: [{ id: 'f1', original_filename: `clip-${index}.mp4` }],
        },
      });
    }
  } finally {
    close();
  }
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function signInWithToken(user: string): Promise<void> {
  await page.getByLabel('Access token').fill(cloud.token({ userId: user }));
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
  await page.getByText(`Signed in as ${user}`, { exact: true }).waitFor();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
}

function rows(tableName: RegExp | string) {
  return page.getByRole('table', { name: tableName }).locator('tbody tr');
}

async function applyFilters(fields: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(fields)) {
    if (label === 'Type' || label === 'Per page')
      await page.getByLabel(label, { exact: true }).selectOption(value);
    else await page.getByLabel(label, { exact: true }).fill(value);
  }
  await page.getByRole('button', { name: 'Apply filters' }).click();
}

async function apiJson<T>(path: string, user: string): Promise<T> {
  const response = await cloud.call(path, { user });
  assert.equal(response.status, 200);
  return (await response.json()) as T;
}

describe('the web page', { skip: SKIP && 'CHATBOOKS_SKIP_BROWSER=1' }, () => {
  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `The browser tests drive Debian's chromium, which is not at ${CHROMIUM}. Install it (apt-get install chromium), set CHATBOOKS_CHROMIUM to its path, or skip them with CHATBOOKS_SKIP_BROWSER=1.`,
      );
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    workDir = mkdtempSync(join(tmpdir(), 'chatbooks-web-'));
    cloud = await startTestCloud();
    started = { cloud };
    await Promise.all([seedThroughTheApi(), seedBigMedia()]);
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    started = { cloud, browser };
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    // Generous: the machine may be busy with other tests; a pass takes a fraction of it.
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => {
      pageErrors.push(error.message);
    });
  });

  after(async () => {
    await started.browser?.close();
    await started.cloud?.dispose();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  });

  it('is served at / with its config, without shadowing the API', async () => {
    const home = await fetch(`${cloud.url}/`);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type') ?? '', /^text\/html/);
    const html = await home.text();
    const script = /src="(\/app\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html loads the hashed bundle');
    const bundle = await fetch(`${cloud.url}${script}`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${cloud.url}/app/main-STALE.js`)).status, 404);
    assert.deepEqual(await (await fetch(`${cloud.url}/config.json`)).json(), {
      environment: 'local',
      api_url: '',
      local_token_url: '/__local/token',
      demo_user: 'demo',
    });
    // The API's routes and its catch-all still answer as before, in the API's error model.
    const unauthorized = await fetch(`${cloud.url}/api/v1/chatbooks/export/jobs`);
    assert.equal(unauthorized.status, 401);
    assert.equal(((await unauthorized.json()) as { error: { code: string } }).error.code, 'unauthorized');
    const unknown = await fetch(`${cloud.url}/api/v1/nothing-here`);
    assert.ok([401, 404].includes(unknown.status), String(unknown.status));
    assert.match(unknown.headers.get('content-type') ?? '', /json/);
    assert.equal((await fetch(`${cloud.url}/__local/rules/nothing`, { method: 'POST' })).status, 404);
  });

  it('shows the API’s message for a bad token, then signs in with the demo shortcut', async () => {
    await page.goto(cloud.url);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await screenshot('01-sign-in');

    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /The token is not a JWT\./);
    assert.match(await alert.innerText(), /Error code: unauthorized \(HTTP 401\)/);
    await screenshot('02-sign-in-error');

    await page.getByRole('button', { name: 'Sign in as demo' }).click();
    await page.getByText('Signed in as demo', { exact: true }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    await signOut();
  });

  it('signs in through an OAuth provider with PKCE, as a deployment with Cognito does', async () => {
    // A stand-in provider answers the authorize and token endpoints the page's config names; the ID token it
    // hands out is one the local cloud's authorizer accepts.
    const provider = 'https://sign-in.example.test';
    const context = await started.browser!.newContext();
    context.setDefaultTimeout(30_000);
    let challenge = '';
    let authorized: URLSearchParams | undefined;
    const exchanged: URLSearchParams[] = [];
    await context.route(`${cloud.url}/config.json`, (route) =>
      route.fulfill({
        json: {
          environment: 'aws',
          api_url: '',
          oauth: {
            authorize_url: `${provider}/oauth2/authorize`,
            token_url: `${provider}/oauth2/token`,
            client_id: 'web-client',
            scopes: ['openid', 'email'],
            redirect_uri: `${cloud.url}/`,
          },
        },
      }),
    );
    await context.route(`${provider}/**`, async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/oauth2/authorize') {
        authorized = url.searchParams;
        challenge = url.searchParams.get('code_challenge') ?? '';
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        back.search = new URLSearchParams({
          code: 'code-1',
          state: url.searchParams.get('state') ?? '',
        }).toString();
        await route.fulfill({ status: 302, headers: { location: back.toString() } });
        return;
      }
      const form = new URLSearchParams(route.request().postData() ?? '');
      exchanged.push(form);
      const verified =
        form.get('code') === 'code-1' &&
        createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url') === challenge;
      await route.fulfill({
        status: verified ? 200 : 400,
        headers: { 'access-control-allow-origin': cloud.url },
        json: verified
          ? { id_token: cloud.token({ userId: 'carol-web' }), access_token: 'unused', expires_in: 3600 }
          : { error: 'invalid_grant' },
      });
    });
    const oauthPage = await context.newPage();
    try {
      await oauthPage.goto(cloud.url);
      await oauthPage.getByRole('button', { name: 'Sign in', exact: true }).click();
      await oauthPage.getByText('Signed in as carol-web', { exact: true }).waitFor();
      assert.ok(authorized, 'the page went to the authorize endpoint');
      assert.equal(authorized.get('response_type'), 'code');
      assert.equal(authorized.get('client_id'), 'web-client');
      assert.equal(authorized.get('scope'), 'openid email');
      assert.equal(authorized.get('code_challenge_method'), 'S256');
      const [exchange, ...more] = exchanged;
      assert.ok(exchange && more.length === 0, 'one code exchange');
      assert.equal(exchange.get('grant_type'), 'authorization_code');
      assert.equal(exchange.get('redirect_uri'), `${cloud.url}/`);
      assert.equal(new URL(oauthPage.url()).search, '', 'the code is taken out of the address');
      await oauthPage.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('browses the library by type with tag, title and date filters and pages', async () => {
    await signInWithToken(ALICE);
    const notes = /^Notes, page/;
    await page.getByText('Page 1: 15 notes.').waitFor();

    await applyFilters({ Tags: 'research' });
    await page.getByText('Page 1: 2 notes.').waitFor();
    assert.deepEqual((await rows(notes).locator('th').allInnerTexts()).sort(), [
      'Research log: evaluation',
      'Research log: retrieval',
    ]);

    await applyFilters({ 'Title contains': 'retrieval' });
    await page.getByText('Page 1: 1 note.').waitFor();
    assert.deepEqual(await rows(notes).locator('th').allInnerTexts(), ['Research log: retrieval']);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await applyFilters({ Tags: '', 'Title contains': '', 'Updated since': tomorrow });
    await page.getByText('No notes match these filters.', { exact: true }).first().waitFor();
    assert.equal(await rows(notes).count(), 1);

    await applyFilters({ 'Updated since': '', 'Per page': '10' });
    await page.getByText('Page 1: 10 notes, more on the next page.').waitFor();
    assert.equal(await rows(notes).count(), 10);
    assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2: 5 notes.').waitFor();
    assert.equal(await rows('Notes, page 2').count(), 5);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await screenshot('03-library');
  });

  it('exports all notes and two picked prompts with progress, and downloads a ZIP with a manifest', async () => {
    await page.getByLabel('Export all notes').check();
    await applyFilters({ Type: 'prompt', 'Title contains': 'a' });
    await page.getByText('Page 1: 3 prompts.').waitFor();
    await page.getByRole('checkbox', { name: 'Select Summarize a paper' }).check();
    await page.getByRole('checkbox', { name: 'Select Critique an argument' }).check();
    await page.getByText('Selected: all notes, 2 prompts.').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Research pack');
    await page.getByRole('button', { name: 'Start export' }).click();
    await page.getByRole('heading', { level: 1, name: 'Export: Research pack' }).waitFor();
    const jobId = /#\/exports\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
    assert.ok(jobId, page.url());
    await page.getByText('Completed', { exact: true }).waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.job-progress progress').getAttribute('value'), '100');
    await page.getByText('17 of 17 items').waitFor();
    await screenshot('04-export');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download', exact: true }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'Research pack.chatbook');
    downloaded = join(workDir, download.suggestedFilename());
    await download.saveAs(downloaded);
    await page.getByText('Saved Research pack.chatbook.').waitFor();

    assert.deepEqual([...readFileSync(downloaded).subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], 'a ZIP');
    const archive = await openChatbook(await openFileSource(downloaded));
    try {
      assert.equal(archive.manifest.name, 'Research pack');
      const types = archive.manifest.content_items.map((item) => item.type);
      assert.equal(types.filter((type) => type === 'note').length, 15);
      assert.equal(types.filter((type) => type === 'prompt').length, 2);
    } finally {
      await archive.close();
    }
    const job = await apiJson<ExportJobView>(`/api/v1/chatbooks/export/jobs/${jobId}`, ALICE);
    assert.equal(job.download_count, 1);
  });

  it('shows the API’s refusal of a file that is not a chatbook', async () => {
    await signOut();
    await signInWithToken(BOB);
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Import a chatbook' }).waitFor();
    await page.getByLabel('Chatbook file').setInputFiles({
      name: 'notes.chatbook',
      mimeType: 'application/zip',
      buffer: Buffer.from('these are not the bytes of a zip archive'),
    });
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Error code: unknown_source_format \(HTTP 422\)/);
    assert.equal(await page.getByRole('heading', { name: /^Preview/ }).count(), 0);
    await screenshot('05-preview-refused');
  });

  it('uploads the chatbook as another user and forecasts the conflict', async () => {
    await page.getByLabel('Chatbook file').setInputFiles(downloaded);
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    await page.getByRole('heading', { level: 2, name: 'Preview: Research pack' }).waitFor();
    assert.equal(await page.locator('#upload-progress').getAttribute('value'), '100');

    const counts = page.getByRole('table', { name: 'What it holds: 17 items' });
    assert.deepEqual(
      await counts
        .getByRole('row', { name: /^notes/ })
        .locator('td')
        .allInnerTexts(),
      ['15', '14', '1'],
    );
    assert.deepEqual(
      await counts
        .getByRole('row', { name: /^prompts/ })
        .locator('td')
        .allInnerTexts(),
      ['2', '2', '0'],
    );
    await page
      .getByText('1 item already exists in your library (same type and title): 1 note.', { exact: true })
      .waitFor();
    const conflict = page
      .getByRole('table', { name: /Items that already exist/ })
      .getByRole('row', { name: /Research log: retrieval/ });
    await page.getByRole('radio', { name: 'Rename' }).check();
    assert.match(await conflict.innerText(), /import it as "Research log: retrieval \(1\)"/);
    await screenshot('06-import-preview');
  });

  it('imports with the rename strategy and reads the per-item report a page at a time', async () => {
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Import: Research pack' }).waitFor();
    const jobId = /#\/imports\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
    assert.ok(jobId, page.url());
    await page.getByText('Completed', { exact: true }).waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('[data-outcome="imported"]').innerText(), '16');
    assert.equal(await page.locator('[data-outcome="renamed"]').innerText(), '1');

    const outcomes = (table: string) =>
      page.getByRole('table', { name: table }).locator('tbody tr td:nth-child(3)').allInnerTexts();
    await page.getByLabel('Items per page').selectOption('10');
    await page.getByText('Report page 1: 10 items, more on the next page.').waitFor();
    const first = await outcomes('Items, page 1');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Report page 2: 7 items.').waitFor();
    const second = await outcomes('Items, page 2');
    assert.equal(first.length + second.length, 17);
    assert.deepEqual(
      [...first, ...second].filter((outcome) => outcome !== 'Imported'),
      ['Renamed'],
    );
    const renamed = page.getByRole('row', { name: /Renamed/ });
    if ((await renamed.count()) === 0) {
      await page.getByRole('button', { name: 'Previous page' }).click();
      await page.getByText('Report page 1: 10 items, more on the next page.').waitFor();
    }
    assert.match(await renamed.innerText(), /Research log: retrieval/);
    await screenshot('07-import-report');

    const job = await apiJson<ImportJobView>(`/api/v1/chatbooks/import/jobs/${jobId}`, BOB);
    assert.equal(job.status, 'completed');
    assert.deepEqual([job.counts.imported, job.counts.renamed], [16, 1]);
    const titles = await apiJson<{ items: { title: string }[] }>(
      '/api/v1/library/note?q=Research%20log%3A%20retrieval',
      BOB,
    );
    assert.deepEqual(titles.items.map((item) => item.title).sort(), [
      'Research log: retrieval',
      'Research log: retrieval (1)',
    ]);
  });

  it('lists export and import jobs and cancels a running export', async () => {
    const started = await cloud.call('/api/v1/chatbooks/export', {
      user: BOB,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Big media',
        selection: { media: 'all' },
        include_media: true,
        async: true,
      }),
    });
    assert.equal(started.status, 202);
    const { job_id: jobId } = (await started.json()) as ExportJobView;

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    // The usage panel reads GET /quota: the plan from the token and the running export held against its limit.
    const usage = page.getByRole('region', { name: 'Your usage' });
    await usage.getByText('Plan', { exact: true }).waitFor();
    const quota = await apiJson<{ tier: string; limits: { concurrent_jobs: number } }>(
      '/api/v1/chatbooks/quota',
      BOB,
    );
    assert.match(await usage.innerText(), new RegExp(`Plan\\s+${quota.tier}`));
    assert.match(
      await usage.innerText(),
      new RegExp(`Jobs running\\s+\\d+ of ${quota.limits.concurrent_jobs}`),
    );
    const imports = page.getByRole('table', { name: 'Imports, page 1' });
    await imports.getByRole('row', { name: /Research pack/ }).waitFor();
    assert.match(await imports.getByRole('row', { name: /Research pack/ }).innerText(), /Completed/);
    assert.equal(await imports.getByRole('button', { name: /^Cancel/ }).count(), 0);

    const exportRow = page
      .getByRole('table', { name: 'Exports, page 1' })
      .getByRole('row', { name: /Big media/ });
    await exportRow.waitFor();
    assert.match(await exportRow.innerText(), /Waiting to start|Running/);
    await page.getByRole('button', { name: 'Cancel export Big media' }).click();
    await exportRow.getByText('Cancelled', { exact: true }).waitFor();
    await page.getByText('Export "Big media" cancelled.').waitFor({ state: 'attached' });
    await screenshot('08-jobs');

    const job = await apiJson<ExportJobView>(`/api/v1/chatbooks/export/jobs/${jobId}`, BOB);
    assert.equal(job.status, 'cancelled');
    assert.equal(job.download_url, null);
  });
});
