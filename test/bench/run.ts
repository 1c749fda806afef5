/**
 * `npm run bench`: the writer bench, the reader bench, then the export bench (when present), each in its own
 * process, sharing one work dir (BENCH_WORKDIR) so the materialized datasets are generated once. Extra
 * arguments select: dataset names (text, many, media, zip64) run the writer and reader benches on those sets
 * only; `export` runs the export bench; none runs everything (`npm run bench -- export` runs the export bench
 * alone). The work dir is removed at the end unless BENCH_WORKDIR was given.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const BY_NAME: Record<string, string> = { 'export.bench.ts': 'export', 'import.bench.ts': 'import' };
const datasetArgs = args.filter((arg) => !Object.values(BY_NAME).includes(arg));
const wanted = (file: string): boolean => {
  if (args.length === 0) return true;
  const name = BY_NAME[file];
  return name ? args.includes(name) : datasetArgs.length > 0;
};
const benches = ['writer.bench.ts', 'reader.bench.ts', 'export.bench.ts', 'import.bench.ts']
  .filter(wanted)
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
      ['--openssl-legacy-provider', '--import', 'tsx', bench, ...datasetArgs],
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
