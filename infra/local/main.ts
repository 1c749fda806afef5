// `npm start`: the whole service on this machine, data kept under .local/data between runs.
import { startLocalCloud } from './cloud';

const started = Date.now();
const cloud = await startLocalCloud({
  port: Number(process.env.PORT ?? 4510),
  dataDir: process.env.LOCAL_DATA_DIR ?? '.local/data',
});

console.log(`Chatbooks Cloud (local) is up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`  API:      ${cloud.url}/api/v1/chatbooks`);
console.log(`  Health:   curl ${cloud.url}/api/v1/chatbooks/health`);
console.log(`  Token:    npm run token -- --user alice [--tier free|premium|enterprise]`);
console.log(
  `  Call:     curl -H "Authorization: Bearer $(npm run -s token -- --user alice)" ${cloud.url}/api/v1/chatbooks/export/jobs`,
);
console.log(`  Cleanup:  curl -X POST ${cloud.url}/__local/rules/cleanup`);
console.log(cloud.url);

const shutdown = () => {
  void cloud.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
