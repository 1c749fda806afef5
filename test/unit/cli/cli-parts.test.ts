// The CLI's pieces without a service: selections from flags, settings precedence, tables, the progress bar, and
// the exit code and message of each kind of error.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveSettings, saveConfig } from '../../../cli/config';
import { EXIT, InterruptedError, UsageError } from '../../../cli/exit-codes';
import { table } from '../../../cli/output';
import { ProgressBar, renderBar } from '../../../cli/progress';
import { reportOf } from '../../../cli/program';
import { buildSelection, collect } from '../../../cli/selection';
import {
  ChatbooksApiError,
  ChatbooksConnectionError,
  ChatbooksJobError,
  type ImportJob,
} from '../../../sdk/src';

describe('selection flags', () => {
  it('turns --all, --type and --ids into a selection, a whole type winning over its ids', () => {
    assert.deepEqual(
      buildSelection({ type: collect('note,character'), ids: ['prompt:p1,p2', 'prompt:p2,p3'] }),
      {
        note: 'all',
        character: 'all',
        prompt: ['p1', 'p2', 'p3'],
      },
    );
    assert.deepEqual(buildSelection({ type: ['note'], ids: ['note:n1'] }), { note: 'all' });
    assert.equal(Object.keys(buildSelection({ all: true })).length, 10);
    assert.deepEqual(buildSelection({}), {});
  });

  it('refuses unknown types and ids without a type as usage errors', () => {
    assert.throws(
      () => buildSelection({ type: ['notes'] }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /Unknown content type "notes"/);
        return true;
      },
    );
    assert.throws(() => buildSelection({ ids: ['n1,n2'] }), /--ids takes type:id/);
    assert.throws(() => buildSelection({ ids: ['note:'] }), /names no id/);
  });
});

describe('settings', () => {
  it('takes a flag over the environment over the config file over the default', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chatbooks-settings-'));
    try {
      const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg') };
      const path = join(home, 'cfg', 'chatbooks', 'config.json');
      const defaults = await resolveSettings({}, env);
      assert.deepEqual(
        [
          defaults.endpoint,
          defaults.endpointSource,
          defaults.token,
          defaults.tokenSource,
          defaults.configPath,
        ],
        ['http://127.0.0.1:4510', 'default', undefined, 'none', path],
      );
      await saveConfig(path, { endpoint: 'https://saved.example/', token: 'saved-token' });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), {
        endpoint: 'https://saved.example/',
        token: 'saved-token',
      });
      const saved = await resolveSettings({}, env);
      assert.deepEqual(
        [saved.endpoint, saved.endpointSource, saved.token],
        ['https://saved.example', 'config', 'saved-token'],
      );
      const fromEnv = await resolveSettings(
        {},
        { ...env, CHATBOOKS_ENDPOINT: 'http://env:1', CHATBOOKS_TOKEN: 'env-token' },
      );
      assert.deepEqual([fromEnv.endpoint, fromEnv.tokenSource], ['http://env:1', 'env']);
      const fromFlags = await resolveSettings(
        { endpoint: 'http://flag:2', token: 'flag-token' },
        { ...env, CHATBOOKS_ENDPOINT: 'http://env:1', CHATBOOKS_TOKEN: 'env-token' },
      );
      assert.deepEqual(
        [fromFlags.endpoint, fromFlags.token, fromFlags.endpointSource],
        ['http://flag:2', 'flag-token', 'flag'],
      );
      await assert.rejects(resolveSettings({ endpoint: 'ftp://x' }, env), /http or https URL/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('output', () => {
  it('pads columns, right-aligns numbers and cuts long cells', () => {
    assert.deepEqual(
      table(
        [{ header: 'ID' }, { header: 'TITLE', max: 8 }, { header: 'SIZE', align: 'right' }],
        [
          ['n1', 'A very long title', '12 B'],
          ['n22', 'Short', '1.5 KB'],
        ],
      ),
      ['ID   TITLE       SIZE', 'n1   A very …    12 B', 'n22  Short     1.5 KB'],
    );
  });

  it('draws the progress bar only on a terminal', () => {
    assert.equal(
      renderBar('upload', 0.5, '1 / 2 MB', 60),
      'upload [#################-----------------]  50%  1 / 2 MB',
    );
    assert.equal(renderBar('export', undefined, '3 items', 60), 'export  3 items');
    // A narrow terminal still gets a bar of 10.
    assert.equal(renderBar('upload', 1, '2 / 2 MB', 20), 'upload [##########] 100%  2 / 2 MB');
    const written: string[] = [];
    const terminal = { isTTY: true, columns: 60, write: (chunk: string) => written.push(chunk) > 0 };
    const bar = new ProgressBar(terminal, 'download');
    bar.bytes(1024, 2048);
    bar.finish();
    assert.deepEqual(written, [
      '\r\x1b[2Kdownload [#############------------]  50%  1.0 KB / 2.0 KB',
      '\r\x1b[2K',
    ]);
    const piped: string[] = [];
    const silent = new ProgressBar(
      { isTTY: false, write: (chunk: string) => piped.push(chunk) > 0 },
      'download',
    );
    silent.bytes(1, 2);
    silent.finish();
    assert.deepEqual(piped, []);
  });
});

describe('exit codes', () => {
  const api = (status: number) => new ChatbooksApiError({ status, code: 'c', message: 'm', requestId: 'r' });
  it('maps usage, API 4xx and 5xx, network, failed jobs and bugs to their codes', () => {
    const job = { job_id: 'j', status: 'failed', error: { code: 'boom', message: 'It broke' } } as ImportJob;
    assert.deepEqual(
      [
        reportOf(new UsageError('bad'), undefined).exitCode,
        reportOf(api(404), undefined).exitCode,
        reportOf(api(409), undefined).exitCode,
        reportOf(api(503), undefined).exitCode,
        reportOf(new ChatbooksConnectionError('down'), 'http://x').exitCode,
        reportOf(new ChatbooksJobError('import', job), undefined).exitCode,
        reportOf(new TypeError('bug'), undefined).exitCode,
        reportOf(new InterruptedError('Stopped waiting'), undefined).exitCode,
      ],
      [
        EXIT.usage,
        EXIT.apiRefused,
        EXIT.apiRefused,
        EXIT.apiUnavailable,
        EXIT.apiUnavailable,
        EXIT.jobFailed,
        EXIT.unexpected,
        EXIT.interrupted,
      ],
    );
    const failed = reportOf(new ChatbooksJobError('import', job), undefined);
    assert.deepEqual(
      [failed.code, failed.message],
      ['boom', 'The import job j ended failed: It broke (boom)'],
    );
    assert.match(reportOf(api(401), undefined).hint ?? '', /chatbooks configure --token/);
  });
});
