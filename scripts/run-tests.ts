// Runs every *.test.ts under test/ (or those under the folders/files given) with node:test.
// Node 20's `--test` neither globs nor knows .ts, so the files are found here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function findTests(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => join(path, file))
    .sort();
}

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test']).flatMap(findTests).map((f) => relative('.', f));
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  [
    '--test',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
    // A test that hangs fails after ten minutes instead of holding the run until CI's own limit.
    '--test-timeout=600000',
    '--test-reporter=spec',
    ...files,
  ],
  {
    stdio: 'inherit',
    // Children inherit these: tsx for TypeScript, the legacy provider for s3rver's listing tokens.
    env: {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider --import tsx`.trim(),
    },
  },
);
process.exit(result.status ?? 1);
