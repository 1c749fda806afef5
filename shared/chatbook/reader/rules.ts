/**
 * The validation rules that need only the central directory: they all run before a single byte is inflated.
 * Messages name entries by index (never by name: names are attacker-controlled) and say what to do.
 */
import { formatBytes, reject } from './errors';
import {
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  FLAG_MASKED_HEADERS,
  FLAG_STRONG_ENCRYPTION,
  LOCAL_HEADER_LENGTH,
  METHOD_AES,
  METHOD_DEFLATE,
  METHOD_STORED,
} from './zip-format';
import type { CentralDirectory, ZipEntry } from './zip-format';

/** Byte and count limits. Defaults follow tldw_server's validator (its "MB" are MiB). */
export interface ChatbookLimits {
  /** The archive file itself (tldw: max upload). */
  maxArchiveBytes: number;
  /** Sum of every entry's uncompressed size. */
  maxUncompressedBytes: number;
  /** Any single entry, uncompressed. */
  maxEntryBytes: number;
  maxManifestBytes: number;
  /** Uncompressed:compressed, for the whole archive and for each entry (zip bombs). */
  maxCompressionRatio: number;
  maxEntries: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<ChatbookLimits> = Object.freeze({
  maxArchiveBytes: 100 * MIB,
  maxUncompressedBytes: 500 * MIB,
  maxEntryBytes: 50 * MIB,
  maxManifestBytes: 10 * MIB,
  maxCompressionRatio: 100,
  maxEntries: 200_000,
});

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Why a path is refused, or undefined when it is a safe relative path inside the archive. One pass, no allocation. */
export function pathProblem(path: string): 'invalid_name' | 'unsafe_path' | undefined {
  const length = path.length;
  if (length === 0) return 'invalid_name';
  // Absolute ('/'), home ('~') and drive-letter ("C:") paths.
  const first = path.charCodeAt(0);
  let unsafe =
    first === 0x2f ||
    first === 0x7e ||
    (length > 1 && path.charCodeAt(1) === 0x3a && (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7a);
  // The segments are those of the path without one trailing '/'.
  const segmentsEnd = path.charCodeAt(length - 1) === 0x2f ? length - 1 : length;
  let segmentStart = 0;
  for (let i = 0; i < length; i++) {
    const code = path.charCodeAt(i);
    // C0 controls (NUL included), DEL and C1 controls: never part of a real file name (this wins over unsafe).
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return 'invalid_name';
    if (code === 0x5c) unsafe = true;
    else if (code === 0x2f && i < segmentsEnd) {
      if (isTraversalSegment(path, segmentStart, i)) unsafe = true;
      segmentStart = i + 1;
    }
  }
  if (isTraversalSegment(path, segmentStart, segmentsEnd)) unsafe = true;
  return unsafe ? 'unsafe_path' : undefined;
}

/** '.', '..' and empty segments: traversal or a non-canonical spelling of another entry's path. */
function isTraversalSegment(path: string, start: number, end: number): boolean {
  const length = end - start;
  if (length === 0) return true;
  if (length > 2 || path.charCodeAt(start) !== 0x2e) return false;
  return length === 1 || path.charCodeAt(start + 1) === 0x2e;
}

/**
 * The key under which two names count as the same file: NFC, then case folded (toUpperCase maps ß to SS).
 * Plain ASCII names are already NFC and fold by lower-casing alone, so they skip the Unicode work.
 */
export function foldedName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) >= 0x80) return name.normalize('NFC').toUpperCase().toLowerCase();
  }
  return name.toLowerCase();
}

function describeLimit(bytes: number): string {
  return formatBytes(bytes);
}

/** Per-entry rules: name, type, encryption, method, sizes and ratio. */
export function checkEntry(entry: ZipEntry, limits: ChatbookLimits): void {
  // Built only for a rejection: this runs for every entry of archives with 100,000 of them.
  const at = (): string => `(entry ${entry.index})`;
  const details = (): { entryIndex: number } => ({ entryIndex: entry.index });
  const problem = pathProblem(entry.name);
  if (problem === 'invalid_name') {
    throw reject(
      'invalid_name',
      `The archive contains an entry whose name is empty, not decodable or contains control characters ${at()}. Re-create the chatbook with plain file names.`,
      details(),
    );
  }
  if (problem === 'unsafe_path') {
    throw reject(
      'unsafe_path',
      `The archive contains an entry whose path leaves the archive ${at()}. Re-create the chatbook without absolute, '..' or backslash paths.`,
      details(),
    );
  }
  const fileType = (entry.externalAttributes >>> 16) & S_IFMT;
  if (fileType === S_IFLNK) {
    throw reject(
      'symlink',
      `The archive contains a symbolic link ${at()}. Re-create the chatbook with regular files only.`,
      details(),
    );
  }
  if (fileType !== 0 && fileType !== S_IFREG && fileType !== S_IFDIR) {
    throw reject(
      'special_file',
      `The archive contains a device, pipe or socket entry ${at()}. Re-create the chatbook with regular files only.`,
      details(),
    );
  }
  if (
    (entry.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS)) !== 0 ||
    entry.method === METHOD_AES
  ) {
    throw reject(
      'encrypted',
      `The archive contains an encrypted entry ${at()}. Chatbooks cannot be password protected: export it again without encryption.`,
      details(),
    );
  }
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE) {
    throw reject(
      'unsupported_compression',
      `The archive uses an unsupported compression method (${entry.method}) ${at()}. Only "stored" and "deflate" are supported: re-create it with a standard ZIP tool.`,
      { ...details(), method: entry.method },
    );
  }
  if (entry.diskStart !== 0) {
    throw reject(
      'split_archive',
      `The archive is split across several files ${at()}. Upload a single-file ZIP instead.`,
      details(),
    );
  }
  if (entry.isDirectory && entry.uncompressedSize !== 0) {
    throw reject(
      'invalid_name',
      `The archive contains a folder entry that carries data ${at()}. Re-create the chatbook.`,
      details(),
    );
  }
  if (entry.method === METHOD_STORED && entry.compressedSize !== entry.uncompressedSize) {
    throw reject(
      'size_mismatch',
      `An uncompressed entry declares different stored and original sizes ${at()}. The archive is damaged: re-create it.`,
      details(),
    );
  }
  if (entry.uncompressedSize > limits.maxEntryBytes) {
    throw reject(
      'entry_too_large',
      `An entry is ${formatBytes(entry.uncompressedSize)} uncompressed, over the ${describeLimit(limits.maxEntryBytes)} limit per file ${at()}. Split the chatbook or leave out large media.`,
      { ...details(), uncompressedBytes: entry.uncompressedSize, maxEntryBytes: limits.maxEntryBytes },
    );
  }
  if (exceedsRatio(entry.uncompressedSize, entry.compressedSize, limits.maxCompressionRatio)) {
    throw reject(
      'compression_ratio',
      `An entry compresses more than ${limits.maxCompressionRatio}:1, which is how zip bombs look ${at()}. Re-create the chatbook with normal compression.`,
      { ...details(), maxCompressionRatio: limits.maxCompressionRatio },
    );
  }
}

function exceedsRatio(uncompressed: number, compressed: number, maxRatio: number): boolean {
  if (uncompressed === 0) return false;
  return compressed === 0 || uncompressed / compressed > maxRatio;
}

/** Whole-directory rules: entry count, totals, ratio, duplicates, overlaps. Returns the entries in file order. */
export function checkDirectory(directory: CentralDirectory, limits: ChatbookLimits): readonly ZipEntry[] {
  const { entries } = directory;
  let totalUncompressed = 0;
  let totalCompressed = 0;
  for (const entry of entries) {
    checkEntry(entry, limits);
    totalUncompressed += entry.uncompressedSize;
    totalCompressed += entry.compressedSize;
  }
  if (totalUncompressed > limits.maxUncompressedBytes) {
    throw reject(
      'uncompressed_too_large',
      `The archive expands to ${formatBytes(totalUncompressed)}, over the ${describeLimit(limits.maxUncompressedBytes)} limit. Split the chatbook into smaller exports.`,
      { uncompressedBytes: totalUncompressed, maxUncompressedBytes: limits.maxUncompressedBytes },
    );
  }
  if (exceedsRatio(totalUncompressed, totalCompressed, limits.maxCompressionRatio)) {
    throw reject(
      'compression_ratio',
      `The archive compresses more than ${limits.maxCompressionRatio}:1 overall, which is how zip bombs look. Re-create the chatbook with normal compression.`,
      { maxCompressionRatio: limits.maxCompressionRatio },
    );
  }
  checkDuplicates(entries);
  return checkLayout(directory);
}

function checkDuplicates(entries: readonly ZipEntry[]): void {
  const files = new Map<string, number>();
  const folders = new Set<string>();
  for (const entry of entries) {
    const key = foldedName(entry.isDirectory ? entry.name.slice(0, -1) : entry.name);
    const previous = files.get(key);
    if (previous !== undefined || (folders.has(key) && !entry.isDirectory)) {
      throw reject(
        'duplicate_name',
        `Two entries have the same name, ignoring letter case and Unicode normalization (entry ${entry.index}). Re-create the chatbook with unique file names.`,
        { entryIndex: entry.index, ...(previous === undefined ? {} : { otherEntryIndex: previous }) },
      );
    }
    if (entry.isDirectory) folders.add(key);
    else files.set(key, entry.index);
  }
  // A file must not also be a folder of another entry ("a" and "a/b"): extraction would collide. Every folder
  // prefix of `checked` is already known not to be a file, so entries of the same folder skip those lookups.
  let checked = '';
  for (const entry of entries) {
    const name = entry.name;
    let slash = name.indexOf('/');
    if (slash <= 0) continue;
    const sameFolder = checked.length > 0 && name.startsWith(checked);
    let last = -1;
    if (sameFolder) {
      last = checked.length - 1;
      slash = name.indexOf('/', checked.length);
    }
    while (slash > 0 && slash < name.length - 1) {
      const other = files.get(foldedName(name.slice(0, slash)));
      if (other !== undefined) {
        throw reject(
          'duplicate_name',
          `An entry's name is used both as a file and as a folder (entries ${other} and ${entry.index}). Re-create the chatbook with unique file names.`,
          { entryIndex: entry.index, otherEntryIndex: other },
        );
      }
      last = slash;
      slash = name.indexOf('/', slash + 1);
    }
    if (last > 0 && !(sameFolder && last === checked.length - 1)) checked = name.slice(0, last + 1);
  }
}

/**
 * Overlap bombs reuse one compressed stream from many headers. From the directory alone each entry occupies at
 * least [local header, header + fixed part + name + data (+ a minimal data descriptor)); sorted by offset,
 * these spans must not intersect and must end before the central directory. The exact span (with the local
 * extra field) is checked again when each local header is read. Returns the entries sorted by offset.
 */
export function checkLayout(directory: CentralDirectory): readonly ZipEntry[] {
  const sorted = entriesByOffset(directory.entries);
  let previousEnd = 0;
  let previousIndex = -1;
  for (const entry of sorted) {
    const start = entry.localHeaderOffset;
    const end = minimumSpanEnd(entry);
    if (start < previousEnd) throw overlap(entry.index, previousIndex);
    if (end > directory.centralDirectoryOffset) {
      throw reject(
        'overlapping_entries',
        `An entry's data runs into the archive's central directory (entry ${entry.index}). The archive is damaged or crafted: re-create it.`,
        { entryIndex: entry.index },
      );
    }
    previousEnd = end;
    previousIndex = entry.index;
  }
  return sorted;
}

export function minimumSpanEnd(entry: ZipEntry): number {
  const descriptor = (entry.flags & FLAG_DATA_DESCRIPTOR) !== 0 ? 12 : 0;
  return entry.localHeaderOffset + LOCAL_HEADER_LENGTH + entry.nameLength + entry.compressedSize + descriptor;
}

export function overlap(entryIndex: number, otherEntryIndex: number): Error {
  return reject(
    'overlapping_entries',
    `Two entries share bytes in the archive (entries ${otherEntryIndex} and ${entryIndex}), a zip-bomb technique. Re-create the chatbook with a standard ZIP tool.`,
    { entryIndex, otherEntryIndex },
  );
}

/** The entries in file order (by local header offset, then index); the array itself when already in that order. */
export function entriesByOffset(entries: readonly ZipEntry[]): readonly ZipEntry[] {
  let sorted = true;
  for (let i = 1; i < entries.length && sorted; i++)
    sorted = entries[i - 1]!.localHeaderOffset < entries[i]!.localHeaderOffset;
  if (sorted) return entries;
  return [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset || a.index - b.index);
}

/** Entry-count cap, checked from the end record before the directory is even read. */
export function checkEntryCount(count: number, limits: ChatbookLimits): void {
  if (count > limits.maxEntries) {
    throw reject(
      'too_many_entries',
      `The archive has ${count} entries, over the limit of ${limits.maxEntries}. Split the chatbook into smaller exports.`,
      { entryCount: count, maxEntries: limits.maxEntries },
    );
  }
}

export function checkArchiveSize(size: number, limits: ChatbookLimits): void {
  if (size > limits.maxArchiveBytes) {
    throw reject(
      'archive_too_large',
      `The archive is ${formatBytes(size)}, over the ${describeLimit(limits.maxArchiveBytes)} upload limit. Split the chatbook into smaller exports.`,
      { archiveBytes: size, maxArchiveBytes: limits.maxArchiveBytes },
    );
  }
}
