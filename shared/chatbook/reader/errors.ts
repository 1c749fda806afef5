import { ValidationError } from '../../errors';

/** Stable codes for every reason an archive is refused. Clients and tests match on these, never on messages. */
export const ARCHIVE_REJECTION_CODES = [
  'not_a_zip',
  'truncated',
  'split_archive',
  'archive_too_large',
  'uncompressed_too_large',
  'entry_too_large',
  'too_many_entries',
  'compression_ratio',
  'unsafe_path',
  'symlink',
  'special_file',
  'invalid_name',
  'duplicate_name',
  'overlapping_entries',
  'header_mismatch',
  'encrypted',
  'unsupported_compression',
  'crc_mismatch',
  'size_mismatch',
  'manifest_missing',
  'manifest_too_large',
  'manifest_invalid',
  'unsupported_version',
  'missing_item_file',
  'inventory_mismatch',
] as const;

export type ArchiveRejectionCode = (typeof ARCHIVE_REJECTION_CODES)[number];

/**
 * The archive is not an acceptable chatbook. The message says what is wrong and what to do; `details` carries
 * entry indexes and limits. Neither ever contains an entry name or a path from the archive, since those are
 * attacker-controlled.
 */
export class ArchiveRejectedError extends ValidationError {
  declare readonly code: ArchiveRejectionCode;

  // Not useless: it narrows `code` to the stable rejection codes.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(
    code: ArchiveRejectionCode,
    message: string,
    options?: { details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export function isArchiveRejection(
  error: unknown,
  code?: ArchiveRejectionCode,
): error is ArchiveRejectedError {
  return error instanceof ArchiveRejectedError && (code === undefined || error.code === code);
}

/** Shorthand used throughout the reader: `throw reject('unsafe_path', '...', { entryIndex })`. */
export function reject(
  code: ArchiveRejectionCode,
  message: string,
  details?: Record<string, unknown>,
): ArchiveRejectedError {
  return new ArchiveRejectedError(code, message, details === undefined ? undefined : { details });
}

/** Formats a byte count for messages ("52.4 MiB"), in the binary units the limits are defined in. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
