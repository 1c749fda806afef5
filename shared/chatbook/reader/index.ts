/**
 * The streaming chatbook reader: random-access sources (file, buffer, block cache; S3 lives in shared/aws),
 * the validator, and the archive it returns once every rule has passed.
 */
export { BlockCacheSource, BufferSource, openFileSource } from './sources';
export type { BlockCacheOptions, RandomAccessSource } from './sources';
export { DEFAULT_LIMITS } from './rules';
export type { ChatbookLimits } from './rules';
export { ARCHIVE_REJECTION_CODES, ArchiveRejectedError, isArchiveRejection } from './errors';
export type { ArchiveRejectionCode } from './errors';
export { openChatbook } from './chatbook';
export type {
  ArchiveEntryInfo,
  ArchiveIntegrity,
  ChatbookArchive,
  ChatbookItem,
  ContentItemRef,
  OpenChatbookOptions,
} from './chatbook';
export { listZipFileNames, openZipArchive } from './zip-archive';
export type { OpenZipArchiveOptions, ZipArchive } from './zip-archive';
