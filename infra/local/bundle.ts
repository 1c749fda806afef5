import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalFunction } from './assembly';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bundles every function's entry in one esbuild run (shared code split into chunks), as NodejsFunction bundles
 * them for Lambda, so each worker loads plain JavaScript instead of compiling TypeScript on its first call.
 * Returns the bundle path for each entry.
 */
export async function bundleFunctions(
  functions: Iterable<LocalFunction>,
  outdir: string,
): Promise<Map<string, string>> {
  const entries = [...new Set([...functions].map((fn) => fn.entry))];
  const entryPoints = Object.fromEntries(
    entries.map((entry) => [entry.replace(/\.ts$/, ''), resolve(PROJECT_ROOT, entry)]),
  );
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
    // Some CommonJS dependencies (the AWS SDK among them) require node built-ins at run time.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return new Map(entries.map((entry) => [entry, join(outdir, `${entry.replace(/\.ts$/, '')}.mjs`)]));
}
