/**
 * Parsing of the ZIP container (PKWARE APPNOTE 6.3.x): end of central directory (plus ZIP64 locator and record),
 * central directory entries (plus the ZIP64 and Info-ZIP Unicode Path extra fields) and local headers. Only
 * structure is read here; whether an archive is acceptable is decided in rules.ts and chatbook.ts.
 */
import { crc32 } from 'node:zlib';
import { reject } from './errors';
import type { RandomAccessSource } from './sources';

export const SIG_LOCAL_HEADER = 0x04034b50;
export const SIG_CENTRAL_HEADER = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_EOCD64 = 0x06064b50;
export const SIG_EOCD64_LOCATOR = 0x07064b50;

export const EOCD_LENGTH = 22;
export const EOCD64_LOCATOR_LENGTH = 20;
export const EOCD64_MIN_LENGTH = 56;
export const CENTRAL_HEADER_LENGTH = 46;
export const LOCAL_HEADER_LENGTH = 30;
const MAX_COMMENT_LENGTH = 0xffff;

export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_STRONG_ENCRYPTION = 0x0040;
export const FLAG_UTF8 = 0x0800;
export const FLAG_MASKED_HEADERS = 0x2000;

export const METHOD_STORED = 0;
export const METHOD_DEFLATE = 8;
export const METHOD_AES = 99;

const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;

/** One central directory record, sizes and offsets resolved through ZIP64 where needed. */
export interface ZipEntry {
  /** Position in the central directory (0-based): the only way messages refer to an entry. */
  readonly index: number;
  readonly name: string;
  /** Length in bytes of the name as stored (the local header must repeat exactly these bytes). */
  readonly nameLength: number;
  /**
   * The stored name bytes when they are not plain ASCII; undefined when they are, since `name` is then exactly
   * those bytes (one byte per character), which saves a Buffer per entry on archives of many files.
   */
  readonly rawName: Buffer | undefined;
  readonly isDirectory: boolean;
  readonly versionMadeBy: number;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly diskStart: number;
  readonly externalAttributes: number;
  readonly usesZip64: boolean;
}

export interface CentralDirectory {
  readonly entries: ZipEntry[];
  readonly centralDirectoryOffset: number;
  readonly centralDirectorySize: number;
  readonly usesZip64: boolean;
}

/** Reads a range, turning "past the end" into a `truncated` rejection. */
export async function readExact(source: RandomAccessSource, offset: number, length: number): Promise<Buffer> {
  if (offset < 0 || offset + length > source.size) {
    throw reject(
      'truncated',
      'The archive is truncated: a ZIP structure extends past the end of the file. Upload the complete file again.',
      {
        offset,
        length,
        archiveBytes: source.size,
      },
    );
  }
  return source.read(offset, length);
}

function damaged(what: string, details?: Record<string, unknown>): never {
  throw reject(
    'not_a_zip',
    `The archive's ${what} is damaged, so it cannot be read as a ZIP file. Re-create the chatbook.`,
    details,
  );
}

function readUint64(buffer: Buffer, offset: number, what: string): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) damaged(what);
  return Number(value);
}

interface EndRecord {
  offset: number;
  entriesOnDisk: number;
  totalEntries: number;
  directorySize: number;
  directoryOffset: number;
  diskNumber: number;
  directoryDisk: number;
}

/** Finds the EOCD: the last signature whose comment length reaches exactly to the end of the file wins. */
async function findEndRecord(source: RandomAccessSource): Promise<EndRecord> {
  const tailLength = Math.min(source.size, EOCD_LENGTH + MAX_COMMENT_LENGTH);
  const tailStart = source.size - tailLength;
  const tail = tailLength > 0 ? await source.read(tailStart, tailLength) : Buffer.alloc(0);
  let fallback = -1;
  for (let at = tail.length - EOCD_LENGTH; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== SIG_EOCD) continue;
    const commentLength = tail.readUInt16LE(at + 20);
    const end = at + EOCD_LENGTH + commentLength;
    if (end === tail.length) return endRecordAt(tail, at, tailStart);
    if (end < tail.length && fallback < 0) fallback = at;
  }
  if (fallback >= 0) return endRecordAt(tail, fallback, tailStart);
  const head = source.size >= 4 ? await source.read(0, 4) : Buffer.alloc(0);
  if (head.length === 4 && head.readUInt32LE(0) === SIG_LOCAL_HEADER) {
    throw reject(
      'truncated',
      'The archive is truncated: its end-of-archive record is missing. Upload the complete file again.',
      {
        archiveBytes: source.size,
      },
    );
  }
  throw reject(
    'not_a_zip',
    'The file is not a ZIP archive. A chatbook must be a .zip file with a manifest.json at its root.',
    {
      archiveBytes: source.size,
    },
  );
}

function endRecordAt(tail: Buffer, at: number, tailStart: number): EndRecord {
  return {
    offset: tailStart + at,
    diskNumber: tail.readUInt16LE(at + 4),
    directoryDisk: tail.readUInt16LE(at + 6),
    entriesOnDisk: tail.readUInt16LE(at + 8),
    totalEntries: tail.readUInt16LE(at + 10),
    directorySize: tail.readUInt32LE(at + 12),
    directoryOffset: tail.readUInt32LE(at + 16),
  };
}

/** Any field at its 16/32-bit maximum means "see the ZIP64 record". */
function needsZip64(end: EndRecord): boolean {
  return (
    end.diskNumber === 0xffff ||
    end.directoryDisk === 0xffff ||
    end.entriesOnDisk === 0xffff ||
    end.totalEntries === 0xffff ||
    end.directorySize === 0xffffffff ||
    end.directoryOffset === 0xffffffff
  );
}

export interface DirectoryLocation {
  entryCount: number;
  directoryOffset: number;
  directorySize: number;
  /** Where the central directory must end: the ZIP64 record if there is one, else the EOCD. */
  directoryEnd: number;
  usesZip64: boolean;
}

/** Locates the central directory from the EOCD (and ZIP64 locator/record), checking it fits the file. */
export async function locateCentralDirectory(source: RandomAccessSource): Promise<DirectoryLocation> {
  const end = await findEndRecord(source);
  let location: DirectoryLocation = {
    entryCount: end.totalEntries,
    directoryOffset: end.directoryOffset,
    directorySize: end.directorySize,
    directoryEnd: end.offset,
    usesZip64: false,
  };
  let diskNumber = end.diskNumber;
  let directoryDisk = end.directoryDisk;
  let entriesOnDisk = end.entriesOnDisk;

  const locatorOffset = end.offset - EOCD64_LOCATOR_LENGTH;
  const locator = locatorOffset >= 0 ? await source.read(locatorOffset, EOCD64_LOCATOR_LENGTH) : undefined;
  if (locator && locator.readUInt32LE(0) === SIG_EOCD64_LOCATOR) {
    const recordDisk = locator.readUInt32LE(4);
    const recordOffset = readUint64(locator, 8, 'ZIP64 locator');
    const totalDisks = locator.readUInt32LE(16);
    if (recordDisk !== 0 || totalDisks > 1) {
      throw reject(
        'split_archive',
        'The archive is split across several files (a multi-part ZIP). Upload a single-file ZIP instead.',
      );
    }
    if (recordOffset + EOCD64_MIN_LENGTH > locatorOffset) damaged('ZIP64 end record', { recordOffset });
    const record = await readExact(source, recordOffset, EOCD64_MIN_LENGTH);
    if (record.readUInt32LE(0) !== SIG_EOCD64) damaged('ZIP64 end record', { recordOffset });
    diskNumber = record.readUInt32LE(16);
    directoryDisk = record.readUInt32LE(20);
    entriesOnDisk = readUint64(record, 24, 'ZIP64 end record');
    location = {
      entryCount: readUint64(record, 32, 'ZIP64 end record'),
      directorySize: readUint64(record, 40, 'ZIP64 end record'),
      directoryOffset: readUint64(record, 48, 'ZIP64 end record'),
      directoryEnd: recordOffset,
      usesZip64: true,
    };
  } else if (needsZip64(end)) {
    damaged('ZIP64 end record (it is missing)');
  }

  if (diskNumber !== 0 || directoryDisk !== 0 || entriesOnDisk !== location.entryCount) {
    throw reject(
      'split_archive',
      'The archive is split across several files (a multi-part ZIP). Upload a single-file ZIP instead.',
    );
  }
  const directoryEnd = location.directoryOffset + location.directorySize;
  if (directoryEnd > location.directoryEnd) {
    throw reject(
      'truncated',
      'The archive is truncated or damaged: its central directory extends past where it should end. Upload the complete file again.',
      {
        directoryOffset: location.directoryOffset,
        directorySize: location.directorySize,
      },
    );
  }
  if (directoryEnd < location.directoryEnd) {
    // Bytes hidden between the directory and its end record: a polyglot or a damaged archive; either way refuse.
    damaged('central directory (it does not end where the end record begins)', {
      directoryOffset: location.directoryOffset,
      directorySize: location.directorySize,
    });
  }
  if (location.entryCount > 0 && location.directorySize < location.entryCount * CENTRAL_HEADER_LENGTH) {
    damaged('central directory (it is too small for its entry count)', { entryCount: location.entryCount });
  }
  return location;
}

/** Reads every central directory record, in chunks so a large directory never needs one huge buffer. */
export async function readCentralDirectory(
  source: RandomAccessSource,
  location: DirectoryLocation,
  chunkBytes = 4 * 1024 * 1024,
): Promise<CentralDirectory> {
  const entries: ZipEntry[] = [];
  const end = location.directoryOffset + location.directorySize;
  let chunkStart = location.directoryOffset;
  let chunk: Buffer = Buffer.alloc(0);
  let position = location.directoryOffset;

  // Reads the next chunk from `position`; only called when the current one does not hold the record.
  const refill = async (length: number): Promise<void> => {
    if (position + length > end)
      damaged('central directory (a record runs past its end)', { entryIndex: entries.length });
    chunkStart = position;
    chunk = await readExact(source, position, Math.min(end - position, Math.max(chunkBytes, length)));
  };

  while (entries.length < location.entryCount) {
    const index = entries.length;
    // Synchronous while the chunk holds the record: an await per record would cost more than parsing it.
    if (position - chunkStart + CENTRAL_HEADER_LENGTH > chunk.length) await refill(CENTRAL_HEADER_LENGTH);
    let at = position - chunkStart;
    if (chunk.readUInt32LE(at) !== SIG_CENTRAL_HEADER) damaged('central directory', { entryIndex: index });
    const nameLength = chunk.readUInt16LE(at + 28);
    const extraLength = chunk.readUInt16LE(at + 30);
    const commentLength = chunk.readUInt16LE(at + 32);
    const recordLength = CENTRAL_HEADER_LENGTH + nameLength + extraLength + commentLength;
    if (at + recordLength > chunk.length) {
      await refill(recordLength);
      at = 0;
    }
    entries.push(parseCentralRecord(chunk, at, index, nameLength, extraLength));
    position += recordLength;
  }
  if (position !== end)
    damaged('central directory (its size does not match its records)', { entryCount: entries.length });
  return {
    entries,
    centralDirectoryOffset: location.directoryOffset,
    centralDirectorySize: location.directorySize,
    usesZip64: location.usesZip64,
  };
}

function isAscii(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buffer[i]! >= 0x80) return false;
  return true;
}

function parseCentralRecord(
  buffer: Buffer,
  at: number,
  index: number,
  nameLength: number,
  extraLength: number,
): ZipEntry {
  const versionMadeBy = buffer.readUInt16LE(at + 4);
  const flags = buffer.readUInt16LE(at + 8);
  const method = buffer.readUInt16LE(at + 10);
  const crc = buffer.readUInt32LE(at + 16);
  let compressedSize = buffer.readUInt32LE(at + 20);
  let uncompressedSize = buffer.readUInt32LE(at + 24);
  let diskStart = buffer.readUInt16LE(at + 34);
  const externalAttributes = buffer.readUInt32LE(at + 38);
  let localHeaderOffset = buffer.readUInt32LE(at + 42);
  const nameStart = at + CENTRAL_HEADER_LENGTH;
  const nameEnd = nameStart + nameLength;
  const ascii = isAscii(buffer, nameStart, nameEnd);
  // Copied: the record must not pin the whole directory chunk in memory.
  const rawName = ascii ? undefined : Buffer.from(buffer.subarray(nameStart, nameEnd));

  // The extra fields, walked in place (no closure or view per record): ZIP64 sizes and Info-ZIP's Unicode Path.
  let usesZip64 = false;
  let unicodeName: string | undefined;
  const extraEnd = nameEnd + extraLength;
  let field = nameEnd;
  while (field + 4 <= extraEnd) {
    const id = buffer.readUInt16LE(field);
    const size = buffer.readUInt16LE(field + 2);
    const data = field + 4;
    const dataEnd = data + size;
    if (dataEnd > extraEnd) damaged('extra field', { entryIndex: index });
    if (id === EXTRA_ZIP64) {
      usesZip64 = true;
      // Only the fields whose 32/16-bit slot is saturated are present, in this fixed order.
      let cursor = data;
      const next = (): number => {
        if (cursor + 8 > dataEnd) damaged('ZIP64 extra field', { entryIndex: index });
        const value = readUint64(buffer, cursor, 'ZIP64 extra field');
        cursor += 8;
        return value;
      };
      if (uncompressedSize === 0xffffffff) uncompressedSize = next();
      if (compressedSize === 0xffffffff) compressedSize = next();
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      if (diskStart === 0xffff) {
        if (cursor + 4 > dataEnd) damaged('ZIP64 extra field', { entryIndex: index });
        diskStart = buffer.readUInt32LE(cursor);
      }
    } else if (id === EXTRA_UNICODE_PATH && size > 5 && buffer[data] === 1) {
      // Info-ZIP's UTF-8 name, valid only while the CRC of the plain name it replaces still matches.
      if (buffer.readUInt32LE(data + 1) === crc32(buffer.subarray(nameStart, nameEnd)))
        unicodeName = decodeUtf8(buffer.subarray(data + 5, dataEnd));
    }
    field = dataEnd;
  }
  if (
    (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) &&
    !usesZip64
  ) {
    damaged('ZIP64 extra field (it is missing)', { entryIndex: index });
  }

  // Plain ASCII reads the same in UTF-8 and CP437, and the Unicode Path field only replaces non-ASCII names.
  const name = rawName
    ? decodeName(rawName, flags, unicodeName)
    : buffer.toString('latin1', nameStart, nameEnd);
  return {
    index,
    name,
    nameLength,
    rawName,
    isDirectory: name.endsWith('/'),
    versionMadeBy,
    flags,
    method,
    crc32: crc,
    compressedSize,
    uncompressedSize,
    localHeaderOffset,
    diskStart,
    externalAttributes,
    usesZip64,
  };
}

/** Whether `buffer` holds exactly the entry's stored name bytes at `at`. */
export function nameMatchesAt(entry: ZipEntry, buffer: Buffer, at: number): boolean {
  const length = entry.nameLength;
  if (at + length > buffer.length) return false;
  const raw = entry.rawName;
  if (raw) return buffer.compare(raw, 0, length, at, at + length) === 0;
  const name = entry.name;
  for (let i = 0; i < length; i++) if (buffer[at + i] !== name.charCodeAt(i)) return false;
  return true;
}

function forEachExtraField(extra: Buffer, index: number, visit: (id: number, data: Buffer) => void): void {
  let at = 0;
  while (at + 4 <= extra.length) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (at + 4 + size > extra.length) damaged('extra field', { entryIndex: index });
    visit(id, extra.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8; undefined when the bytes are not valid UTF-8. */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// IBM code page 437, bytes 0x80-0xFF: the ZIP default when the UTF-8 flag is not set.
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** A name that cannot be decoded becomes one with a NUL, which the name rules then reject as invalid. */
export const UNDECODABLE_NAME = '\u0000';

/** Decodes a name that is not plain ASCII (plain ASCII names are read as they are). */
function decodeName(bytes: Buffer, flags: number, unicodeName: string | undefined): string {
  if ((flags & FLAG_UTF8) !== 0) return decodeUtf8(bytes) ?? UNDECODABLE_NAME;
  if (unicodeName !== undefined) return unicodeName;
  // Many tools (macOS, 7-Zip, Python before the flag) write UTF-8 without the flag: prefer it when valid.
  const asUtf8 = decodeUtf8(bytes);
  if (asUtf8 !== undefined) return asUtf8;
  let name = '';
  for (const byte of bytes) name += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80]!;
  return name;
}

/** [uncompressed, compressed] from a local header's ZIP64 extra field, or undefined when it has none. */
export function localZip64Sizes(extra: Buffer, index: number): [number, number] | undefined {
  let sizes: [number, number] | undefined;
  forEachExtraField(extra, index, (id, data) => {
    if (id !== EXTRA_ZIP64) return;
    // In a local header both sizes are present (uncompressed first) once either is saturated.
    if (data.length >= 16) {
      sizes = [readUint64(data, 0, 'ZIP64 extra field'), readUint64(data, 8, 'ZIP64 extra field')];
    }
  });
  return sizes;
}
