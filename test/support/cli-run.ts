// Runs the `chatbooks` CLI in this process (no child, no build) with a throwaway home and the given endpoint and
// token; returns its exit code and what it printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../cli/program';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(
  args: readonly string[],
  connection: { endpoint: string; token: string },
): Promise<CliRun> {
  const home = mkdtempSync(join(tmpdir(), 'chatbooks-cli-'));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  try {
    const code = await runCli(['node', 'chatbooks', ...args], {
      stdout,
      stderr,
      stdin: Readable.from([]),
      env: {
        HOME: home,
        XDG_CONFIG_HOME: join(home, 'config'),
        CHATBOOKS_ENDPOINT: connection.endpoint,
        CHATBOOKS_TOKEN: connection.token,
      },
      signal: new AbortController().signal,
    });
    return { code, stdout: out, stderr: err };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
