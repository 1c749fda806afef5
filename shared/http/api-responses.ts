/**
 * The JSON bodies the API answers with, as zod schemas: the OpenAPI document is generated from them, and the SDK
 * and the tests parse real responses with them. Each is checked at compile time against the view type the use
 * case returns (the checks at the end), so a field added to a view without its schema fails the type check.
 *
 * Objects are not strict: a client keeps working when the server adds a field (zod strips what it does not
 * know); the integration tests compare parsed with raw bodies to catch such a field missing here.
 */
import { z } from 'zod';
import { AUDIT_OUTCOMES, type AuditEventView, type AuditPageView } from '../audit/audit';
import type { CleanupView } from '../cleanup/sweep';
import type { QuotaView } from '../quotas/quotas';
import { TIERS } from './auth';
import { CONTENT_TYPES } from '../chatbook/layout';
import type { ExportJobView } from '../exports/export-service';
import type { HealthReport } from '../health/health';
import type { ImportJobView, ImportService } from '../imports/import-service';
import type { PreviewReport } from '../imports/preview';
import type { ImportOutcome } from '../imports/records';
import type { UploadService } from '../imports/upload-service';
import { JOB_STATUSES } from '../jobs/job';
import type { LibraryItemView, LibraryService } from '../library/library-service';
import type { ErrorBody } from './response';

const contentTypeSchema = z.enum(CONTENT_TYPES);
const jobStatusSchema = z.enum(JOB_STATUSES);
const isoTime = z.string().describe('ISO 8601 time');
const nextCursor = z
  .string()
  .nullable()
  .describe('Pass as `cursor` for the next page; null on the last page');

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable, machine-readable code, e.g. `upload_not_found`'),
    message: z.string().describe('What went wrong and what to do next'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const jobErrorSchema = z.object({ code: z.string(), message: z.string() }).nullable();

export const exportJobSchema = z.object({
  job_id: z.string(),
  status: jobStatusSchema,
  chatbook_name: z.string(),
  created_at: isoTime,
  started_at: isoTime.nullable(),
  completed_at: isoTime.nullable(),
  progress_percentage: z.number().int().min(0).max(100),
  total_items: z.number().int(),
  processed_items: z.number().int(),
  total_bytes: z.number().int(),
  processed_bytes: z.number().int(),
  file_size_bytes: z.number().int().nullable(),
  sha256: z.string().nullable().describe('Hex SHA-256 of the archive, once written'),
  format_version: z.string().nullable(),
  file_name: z.string().nullable(),
  expires_at: isoTime.nullable(),
  download_url: z.string().nullable().describe('GET it (with the token) for a 302 to the archive'),
  share_url: z.string().optional().describe('A signed download link, when share links are on'),
  download_count: z.number().int(),
  error: jobErrorSchema,
  error_message: z.string().nullable(),
  warnings: z.array(z.string()),
});

export const exportJobPageSchema = z.object({ jobs: z.array(exportJobSchema), next_cursor: nextCursor });

const importOutcomeSchema = z.enum(['imported', 'skipped', 'renamed', 'merged', 'overwritten', 'failed']);

export const importJobSchema = z.object({
  job_id: z.string(),
  status: jobStatusSchema,
  chatbook_name: z.string(),
  strategy: z.string().nullable(),
  created_at: isoTime,
  started_at: isoTime.nullable(),
  completed_at: isoTime.nullable(),
  progress_percentage: z.number().int().min(0).max(100),
  total_items: z.number().int(),
  processed_items: z.number().int(),
  counts: z.object({
    imported: z.number().int(),
    skipped: z.number().int(),
    renamed: z.number().int(),
    merged: z.number().int(),
    overwritten: z.number().int(),
    failed: z.number().int(),
  }),
  successful_items: z.number().int(),
  skipped_items: z.number().int(),
  failed_items: z.number().int(),
  warnings: z.array(z.string()),
  error: jobErrorSchema,
  report_url: z.string(),
});

export const importJobPageSchema = z.object({ jobs: z.array(importJobSchema), next_cursor: nextCursor });

export const importReportSchema = z.object({
  job_id: z.string(),
  items: z.array(
    z.object({
      type: contentTypeSchema,
      source_id: z.string().describe("The item's id in the chatbook"),
      title: z.string(),
      outcome: importOutcomeSchema,
      library_id: z.string().nullable(),
      reason: z.string().nullable(),
      notes: z.array(z.string()),
    }),
  ),
  next_cursor: nextCursor,
});

export const presignedUploadSchema = z.object({
  upload_id: z.string(),
  method: z.literal('POST'),
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  max_bytes: z.number().int(),
  expires_at: isoTime,
  how: z.string(),
});

export const inlineUploadSchema = z.object({
  upload_id: z.string(),
  size_bytes: z.number().int(),
  uploaded_at: isoTime,
});

/** POST /uploads answers a presigned POST to a JSON body and the stored upload to an archive body. */
export const uploadResultSchema = z.union([presignedUploadSchema, inlineUploadSchema]);

const strategyOutcomes = z.object({
  skip: z.string(),
  overwrite: z.string(),
  rename: z.string(),
  merge: z.string(),
});

export const previewReportSchema = z.object({
  upload_id: z.string(),
  size_bytes: z.number().int(),
  // A string here, not the enum: the formats' module pulls the archive reader into every client of this one.
  source_format: z
    .string()
    .describe(
      'What the upload is: `chatbook`, or the format it was converted from (see ImportRequest.source_format)',
    ),
  conversion_failures: z
    .array(z.object({ source_id: z.string(), title: z.string(), reason: z.string() }))
    .describe('Items of a converted file that could not be converted: skipped, and why'),
  manifest: z.object({
    version: z.string(),
    declared_version: z.string(),
    name: z.string(),
    description: z.string(),
    author: z.string().nullable(),
    created_at: z.unknown(),
    export_id: z.unknown(),
    tags: z.unknown(),
    categories: z.unknown(),
    producer: z.unknown(),
  }),
  counts: z.partialRecord(contentTypeSchema, z.number().int()),
  total_items: z.number().int(),
  archive: z.object({
    entries: z.number().int(),
    uncompressed_bytes: z.number().int(),
    uses_zip64: z.boolean(),
  }),
  features: z.object({
    used: z.array(z.string()),
    supported: z.array(z.string()),
    unsupported: z.array(z.string()),
  }),
  integrity: z.object({
    verified_files: z.number().int(),
    inventory_verified_files: z.number().int(),
    status: z.enum(['verified', 'crc_only']),
  }),
  warnings: z.array(z.string()),
  conflicts: z.object({
    by_type: z.partialRecord(
      contentTypeSchema,
      z.object({ new: z.number().int(), conflicting: z.number().int() }),
    ),
    total: z.number().int(),
    items: z.array(
      z.object({
        type: contentTypeSchema,
        id: z.string(),
        title: z.string(),
        existing_id: z.string(),
        existing_title: z.string(),
        outcomes: strategyOutcomes.describe('What each strategy would do to this item'),
      }),
    ),
    truncated: z.boolean(),
  }),
});

export const libraryItemSchema = z.object({
  id: z.string(),
  type: contentTypeSchema,
  title: z.string(),
  tags: z.array(z.string()),
  created_at: isoTime,
  updated_at: isoTime,
  version: z.number().int().describe('Send as If-Match to update only this version'),
  size_bytes: z.number().int(),
  files: z.array(
    z.object({
      file_id: z.string(),
      name: z.string(),
      mime_type: z.string(),
      size_bytes: z.number().int(),
      sha256: z.string(),
    }),
  ),
  provenance: z
    .object({
      source_chatbook: z.string(),
      export_id: z.string().nullable(),
      original_id: z.string(),
      import_job_id: z.string(),
      imported_at: isoTime,
    })
    .optional(),
  content: z.unknown().optional().describe('The item in the chatbook item shape (absent in listings)'),
});

export const libraryPageSchema = z.object({ items: z.array(libraryItemSchema), next_cursor: nextCursor });

export const auditEventSchema = z.object({
  at: isoTime,
  action: z.string().describe('What was done: `export`, `download`, `export.cancel`, `library.read`, ...'),
  outcome: z
    .enum(AUDIT_OUTCOMES)
    .describe(
      '`succeeded` (2xx, 3xx), `refused` (4xx: access or validation), `failed` (5xx, or a job that failed)',
    ),
  status: z.number().int().nullable().describe('The HTTP status, for a request'),
  code: z.string().nullable().describe('The error code of a refusal or failure'),
  request_id: z.string().nullable(),
  job_id: z.string().nullable(),
  upload_id: z.string().nullable(),
  details: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .describe('Counts and statuses; never content, tokens or URLs'),
});

export const auditPageSchema = z.object({ events: z.array(auditEventSchema), next_cursor: nextCursor });

const unlimited = (what: string) => z.number().int().nullable().describe(`${what}; null is unlimited`);

export const quotaSchema = z.object({
  tier: z.enum(TIERS).describe('From your token'),
  limits: z.object({
    storage_bytes: unlimited('Bytes of finished exports you may hold'),
    exports_per_day: unlimited('Exports a UTC day'),
    imports_per_day: unlimited('Imports a UTC day'),
    concurrent_jobs: z.number().int().describe('Exports and imports pending or running at once'),
    max_file_bytes: z.number().int().describe('Largest chatbook to upload, preview or import'),
  }),
  usage: z.object({
    storage_bytes: z.number().int(),
    exports_today: z.number().int(),
    imports_today: z.number().int(),
    active_jobs: z.number().int(),
  }),
  day_resets_at: isoTime.describe('When the day’s counts start again (UTC midnight)'),
});

export const cleanupResultSchema = z.object({
  expired_exports: z.number().int().describe('Finished exports past expires_at, now expired'),
  deleted_objects: z.number().int().describe('Their files, deleted'),
  failed_stale_jobs: z.number().int().describe('Jobs stuck past the timeout, now failed'),
  deleted_uploads: z.number().int().describe('Uploads and temporary files older than a day, deleted'),
  released_slots: z.number().int().describe('Concurrency slots held by jobs that had ended, given back'),
  corrected_storage: z.boolean().describe('Whether the storage counter was set right'),
});

const componentStatus = z.enum(['ok', 'unavailable']);

export const healthSchema = z.object({
  service: z.literal('chatbooks'),
  status: z.enum(['ok', 'degraded']),
  checkedAt: isoTime,
  components: z.record(
    z.string(),
    z.object({ status: componentStatus, checks: z.record(z.string(), componentStatus) }),
  ),
});

/** Only what every OpenAPI 3.1 document has; the rest passes through. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export type ErrorBodyResponse = z.output<typeof errorBodySchema>;
export type ExportJob = z.output<typeof exportJobSchema>;
export type ExportJobPage = z.output<typeof exportJobPageSchema>;
export type ImportJob = z.output<typeof importJobSchema>;
export type ImportJobPage = z.output<typeof importJobPageSchema>;
export type ImportReport = z.output<typeof importReportSchema>;
export type ImportReportItem = ImportReport['items'][number];
export type PresignedUpload = z.output<typeof presignedUploadSchema>;
export type InlineUpload = z.output<typeof inlineUploadSchema>;
export type PreviewResult = z.output<typeof previewReportSchema>;
export type LibraryItemResponse = z.output<typeof libraryItemSchema>;
export type LibraryPageResponse = z.output<typeof libraryPageSchema>;
export type HealthResponse = z.output<typeof healthSchema>;
export type AuditEventResponse = z.output<typeof auditEventSchema>;
export type AuditPageResponse = z.output<typeof auditPageSchema>;
export type OpenApiDocument = z.output<typeof openApiDocumentSchema>;
export type QuotaResponse = z.output<typeof quotaSchema>;
export type CleanupResponse = z.output<typeof cleanupResultSchema>;

/** True when A and B are assignable both ways: the schema and the view describe the same JSON. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The view fits the schema and has the same fields (for views whose values are narrower: a UUID, an enum). */
type Covers<Schema, View> = [View] extends [Schema] ? SameShape<keyof Schema, keyof View> : false;
type Expect<T extends true> = T;

// Compile-time only: each schema against the type its use case returns.
export type _ResponseSchemasMatchViews = [
  Expect<SameShape<ErrorBodyResponse, ErrorBody>>,
  Expect<SameShape<ExportJob, ExportJobView>>,
  Expect<SameShape<ImportJob, ImportJobView>>,
  Expect<SameShape<ImportReportItem['outcome'], ImportOutcome>>,
  Expect<SameShape<ImportReport, Awaited<ReturnType<ImportService['report']>>>>,
  Expect<Covers<PresignedUpload, Awaited<ReturnType<UploadService['create']>>>>,
  Expect<Covers<InlineUpload, Awaited<ReturnType<UploadService['storeInline']>>>>,
  Expect<Covers<PreviewResult, PreviewReport>>,
  Expect<SameShape<PreviewResult['manifest'], PreviewReport['manifest']>>,
  Expect<SameShape<PreviewResult['conflicts'], PreviewReport['conflicts']>>,
  Expect<SameShape<PreviewResult['conversion_failures'], PreviewReport['conversion_failures']>>,
  Expect<SameShape<LibraryItemResponse, LibraryItemView>>,
  Expect<SameShape<LibraryPageResponse, Awaited<ReturnType<LibraryService['list']>>>>,
  Expect<SameShape<HealthResponse, HealthReport & { service: 'chatbooks' }>>,
  Expect<SameShape<AuditEventResponse, AuditEventView>>,
  Expect<SameShape<AuditPageResponse, AuditPageView>>,
  Expect<SameShape<QuotaResponse, QuotaView>>,
  Expect<SameShape<CleanupResponse, CleanupView>>,
];
