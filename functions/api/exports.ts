// POST /export, GET /export/jobs, GET /export/jobs/{job_id}, DELETE /export/jobs/{job_id}.
import { exportServiceFromEnv } from '../../shared/exports/export-deps';
import { exportRequestSchema, toExportSpec } from '../../shared/exports/export-request';
import { jobListQuerySchema, jobPathSchema } from '../../shared/http/job-parameters';
import { httpRoute, json, parseParameters, routeTable } from '../../shared/http/handler';
import { rateLimiterFromEnv } from '../../shared/quotas/rate-limits-from-env';

const exportService = exportServiceFromEnv();
const rateLimits = rateLimiterFromEnv();
const PREFIX = '/api/v1/chatbooks';

export const handler = routeTable({
  [`POST ${PREFIX}/export`]: httpRoute(
    { body: exportRequestSchema, audit: 'export' },
    async ({ auth, body }) => {
      await rateLimits.check(auth.userId, 'export');
      const { job, sync } = await exportService.start(auth, toExportSpec(body));
      return json(sync ? 201 : 202, job, { location: `${PREFIX}/export/jobs/${job.job_id}` });
    },
  ),
  [`GET ${PREFIX}/export/jobs`]: httpRoute({}, async ({ auth, query }) => {
    return json(
      200,
      await exportService.list(auth.userId, parseParameters(jobListQuerySchema, query, 'query')),
    );
  }),
  [`GET ${PREFIX}/export/jobs/{job_id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { job_id } = parseParameters(jobPathSchema, pathParameters, 'path');
    return json(200, await exportService.get(auth.userId, job_id));
  }),
  [`DELETE ${PREFIX}/export/jobs/{job_id}`]: httpRoute(
    { audit: 'export.cancel' },
    async ({ auth, pathParameters }) => {
      const { job_id } = parseParameters(jobPathSchema, pathParameters, 'path');
      return json(200, await exportService.cancel(auth.userId, job_id));
    },
  ),
});
