// `npm start`: the whole service on this machine, data kept under .local/data between runs. On the first run on
// a data folder it seeds a demo user (SEED_DEMO=0 to skip).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpointsOf, localLibraryStore, seedLibrary } from '../../scripts/seed/seed-library';
import { startLocalCloud, type LocalCloud } from './cloud';

const DEMO_USER = 'demo';

/** Seeds the demo user once per data folder; returns the line to print, if any. */
async function seedDemoOnce(cloud: LocalCloud, dataDir: string): Promise<string | undefined> {
  const marker = join(dataDir, 'demo-seeded');
  if (process.env.SEED_DEMO === '0' || existsSync(marker)) return undefined;
  const started = Date.now();
  const { store, close } = localLibraryStore(endpointsOf(cloud));
  try {
    const result = await seedLibrary(store, DEMO_USER, 'small');
    writeFileSync(marker, `${JSON.stringify({ at: new Date().toISOString(), ...result })}\n`);
    return (
      `  Demo:     seeded user "${DEMO_USER}" with ${result.items} items and ${result.files} files ` +
      `(${(result.fileBytes / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `npm run token -- --user ${DEMO_USER}`
    );
  } catch (error) {
    console.error(`Seeding the demo user failed (the cloud runs anyway): ${(error as Error).message}`);
    return undefined;
  } finally {
    close();
  }
}

const started = Date.now();
const dataDir = process.env.LOCAL_DATA_DIR ?? '.local/data';
const cloud = await startLocalCloud({
  port: Number(process.env.PORT ?? 4510),
  dataDir,
});
const shutdown = () => {
  void cloud.stop().then(() => process.exit(0));
};
// Before the first-run seed, so a stop during it still shuts the emulators down cleanly.
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
const demo = await seedDemoOnce(cloud, dataDir);

console.log(`Chatbooks Cloud (local) is up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`  Web page: ${cloud.url}/ (sign in as demo, or paste a token)`);
console.log(`  API:      ${cloud.url}/api/v1/chatbooks`);
console.log(`  Health:   curl ${cloud.url}/api/v1/chatbooks/health`);
console.log(`  Token:    npm run token -- --user alice [--tier free|premium|enterprise]`);
console.log(
  `  Call:     curl -H "Authorization: Bearer $(npm run -s token -- --user alice)" ${cloud.url}/api/v1/chatbooks/export/jobs`,
);
console.log(`  Cleanup:  curl -X POST ${cloud.url}/__local/rules/cleanup`);
if (demo) console.log(demo);
console.log(`  Seed:     npm run seed -- --user alice --size small|large`);
console.log(cloud.url);
