/**
 * Every route of the API, with the zod schemas its handler parses and the schemas of what it answers. The OpenAPI
 * document (api-document.ts) is generated from this list, and a test holds the list equal to the API Gateway
 * routes of the synthesized stack, both ways.
 */
import { z } from 'zod';
import { exportRequestSchema } from '../exports/export-request';
import { importRequestSchema } from '../imports/import-request';
import { uploadRequestSchema } from '../imports/upload-service';
import { libraryListQuerySchema, libraryWriteSchema } from '../library/library-service';
import {
  auditQuerySchema,
  importReportQuerySchema,
  libraryItemPathSchema,
  libraryTypePathSchema,
  libraryUpdateHeadersSchema,
  previewRequestSchema,
  shareLinkQuerySchema,
} from './api-parameters';
import {
  auditPageSchema,
  cleanupResultSchema,
  errorBodySchema,
  exportJobPageSchema,
  exportJobSchema,
  healthSchema,
  importJobPageSchema,
  importJobSchema,
  importReportSchema,
  inlineUploadSchema,
  libraryItemSchema,
  libraryPageSchema,
  openApiDocumentSchema,
  presignedUploadSchema,
  previewReportSchema,
  quotaSchema,
  uploadResultSchema,
} from './api-responses';
import { CHATBOOKS_PREFIX, LIBRARY_PREFIX, OPENAPI_PATH } from './api-paths';
import { jobListQuerySchema, jobPathSchema } from './job-parameters';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type ApiTag = 'Exports' | 'Imports' | 'Library' | 'Quotas' | 'Audit' | 'Service';

/** Statuses an operation may answer with the error model. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 500 | 503;

export interface ApiResponse {
  description: string;
  /** The JSON body; none for a redirect or 204. */
  body?: z.ZodType;
  /** Response headers worth naming, with what they carry. */
  headers?: Record<string, string>;
}

export interface ApiOperation {
  /** Also the SDK method's name. */
  operationId: string;
  method: ApiMethod;
  /** The API Gateway route path, with `{name}` path parameters. */
  path: string;
  tag: ApiTag;
  summary: string;
  description?: string;
  /** Served without a token (no JWT authorizer). */
  public?: boolean;
  parameters?: { path?: z.ZodObject; query?: z.ZodObject; headers?: z.ZodObject };
  /** The JSON body schema; `archive` when the chatbook itself may be the body (zip or multipart `file`). */
  body?: { json?: z.ZodType; archive?: boolean };
  responses: Partial<Record<200 | 201 | 202 | 204 | 302 | 503, ApiResponse>>;
  errors: ErrorStatus[];
}

/** Components of the document: the request and response bodies worth a name. */
export const REQUEST_COMPONENTS: ReadonlyMap<z.ZodType, string> = new Map<z.ZodType, string>([
  [exportRequestSchema, 'ExportRequest'],
  [importRequestSchema, 'ImportRequest'],
  [uploadRequestSchema, 'UploadRequest'],
  [previewRequestSchema, 'PreviewRequest'],
  [libraryWriteSchema, 'LibraryWrite'],
]);

export const RESPONSE_COMPONENTS: ReadonlyMap<z.ZodType, string> = new Map<z.ZodType, string>([
  [errorBodySchema, 'Error'],
  [exportJobSchema, 'ExportJob'],
  [exportJobPageSchema, 'ExportJobPage'],
  [importJobSchema, 'ImportJob'],
  [importJobPageSchema, 'ImportJobPage'],
  [importReportSchema, 'ImportReport'],
  [presignedUploadSchema, 'PresignedUpload'],
  [inlineUploadSchema, 'InlineUpload'],
  [uploadResultSchema, 'UploadResult'],
  [previewReportSchema, 'PreviewReport'],
  [libraryItemSchema, 'LibraryItem'],
  [libraryPageSchema, 'LibraryPage'],
  [auditPageSchema, 'AuditPage'],
  [quotaSchema, 'Quota'],
  [cleanupResultSchema, 'CleanupResult'],
  [healthSchema, 'Health'],
  [openApiDocumentSchema, 'OpenApiDocument'],
]);

/** The chatbook as the request body: a form whose `file` field is the archive (as tldw clients send it). */
export const archiveFormSchema = z.object({
  file: z.file().mime(['application/zip']),
});
/** The chatbook as the whole request body. */
export const archiveBodySchema = z.file().mime(['application/zip']);

const jobLocation = { location: 'The job: GET it to follow the progress' };
const cancelDescription = (what: string) =>
  `Cancels a pending or running ${what}; 409 \`job_finished\` once it has ended.`;

export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    operationId: 'getHealth',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/health`,
    tag: 'Service',
    summary: 'Whether storage, tables and workflows are ready',
    public: true,
    responses: {
      200: { description: 'Every component is ready', body: healthSchema },
      503: { description: 'A component is not ready', body: healthSchema },
    },
    errors: [500],
  },
  {
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: OPENAPI_PATH,
    tag: 'Service',
    summary: 'This document',
    public: true,
    responses: { 200: { description: 'The OpenAPI 3.1 document', body: openApiDocumentSchema } },
    errors: [500],
  },
  {
    operationId: 'createExport',
    method: 'POST',
    path: `${CHATBOOKS_PREFIX}/export`,
    tag: 'Exports',
    summary: 'Export selected content as a chatbook',
    description:
      'Small selections (≤ 500 items, ≤ 25 MB) finish in the request (201, completed); larger ones, or `"async": true`, start the workflow (202, pending).',
    body: { json: exportRequestSchema },
    responses: {
      201: { description: 'Exported in the request', body: exportJobSchema, headers: jobLocation },
      202: { description: 'Started as a job', body: exportJobSchema, headers: jobLocation },
    },
    errors: [400, 413, 422],
  },
  {
    operationId: 'listExportJobs',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/export/jobs`,
    tag: 'Exports',
    summary: 'Your export jobs, newest first',
    parameters: { query: jobListQuerySchema },
    responses: { 200: { description: 'One page of jobs', body: exportJobPageSchema } },
    errors: [400],
  },
  {
    operationId: 'getExportJob',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/export/jobs/{job_id}`,
    tag: 'Exports',
    summary: 'One export job',
    parameters: { path: jobPathSchema },
    responses: { 200: { description: 'The job', body: exportJobSchema } },
    errors: [400, 404],
  },
  {
    operationId: 'cancelExportJob',
    method: 'DELETE',
    path: `${CHATBOOKS_PREFIX}/export/jobs/{job_id}`,
    tag: 'Exports',
    summary: 'Cancel an export',
    description: cancelDescription('export'),
    parameters: { path: jobPathSchema },
    responses: { 200: { description: 'The cancelled job', body: exportJobSchema } },
    errors: [400, 404, 409],
  },
  {
    operationId: 'downloadExport',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/download/{job_id}`,
    tag: 'Exports',
    summary: "Download a completed export's chatbook",
    description:
      'Checks owner, state and expiry, counts the download, then redirects to a presigned URL that lives minutes. Follow it without the Authorization header. `exp` and `token` make it a share link.',
    parameters: { path: jobPathSchema, query: shareLinkQuerySchema },
    responses: {
      302: {
        description: 'Redirect to the archive',
        headers: { location: 'A presigned URL of the archive (application/zip)' },
      },
    },
    errors: [400, 403, 404, 409, 410],
  },
  {
    operationId: 'createUpload',
    method: 'POST',
    path: `${CHATBOOKS_PREFIX}/uploads`,
    tag: 'Imports',
    summary: 'Upload a chatbook to preview or import',
    description:
      'A JSON body answers a presigned POST (size-capped by tier): POST every field, then the file as `file`, to `url`. A chatbook sent as the body (application/zip) or as a multipart `file` field (≤ 4 MB) is stored directly.',
    body: { json: uploadRequestSchema, archive: true },
    responses: {
      201: {
        description: 'A presigned POST (JSON body) or the stored upload (archive body)',
        body: uploadResultSchema,
      },
    },
    errors: [400, 413],
  },
  {
    operationId: 'previewChatbook',
    method: 'POST',
    path: `${CHATBOOKS_PREFIX}/preview`,
    tag: 'Imports',
    summary: 'Validate a chatbook and forecast its import; writes nothing',
    body: { json: previewRequestSchema, archive: true },
    responses: { 200: { description: 'The manifest summary and conflicts', body: previewReportSchema } },
    errors: [400, 404, 413, 422],
  },
  {
    operationId: 'createImport',
    method: 'POST',
    path: `${CHATBOOKS_PREFIX}/import`,
    tag: 'Imports',
    summary: 'Import an uploaded chatbook with a conflict strategy',
    description:
      'The whole archive is validated first: a refusal writes nothing. Small imports finish in the request (201); larger ones, or `"async": true`, run as a job (202).',
    body: { json: importRequestSchema },
    responses: {
      201: { description: 'Imported in the request', body: importJobSchema, headers: jobLocation },
      202: { description: 'Started as a job', body: importJobSchema, headers: jobLocation },
    },
    errors: [400, 404, 413, 422],
  },
  {
    operationId: 'listImportJobs',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/import/jobs`,
    tag: 'Imports',
    summary: 'Your import jobs, newest first',
    parameters: { query: jobListQuerySchema },
    responses: { 200: { description: 'One page of jobs', body: importJobPageSchema } },
    errors: [400],
  },
  {
    operationId: 'getImportJob',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/import/jobs/{job_id}`,
    tag: 'Imports',
    summary: 'One import job',
    parameters: { path: jobPathSchema },
    responses: { 200: { description: 'The job', body: importJobSchema } },
    errors: [400, 404],
  },
  {
    operationId: 'getImportReport',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/import/jobs/{job_id}/report`,
    tag: 'Imports',
    summary: 'What happened to each item of an import',
    parameters: { path: jobPathSchema, query: importReportQuerySchema },
    responses: { 200: { description: 'One page of per-item outcomes', body: importReportSchema } },
    errors: [400, 404],
  },
  {
    operationId: 'cancelImportJob',
    method: 'DELETE',
    path: `${CHATBOOKS_PREFIX}/import/jobs/{job_id}`,
    tag: 'Imports',
    summary: 'Cancel an import',
    description: `${cancelDescription('import')} What was imported stays, and is counted.`,
    parameters: { path: jobPathSchema },
    responses: { 200: { description: 'The cancelled job', body: importJobSchema } },
    errors: [400, 404, 409],
  },
  {
    operationId: 'getQuota',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/quota`,
    tag: 'Quotas',
    summary: 'Your limits and how much of them you use',
    description:
      'Your tier (from your token), its limits with any set for you, and your use: storage held by finished exports, exports and imports started today (UTC), jobs pending or running. A request past a limit is 429 with the limit, the use and when it frees up; a file over the size limit is 413.',
    responses: { 200: { description: 'Limits and use', body: quotaSchema } },
    errors: [],
  },
  {
    operationId: 'runCleanup',
    method: 'POST',
    path: `${CHATBOOKS_PREFIX}/cleanup`,
    tag: 'Quotas',
    summary: 'Clean up your own data now',
    description:
      'What the hourly cleanup does, for you only: finished exports past expires_at become expired and their files are deleted, jobs stuck past the timeout fail, uploads older than a day are deleted, and your quota counters are set right.',
    responses: { 200: { description: 'What was done', body: cleanupResultSchema } },
    errors: [],
  },
  {
    operationId: 'listAuditEvents',
    method: 'GET',
    path: `${CHATBOOKS_PREFIX}/audit`,
    tag: 'Audit',
    summary: 'Your audit trail, newest first',
    description:
      'Every export, import, preview, upload, download, cancel and cleanup you made, how each job ended, and every request of yours that was refused (access or validation): when, what, the outcome, the HTTP status and error code, the request id and the job or upload id. Never content, tokens or URLs. Kept for the configured retention (90 days by default).',
    parameters: { query: auditQuerySchema },
    responses: { 200: { description: 'One page of events', body: auditPageSchema } },
    errors: [400],
  },
  {
    operationId: 'listLibraryItems',
    method: 'GET',
    path: `${LIBRARY_PREFIX}/{type}`,
    tag: 'Library',
    summary: 'Your items of one type, newest update first',
    parameters: { path: libraryTypePathSchema, query: libraryListQuerySchema },
    responses: { 200: { description: 'One page of items (without content)', body: libraryPageSchema } },
    errors: [400],
  },
  {
    operationId: 'createLibraryItem',
    method: 'POST',
    path: `${LIBRARY_PREFIX}/{type}`,
    tag: 'Library',
    summary: 'Add an item',
    parameters: { path: libraryTypePathSchema },
    body: { json: libraryWriteSchema },
    responses: {
      201: {
        description: 'The item',
        body: libraryItemSchema,
        headers: { etag: 'The version', location: 'The item' },
      },
    },
    errors: [400, 409, 422],
  },
  {
    operationId: 'getLibraryItem',
    method: 'GET',
    path: `${LIBRARY_PREFIX}/{type}/{id}`,
    tag: 'Library',
    summary: 'One item with its content',
    parameters: { path: libraryItemPathSchema },
    responses: {
      200: { description: 'The item', body: libraryItemSchema, headers: { etag: 'The version' } },
    },
    errors: [400, 404],
  },
  {
    operationId: 'updateLibraryItem',
    method: 'PUT',
    path: `${LIBRARY_PREFIX}/{type}/{id}`,
    tag: 'Library',
    summary: "Replace an item's content and tags",
    parameters: { path: libraryItemPathSchema, headers: libraryUpdateHeadersSchema },
    body: { json: libraryWriteSchema },
    responses: {
      200: { description: 'The item', body: libraryItemSchema, headers: { etag: 'The new version' } },
    },
    errors: [400, 404, 409, 422],
  },
  {
    operationId: 'deleteLibraryItem',
    method: 'DELETE',
    path: `${LIBRARY_PREFIX}/{type}/{id}`,
    tag: 'Library',
    summary: 'Remove an item, its stored body and files',
    parameters: { path: libraryItemPathSchema },
    responses: { 204: { description: 'Removed' } },
    errors: [400, 404],
  },
];

/** `METHOD /path` as API Gateway names a route. */
export function routeKeyOf(operation: Pick<ApiOperation, 'method' | 'path'>): string {
  return `${operation.method} ${operation.path}`;
}
