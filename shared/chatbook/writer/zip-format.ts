/**
 * ZIP record builders (APPNOTE 6.3.x): local headers, data descriptors, central directory records and the
 * end records, with ZIP64 fields only where a size, offset or count needs them.
 */

const UINT32_LIMIT = 0xffffffff;
const UINT16_LIMIT = 0xffff;

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8_NAME = 0x0800;
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
/** Made by Unix (3), so the external attributes carry a regular-file mode (readers check for symlinks). */
const VERSION_MADE_BY = (3 << 8) | VERSION_ZIP64;
const REGULAR_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

export interface EntryRecord {
  name: Buffer;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  dosDateTime: number;
  usesDataDescriptor: boolean;
}

function writeUInt64(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32LE(value >>> 0, offset);
  buffer.writeUInt32LE(Math.floor(value / 0x100000000), offset + 4);
}

/** MS-DOS date and time (2-second resolution), from the UTC fields so archives do not depend on TZ. */
export function dosDateTime(date: Date): number {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  const dosDate = ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate();
  const dosTime = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1);
  return ((dosDate << 16) | dosTime) >>> 0;
}

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e) return false;
  return true;
}

function generalFlags(record: Pick<EntryRecord, 'name' | 'usesDataDescriptor'>, utf8: boolean): number {
  return (record.usesDataDescriptor ? FLAG_DATA_DESCRIPTOR : 0) | (utf8 ? FLAG_UTF8_NAME : 0);
}

/**
 * Local file header. With a data descriptor, CRC and sizes are zero here and follow the data; otherwise
 * they are known and, when either size reaches 4 GiB, both go in a ZIP64 extra field.
 */
export function localFileHeader(record: EntryRecord, utf8: boolean): Buffer {
  const zip64 =
    !record.usesDataDescriptor &&
    (record.compressedSize >= UINT32_LIMIT || record.uncompressedSize >= UINT32_LIMIT);
  const extraLength = zip64 ? 20 : 0;
  const header = Buffer.allocUnsafe(30 + record.name.length + extraLength);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 4);
  header.writeUInt16LE(generalFlags(record, utf8), 6);
  header.writeUInt16LE(record.method, 8);
  header.writeUInt32LE(record.dosDateTime, 10);
  if (record.usesDataDescriptor) {
    header.fill(0, 14, 26);
  } else {
    header.writeUInt32LE(record.crc32, 14);
    header.writeUInt32LE(zip64 ? UINT32_LIMIT : record.compressedSize, 18);
    header.writeUInt32LE(zip64 ? UINT32_LIMIT : record.uncompressedSize, 22);
  }
  header.writeUInt16LE(record.name.length, 26);
  header.writeUInt16LE(extraLength, 28);
  record.name.copy(header, 30);
  if (zip64) {
    const extra = 30 + record.name.length;
    header.writeUInt16LE(0x0001, extra);
    header.writeUInt16LE(16, extra + 2);
    writeUInt64(header, record.uncompressedSize, extra + 4);
    writeUInt64(header, record.compressedSize, extra + 12);
  }
  return header;
}

/** Data descriptor after a streamed entry; 8-byte sizes (ZIP64 form) only when a size needs them. */
export function dataDescriptor(record: EntryRecord): Buffer {
  const zip64 = record.compressedSize >= UINT32_LIMIT || record.uncompressedSize >= UINT32_LIMIT;
  const descriptor = Buffer.allocUnsafe(zip64 ? 24 : 16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(record.crc32, 4);
  if (zip64) {
    writeUInt64(descriptor, record.compressedSize, 8);
    writeUInt64(descriptor, record.uncompressedSize, 16);
  } else {
    descriptor.writeUInt32LE(record.compressedSize, 8);
    descriptor.writeUInt32LE(record.uncompressedSize, 12);
  }
  return descriptor;
}

/** Central directory file header, with a ZIP64 extra field for whichever values reach 4 GiB. */
export function centralDirectoryHeader(record: EntryRecord, utf8: boolean): Buffer {
  const bigUncompressed = record.uncompressedSize >= UINT32_LIMIT;
  const bigCompressed = record.compressedSize >= UINT32_LIMIT;
  const bigOffset = record.localHeaderOffset >= UINT32_LIMIT;
  const zip64Fields = (bigUncompressed ? 1 : 0) + (bigCompressed ? 1 : 0) + (bigOffset ? 1 : 0);
  const extraLength = zip64Fields > 0 ? 4 + 8 * zip64Fields : 0;
  const header = Buffer.allocUnsafe(46 + record.name.length + extraLength);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(VERSION_MADE_BY, 4);
  header.writeUInt16LE(zip64Fields > 0 ? VERSION_ZIP64 : VERSION_DEFAULT, 6);
  header.writeUInt16LE(generalFlags(record, utf8), 8);
  header.writeUInt16LE(record.method, 10);
  header.writeUInt32LE(record.dosDateTime, 12);
  header.writeUInt32LE(record.crc32, 16);
  header.writeUInt32LE(bigCompressed ? UINT32_LIMIT : record.compressedSize, 20);
  header.writeUInt32LE(bigUncompressed ? UINT32_LIMIT : record.uncompressedSize, 24);
  header.writeUInt16LE(record.name.length, 28);
  header.writeUInt16LE(extraLength, 30);
  header.writeUInt16LE(0, 32); // comment length
  header.writeUInt16LE(0, 34); // disk number start
  header.writeUInt16LE(0, 36); // internal attributes
  header.writeUInt32LE(REGULAR_FILE_ATTRIBUTES, 38);
  header.writeUInt32LE(bigOffset ? UINT32_LIMIT : record.localHeaderOffset, 42);
  record.name.copy(header, 46);
  if (zip64Fields > 0) {
    let at = 46 + record.name.length;
    header.writeUInt16LE(0x0001, at);
    header.writeUInt16LE(8 * zip64Fields, at + 2);
    at += 4;
    // APPNOTE 4.5.3: only the fields whose header value is 0xFFFFFFFF, in this order.
    if (bigUncompressed) {
      writeUInt64(header, record.uncompressedSize, at);
      at += 8;
    }
    if (bigCompressed) {
      writeUInt64(header, record.compressedSize, at);
      at += 8;
    }
    if (bigOffset) writeUInt64(header, record.localHeaderOffset, at);
  }
  return header;
}

/** End of central directory, preceded by the ZIP64 end record and locator when counts or offsets need them. */
export function endOfCentralDirectory(
  entryCount: number,
  centralDirectorySize: number,
  centralDirectoryOffset: number,
): Buffer {
  const zip64 =
    entryCount >= UINT16_LIMIT ||
    centralDirectorySize >= UINT32_LIMIT ||
    centralDirectoryOffset >= UINT32_LIMIT;
  const end = Buffer.alloc(zip64 ? 56 + 20 + 22 : 22);
  let at = 0;
  if (zip64) {
    const zip64EndOffset = centralDirectoryOffset + centralDirectorySize;
    end.writeUInt32LE(0x06064b50, 0);
    writeUInt64(end, 44, 4); // size of the rest of this record
    end.writeUInt16LE(VERSION_MADE_BY, 12);
    end.writeUInt16LE(VERSION_ZIP64, 14);
    // disk numbers (16, 20) stay 0
    writeUInt64(end, entryCount, 24);
    writeUInt64(end, entryCount, 32);
    writeUInt64(end, centralDirectorySize, 40);
    writeUInt64(end, centralDirectoryOffset, 48);
    end.writeUInt32LE(0x07064b50, 56);
    writeUInt64(end, zip64EndOffset, 64);
    end.writeUInt32LE(1, 72); // total number of disks
    at = 76;
  }
  end.writeUInt32LE(0x06054b50, at);
  end.writeUInt16LE(Math.min(entryCount, UINT16_LIMIT), at + 8);
  end.writeUInt16LE(Math.min(entryCount, UINT16_LIMIT), at + 10);
  end.writeUInt32LE(Math.min(centralDirectorySize, UINT32_LIMIT), at + 12);
  end.writeUInt32LE(Math.min(centralDirectoryOffset, UINT32_LIMIT), at + 16);
  return end;
}
