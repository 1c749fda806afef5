/**
 * Builds the web page: web/src (TypeScript and CSS) bundled by esbuild into content-hashed files under /app/,
 * and web/public/index.html pointing at them. In memory for the local cloud (built on the first request), or
 * written to a folder by `npm run web:build` for a deployment.
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebConfig } from './src/config';

const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));
/** Where esbuild places the bundles; in memory nothing is written there. */
const ASSET_DIR = join(WEB_ROOT, 'dist', 'app');

export interface SiteFile {
  contentType: string;
  /** Hashed assets never change under their name; index.html and config.json must be fetched fresh. */
  cacheControl: string;
  body: Uint8Array;
}

/** The built site: URL path (`/index.html`, `/app/main-<hash>.js`) to file. */
export type Site = Map<string, SiteFile>;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const FRESH = 'no-cache';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

function contentTypeOf(path: string): string {
  const extension = /\.[a-z]+$/.exec(path)?.[0] ?? '';
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

export async function buildSite(options: { minify?: boolean } = {}): Promise<Site> {
  const result = await build({
    entryPoints: { main: join(WEB_ROOT, 'src', 'main.ts'), styles: join(WEB_ROOT, 'src', 'styles.css') },
    outdir: ASSET_DIR,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: 'linked',
    write: false,
    logLevel: 'silent',
  });
  const site: Site = new Map();
  const hashed = new Map<string, string>();
  for (const output of result.outputFiles) {
    const path = `/app/${relative(ASSET_DIR, output.path).split('\\').join('/')}`;
    site.set(path, { contentType: contentTypeOf(path), cacheControl: IMMUTABLE, body: output.contents });
    const entry = /^(main|styles)-[A-Z0-9]+\.(js|css)$/.exec(basename(output.path));
    if (entry) hashed.set(`/app/${entry[1]!}.${entry[2]!}`, path);
  }
  let html = await readFile(join(WEB_ROOT, 'public', 'index.html'), 'utf8');
  for (const [plain, path] of hashed) {
    if (!html.includes(plain)) throw new Error(`web/public/index.html does not reference ${plain}.`);
    html = html.replace(plain, path);
  }
  site.set('/index.html', {
    contentType: contentTypeOf('.html'),
    cacheControl: FRESH,
    body: Buffer.from(html, 'utf8'),
  });
  return site;
}

export function configFile(config: WebConfig): SiteFile {
  return {
    contentType: contentTypeOf('.json'),
    cacheControl: FRESH,
    body: Buffer.from(`${JSON.stringify(config, null, 2)}\n`, 'utf8'),
  };
}

/**
 * The site as the local cloud serves it: built on the first request and kept, `/` as index.html, and the
 * config.json the cloud gives. A failed build answers a page that says why, and is tried again next time.
 */
export function localSite(
  config: WebConfig,
): (path: string) => Promise<(SiteFile & { status: number }) | undefined> {
  let built: Promise<Site> | undefined;
  const configJson = configFile(config);
  return async (path) => {
    if (path === '/config.json') return { status: 200, ...configJson };
    const wanted = path === '/' ? '/index.html' : path;
    if (wanted !== '/index.html' && !wanted.startsWith('/app/')) return undefined;
    built ??= buildSite({ minify: false });
    let site: Site;
    try {
      site = await built;
    } catch (error) {
      built = undefined;
      return {
        status: 500,
        contentType: 'text/plain; charset=utf-8',
        cacheControl: 'no-store',
        body: Buffer.from(`The web page failed to build (web/):\n\n${(error as Error).message}\n`, 'utf8'),
      };
    }
    const file = site.get(wanted);
    if (file) return { status: 200, ...file };
    // /app/ belongs to the page: a stale asset name is a plain 404, not the API's catch-all.
    return {
      status: 404,
      contentType: 'text/plain; charset=utf-8',
      cacheControl: 'no-store',
      body: Buffer.from('No such file in the web page. Reload the page.\n', 'utf8'),
    };
  };
}
