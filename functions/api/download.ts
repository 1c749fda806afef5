// GET /download/{job_id}[?exp=&token=]: checks owner, state and expiry, counts the download, 302 to S3.
import { exportServiceFromEnv } from '../../shared/exports/export-deps';
import { shareLinkQuerySchema } from '../../shared/http/api-parameters';
import { httpRoute, parseParameters } from '../../shared/http/handler';
import { jobPathSchema } from '../../shared/http/job-parameters';
import { rateLimiterFromEnv } from '../../shared/quotas/rate-limits-from-env';

const exportService = exportServiceFromEnv();
const rateLimits = rateLimiterFromEnv();

export const handler = httpRoute({ audit: 'download' }, async ({ auth, pathParameters, query }) => {
  const { job_id } = parseParameters(jobPathSchema, pathParameters, 'path');
  const share = parseParameters(shareLinkQuerySchema, query, 'query');
  await rateLimits.check(auth.userId, 'download');
  const { location } = await exportService.download(auth.userId, job_id, share);
  return {
    statusCode: 302,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  };
});
