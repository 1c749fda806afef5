// POST /uploads (presigned POST, or a small chatbook in the request), POST /preview, POST /import and the
// import jobs with their per-item reports.
import type { z } from 'zod';
import { ValidationError } from '../../shared/errors';
import { importReportQuerySchema, previewRequestSchema } from '../../shared/http/api-parameters';
import type { HttpEvent } from '../../shared/http/handler';
import { jobListQuerySchema, jobPathSchema } from '../../shared/http/job-parameters';
import { httpRoute, json, parseBody, parseParameters, routeTable } from '../../shared/http/handler';
import { importRequestSchema, toImportSpec } from '../../shared/imports/import-request';
import { multipartBoundary, parseMultipart } from '../../shared/http/multipart';
import { importServicesFromEnv } from '../../shared/imports/import-deps';
import { uploadRequestSchema } from '../../shared/imports/upload-service';
import { rateLimiterFromEnv } from '../../shared/quotas/rate-limits-from-env';

const { uploads, previews, imports } = importServicesFromEnv();
const rateLimits = rateLimiterFromEnv();
const PREFIX = '/api/v1/chatbooks';

function bodyBytes(event: HttpEvent): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The chatbook a request carries itself: the raw body (application/zip) or the multipart `file` field. */
function attachedFile(event: HttpEvent): Buffer | undefined {
  const contentType = event.headers['content-type'];
  const boundary = multipartBoundary(contentType);
  if (boundary) {
    const file = parseMultipart(bodyBytes(event), boundary).find((part) => part.name === 'file');
    if (!file)
      throw new ValidationError('missing_file', 'The form has no "file" field. Send the chatbook as "file".');
    return file.data;
  }
  if (contentType && /^application\/(zip|octet-stream|x-zip-compressed)\b/i.test(contentType))
    return bodyBytes(event);
  return undefined;
}

/** A JSON body that must be there (parseBody gives undefined only without a schema). */
function jsonBody<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseBody(event, schema) as z.infer<S>;
}

export const handler = routeTable({
  [`POST ${PREFIX}/uploads`]: httpRoute({ audit: 'upload' }, async ({ auth, event }) => {
    const file = attachedFile(event);
    if (file) return json(201, await uploads.storeInline(auth, file));
    return json(201, await uploads.create(auth, jsonBody(event, uploadRequestSchema)));
  }),
  [`POST ${PREFIX}/preview`]: httpRoute({ audit: 'preview' }, async ({ auth, event }) => {
    await rateLimits.check(auth.userId, 'preview');
    const file = attachedFile(event);
    const request = file
      ? { upload_id: (await uploads.storeInline(auth, file)).upload_id }
      : jsonBody(event, previewRequestSchema);
    return json(200, await previews.preview(auth, request.upload_id, request.source_format));
  }),
  [`POST ${PREFIX}/import`]: httpRoute(
    { body: importRequestSchema, audit: 'import' },
    async ({ auth, body }) => {
      await rateLimits.check(auth.userId, 'import');
      const { job, sync } = await imports.start(auth, toImportSpec(body));
      return json(sync ? 201 : 202, job, { location: `${PREFIX}/import/jobs/${job.job_id}` });
    },
  ),
  [`GET ${PREFIX}/import/jobs`]: httpRoute({}, async ({ auth, query }) => {
    return json(200, await imports.list(auth.userId, parseParameters(jobListQuerySchema, query, 'query')));
  }),
  [`GET ${PREFIX}/import/jobs/{job_id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { job_id } = parseParameters(jobPathSchema, pathParameters, 'path');
    return json(200, await imports.get(auth.userId, job_id));
  }),
  [`GET ${PREFIX}/import/jobs/{job_id}/report`]: httpRoute({}, async ({ auth, pathParameters, query }) => {
    const { job_id } = parseParameters(jobPathSchema, pathParameters, 'path');
    const { limit, cursor } = parseParameters(importReportQuerySchema, query, 'query');
    return json(200, await imports.report(auth.userId, job_id, limit, cursor));
  }),
  [`DELETE ${PREFIX}/import/jobs/{job_id}`]: httpRoute(
    { audit: 'import.cancel' },
    async ({ auth, pathParameters }) => {
      const { job_id } = parseParameters(jobPathSchema, pathParameters, 'path');
      return json(200, await imports.cancel(auth.userId, job_id));
    },
  ),
});
