/**
 * `npm run bench`: the writer bench, then the reader bench (when present), each in its own process, sharing
 * one work dir (BENCH_WORKDIR) so the materialized datasets are generated once. Extra arguments (dataset
 * names) are passed to both. The work dir is removed at the end unless BENCH_WORKDIR was given.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = ['writer.bench.ts', 'reader.bench.ts']
  .map((file) => join(here, file))
  .filter((path) => existsSync(path));
const givenWorkdir = process.env.BENCH_WORKDIR;
const workdir = givenWorkdir ?? (await mkdtemp(join(tmpdir(), 'chatbooks-bench-')));
let failed = false;
try {
  for (const bench of benches) {
    console.log(`\n=== ${bench.slice(here.length + 1)} (work dir ${workdir}) ===`);
    const run = spawnSync(
      process.execPath,
      ['--openssl-legacy-provider', '--import', 'tsx', bench, ...process.argv.slice(2)],
      { stdio: 'inherit', env: { ...process.env, BENCH_WORKDIR: workdir } },
    );
    if (run.status !== 0) {
      failed = true;
      console.error(`${bench} exited with ${run.status ?? run.signal}`);
    }
  }
} finally {
  if (givenWorkdir === undefined) await rm(workdir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
