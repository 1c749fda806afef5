/**
 * Path, query, header and body schemas that the handlers parse and that no use case owns. They live here, not
 * in the handlers, so the OpenAPI document (api-catalog.ts) is generated from the very schemas the handlers use.
 */
import { z } from 'zod';
import { AUDIT_ACTION_PATTERN } from '../audit/audit';
import { CONTENT_TYPES } from '../chatbook/layout';
import { SOURCE_FORMATS } from '../interop/source-format';

/** POST /preview with a JSON body: an upload made earlier. */
export const previewRequestSchema = z
  .object({
    upload_id: z.string().min(1).max(100),
    /** What the upload is; detected from its content if left out. */
    source_format: z
      .enum(SOURCE_FORMATS, { error: `source_format must be one of ${SOURCE_FORMATS.join(', ')}` })
      .optional(),
  })
  .strict();

/** GET /import/jobs/{job_id}/report: one page of per-item records. */
export const importReportQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cursor: z.string().max(2048).optional(),
});

/** GET /audit: one page of the caller's audit trail, newest first, optionally of one action. */
export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2048).optional(),
  action: z
    .string()
    .max(100)
    .regex(AUDIT_ACTION_PATTERN, 'action must be an action name such as export, download or export.cancel')
    .optional()
    .describe('Only events of this action, e.g. `export`, `download`, `export.cancel`, `library.read`'),
});

/** GET /download/{job_id}: the optional share-link signature. */
export const shareLinkQuerySchema = z.object({
  exp: z.string().max(20).optional(),
  token: z.string().max(200).optional(),
});

const libraryTypeParameter = z.enum(CONTENT_TYPES, {
  error: `the type must be one of ${CONTENT_TYPES.join(', ')}`,
});

/** /api/v1/library/{type} */
export const libraryTypePathSchema = z.object({ type: libraryTypeParameter });

/** /api/v1/library/{type}/{id} */
export const libraryItemPathSchema = z.object({
  type: libraryTypeParameter,
  id: z.string().min(1).max(300),
});

/** PUT /api/v1/library/{type}/{id}: `If-Match: <version>` (an ETag as GET gave it, quoted or weak, works too). */
export const libraryUpdateHeadersSchema = z.object({
  'if-match': z
    .string()
    .regex(/^(W\/)?"?\d+"?$/, 'If-Match must be the version number the item had when you read it')
    .transform((value) => Number(value.replace(/\D/g, '')))
    .optional(),
});
