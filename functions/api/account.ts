// GET /quota (the caller's limits and use) and POST /cleanup (the cleanup, for the caller's own data).
import { quotaServiceFromEnv } from '../../shared/aws/jobs-from-env';
import { cleanupFromEnv } from '../../shared/cleanup/cleanup-from-env';
import { cleanupView, runCleanup } from '../../shared/cleanup/sweep';
import { httpRoute, json, routeTable } from '../../shared/http/handler';

const quotas = quotaServiceFromEnv();
const cleanup = cleanupFromEnv();
const PREFIX = '/api/v1/chatbooks';

export const handler = routeTable({
  [`GET ${PREFIX}/quota`]: httpRoute({}, async ({ auth }) => json(200, await quotas.view(auth))),
  [`POST ${PREFIX}/cleanup`]: httpRoute({ audit: 'cleanup' }, async ({ auth }) => {
    const result = await runCleanup(cleanup.deps, { kind: 'user', userId: auth.userId }, cleanup.options);
    return json(200, cleanupView(result));
  }),
});
