/**
 * Bench cases run in child processes so each one's peak RSS is its own. The children run an esbuild bundle of
 * the bench file, as a Lambda runs its bundle, not the TypeScript through the tsx loader, whose ~75 MB of
 * compiler and caches no production process carries. Built once per bench process, inside the repo so the
 * bundle resolves node_modules (packages stay external).
 */
import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const built = new Map<string, string>();

export function childCommand(benchFile: string, args: string[]): { command: string; args: string[] } {
  let bundle = built.get(benchFile);
  if (!bundle) {
    const outdir = join(PROJECT_ROOT, '.local', 'bench-build');
    mkdirSync(outdir, { recursive: true });
    bundle = join(outdir, `${basename(benchFile, '.ts')}.mjs`);
    buildSync({
      entryPoints: [benchFile],
      outfile: bundle,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
    built.set(benchFile, bundle);
  }
  return { command: process.execPath, args: ['--openssl-legacy-provider', bundle, ...args] };
}
