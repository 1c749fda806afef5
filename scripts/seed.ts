// `npm run seed -- --user <id> [--size small|large] [--seed <text>]`: fills a user's library in the local cloud
// with realistic content of all ten types. Uses the running local cloud (`npm start`, found through
// <LOCAL_DATA_DIR>/cloud.json) or, when none answers, starts one on the same data folder for the duration.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_REGION } from '../infra/local/cfn';
import { CLOUD_INFO_FILE, startLocalCloud, type CloudInfo, type LocalCloud } from '../infra/local/cloud';
import { LOCAL_CREDENTIALS } from '../infra/local/emulators';
import { CONTENT_TYPES } from '../shared/chatbook/layout';
import { isSeedSize } from './seed/generate';
import { endpointsOf, localLibraryStore, seedLibrary, type LocalEndpoints } from './seed/seed-library';

const USAGE = 'Usage: npm run seed -- --user <id> [--size small|large] [--seed <text>]';

let parsed;
try {
  parsed = parseArgs({
    options: {
      user: { type: 'string' },
      size: { type: 'string', default: 'small' },
      seed: { type: 'string' },
    },
  }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { user, size, seed } = parsed;
if (!user || !isSeedSize(size)) {
  console.error(USAGE);
  process.exit(2);
}

const dataDir = resolve(process.env.LOCAL_DATA_DIR ?? '.local/data');

/** The running local cloud on this data folder, if its cloud.json names one that answers. */
async function runningCloud(): Promise<CloudInfo | undefined> {
  const path = join(dataDir, CLOUD_INFO_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as CloudInfo;
    const response = await fetch(`${info.url}/api/v1/chatbooks/health`, {
      signal: AbortSignal.timeout(3000),
    });
    await response.arrayBuffer();
    return info;
  } catch {
    return undefined;
  }
}

const started = Date.now();
let cloud: LocalCloud | undefined;
let endpoints: LocalEndpoints;
const running = await runningCloud();
if (running) {
  console.error(`Seeding through the local cloud at ${running.url}`);
  endpoints = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...running };
} else {
  console.error(`No local cloud is running on ${dataDir}: starting one for the seed…`);
  cloud = await startLocalCloud({ port: 0, dataDir, schedules: false });
  endpoints = endpointsOf(cloud);
}

const { store, close } = localLibraryStore(endpoints);
const seedStarted = Date.now();
let lastReport = 0;
try {
  const result = await seedLibrary(store, user, size, {
    ...(seed ? { seed } : {}),
    onProgress: (progress) => {
      const now = Date.now();
      if (now - lastReport < 2000 && progress.items < progress.totalItems) return;
      lastReport = now;
      console.error(
        `  ${progress.items}/${progress.totalItems} items, ${progress.files} files, ` +
          `${(progress.fileBytes / 1e6).toFixed(1)}/${(progress.totalFileBytes / 1e6).toFixed(1)} MB`,
      );
    },
  });
  const seconds = (Date.now() - seedStarted) / 1000;
  console.log(`Seeded user "${user}" (${size}) in ${seconds.toFixed(1)} s:`);
  console.log(`  ${CONTENT_TYPES.map((type) => `${type} ${result.counts[type]}`).join(', ')}`);
  console.log(
    `  ${result.items} items, ${result.files} files, ${(result.fileBytes / 1e6).toFixed(1)} MB of files ` +
      `(${(result.mediaBytes / 1e6).toFixed(1)} MB media)`,
  );
  console.log(`  Token: npm run token -- --user ${user}`);
  if (cloud)
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s in all, local cloud start included)`);
} finally {
  close();
  await cloud?.stop();
}
