// POST /export, GET /export/jobs, GET /export/jobs/{job_id}, DELETE /export/jobs/{job_id}.
import { z } from 'zod';
import { exportServiceFromEnv } from '../../shared/exports/export-deps';
import { exportRequestSchema, toExportSpec } from '../../shared/exports/export-request';
import { httpRoute, json, parseParameters, routeTable } from '../../shared/http/handler';
import { JOB_STATUSES } from '../../shared/jobs/job';

const exportService = exportServiceFromEnv();
const PREFIX = '/api/v1/chatbooks';

const jobListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(2048).optional(),
  status: z.enum(JOB_STATUSES, { error: `status must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
});
const jobPath = z.object({ job_id: z.string().min(1).max(200) });

export const handler = routeTable({
  [`POST ${PREFIX}/export`]: httpRoute({ body: exportRequestSchema }, async ({ auth, body }) => {
    const { job, sync } = await exportService.start(auth.userId, toExportSpec(body));
    return json(sync ? 201 : 202, job, { location: `${PREFIX}/export/jobs/${job.job_id}` });
  }),
  [`GET ${PREFIX}/export/jobs`]: httpRoute({}, async ({ auth, query }) => {
    return json(200, await exportService.list(auth.userId, parseParameters(jobListQuery, query, 'query')));
  }),
  [`GET ${PREFIX}/export/jobs/{job_id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { job_id } = parseParameters(jobPath, pathParameters, 'path');
    return json(200, await exportService.get(auth.userId, job_id));
  }),
  [`DELETE ${PREFIX}/export/jobs/{job_id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { job_id } = parseParameters(jobPath, pathParameters, 'path');
    return json(200, await exportService.cancel(auth.userId, job_id));
  }),
});
