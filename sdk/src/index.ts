// The Chatbooks Cloud SDK: a typed client, its errors, and the response types (generated from the same schemas
// as the OpenAPI document at /api/v1/openapi.json).
export * from './client';
export * from './errors';
export type { OpenedSource, ProgressCallback, TransferProgress, UploadSource } from './transfer';
export type {
  AuditEventResponse,
  AuditPageResponse,
  CleanupResponse,
  QuotaResponse,
  ExportJob,
  ExportJobPage,
  HealthResponse,
  ImportJob,
  ImportJobPage,
  ImportReport,
  ImportReportItem,
  InlineUpload,
  LibraryItemResponse,
  LibraryPageResponse,
  OpenApiDocument,
  PresignedUpload,
  PreviewResult,
} from '../../shared/http/api-responses';
export type { ContentType } from '../../shared/chatbook/layout';
