// GET /download/{job_id}[?exp=&token=]: checks owner, state and expiry, counts the download, 302 to S3.
import { z } from 'zod';
import { exportServiceFromEnv } from '../../shared/exports/export-deps';
import { httpRoute, parseParameters } from '../../shared/http/handler';

const exportService = exportServiceFromEnv();

const downloadPath = z.object({ job_id: z.string().min(1).max(200) });
const shareQuery = z.object({ exp: z.string().max(20).optional(), token: z.string().max(200).optional() });

export const handler = httpRoute({}, async ({ auth, pathParameters, query }) => {
  const { job_id } = parseParameters(downloadPath, pathParameters, 'path');
  const share = parseParameters(shareQuery, query, 'query');
  const { location } = await exportService.download(auth.userId, job_id, share);
  return {
    statusCode: 302,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  };
});
