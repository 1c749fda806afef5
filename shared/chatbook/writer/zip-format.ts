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

/** Everything a local or central header holds but the name itself (written from a string or bytes). */
export interface HeaderFields {
  nameLength: number;
  utf8: boolean;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  dosDateTime: number;
  usesDataDescriptor: boolean;
}

function generalFlags(fields: HeaderFields): number {
  return (fields.usesDataDescriptor ? FLAG_DATA_DESCRIPTOR : 0) | (fields.utf8 ? FLAG_UTF8_NAME : 0);
}

function writeName(target: Buffer, at: number, name: string | Buffer, length: number): void {
  if (typeof name === 'string') target.write(name, at, length, 'utf8');
  else name.copy(target, at);
}

function localZip64(fields: HeaderFields): boolean {
  return (
    !fields.usesDataDescriptor &&
    (fields.compressedSize >= UINT32_LIMIT || fields.uncompressedSize >= UINT32_LIMIT)
  );
}

export function localHeaderLength(fields: HeaderFields): number {
  return 30 + fields.nameLength + (localZip64(fields) ? 20 : 0);
}

/**
 * Local file header, written in place; returns its length. With a data descriptor, CRC and sizes are zero
 * here and follow the data; otherwise they are known and, when either size reaches 4 GiB, both go in a
 * ZIP64 extra field.
 */
export function writeLocalHeader(
  target: Buffer,
  at: number,
  fields: HeaderFields,
  name: string | Buffer,
): number {
  const zip64 = localZip64(fields);
  const extraLength = zip64 ? 20 : 0;
  target.writeUInt32LE(0x04034b50, at);
  target.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, at + 4);
  target.writeUInt16LE(generalFlags(fields), at + 6);
  target.writeUInt16LE(fields.method, at + 8);
  target.writeUInt32LE(fields.dosDateTime, at + 10);
  if (fields.usesDataDescriptor) {
    target.fill(0, at + 14, at + 26);
  } else {
    target.writeUInt32LE(fields.crc32, at + 14);
    target.writeUInt32LE(zip64 ? UINT32_LIMIT : fields.compressedSize, at + 18);
    target.writeUInt32LE(zip64 ? UINT32_LIMIT : fields.uncompressedSize, at + 22);
  }
  target.writeUInt16LE(fields.nameLength, at + 26);
  target.writeUInt16LE(extraLength, at + 28);
  writeName(target, at + 30, name, fields.nameLength);
  if (zip64) {
    const extra = at + 30 + fields.nameLength;
    target.writeUInt16LE(0x0001, extra);
    target.writeUInt16LE(16, extra + 2);
    writeUInt64(target, fields.uncompressedSize, extra + 4);
    writeUInt64(target, fields.compressedSize, extra + 12);
  }
  return 30 + fields.nameLength + extraLength;
}

function fieldsOf(record: EntryRecord, utf8: boolean): HeaderFields {
  return { ...record, nameLength: record.name.length, utf8 };
}

/** Local file header as a new buffer (see writeLocalHeader). */
export function localFileHeader(record: EntryRecord, utf8: boolean): Buffer {
  const fields = fieldsOf(record, utf8);
  const header = Buffer.allocUnsafe(localHeaderLength(fields));
  writeLocalHeader(header, 0, fields, record.name);
  return header;
}

/** Data descriptor after a streamed entry; 8-byte sizes (ZIP64 form) only when a size needs them. */
export function dataDescriptor(
  record: Pick<EntryRecord, 'crc32' | 'compressedSize' | 'uncompressedSize'>,
): Buffer {
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

function centralZip64Fields(fields: HeaderFields): number {
  return (
    (fields.uncompressedSize >= UINT32_LIMIT ? 1 : 0) +
    (fields.compressedSize >= UINT32_LIMIT ? 1 : 0) +
    (fields.localHeaderOffset >= UINT32_LIMIT ? 1 : 0)
  );
}

export function centralHeaderLength(fields: HeaderFields): number {
  const zip64Fields = centralZip64Fields(fields);
  return 46 + fields.nameLength + (zip64Fields > 0 ? 4 + 8 * zip64Fields : 0);
}

/** Central directory file header, written in place, with a ZIP64 extra field for whichever values reach 4 GiB. */
export function writeCentralHeader(
  target: Buffer,
  at: number,
  fields: HeaderFields,
  name: string | Buffer,
): number {
  const bigUncompressed = fields.uncompressedSize >= UINT32_LIMIT;
  const bigCompressed = fields.compressedSize >= UINT32_LIMIT;
  const bigOffset = fields.localHeaderOffset >= UINT32_LIMIT;
  const zip64Fields = centralZip64Fields(fields);
  const extraLength = zip64Fields > 0 ? 4 + 8 * zip64Fields : 0;
  target.writeUInt32LE(0x02014b50, at);
  target.writeUInt16LE(VERSION_MADE_BY, at + 4);
  target.writeUInt16LE(zip64Fields > 0 ? VERSION_ZIP64 : VERSION_DEFAULT, at + 6);
  target.writeUInt16LE(generalFlags(fields), at + 8);
  target.writeUInt16LE(fields.method, at + 10);
  target.writeUInt32LE(fields.dosDateTime, at + 12);
  target.writeUInt32LE(fields.crc32, at + 16);
  target.writeUInt32LE(bigCompressed ? UINT32_LIMIT : fields.compressedSize, at + 20);
  target.writeUInt32LE(bigUncompressed ? UINT32_LIMIT : fields.uncompressedSize, at + 24);
  target.writeUInt16LE(fields.nameLength, at + 28);
  target.writeUInt16LE(extraLength, at + 30);
  target.writeUInt16LE(0, at + 32); // comment length
  target.writeUInt16LE(0, at + 34); // disk number start
  target.writeUInt16LE(0, at + 36); // internal attributes
  target.writeUInt32LE(REGULAR_FILE_ATTRIBUTES, at + 38);
  target.writeUInt32LE(bigOffset ? UINT32_LIMIT : fields.localHeaderOffset, at + 42);
  writeName(target, at + 46, name, fields.nameLength);
  if (zip64Fields > 0) {
    let extra = at + 46 + fields.nameLength;
    target.writeUInt16LE(0x0001, extra);
    target.writeUInt16LE(8 * zip64Fields, extra + 2);
    extra += 4;
    // APPNOTE 4.5.3: only the fields whose header value is 0xFFFFFFFF, in this order.
    if (bigUncompressed) {
      writeUInt64(target, fields.uncompressedSize, extra);
      extra += 8;
    }
    if (bigCompressed) {
      writeUInt64(target, fields.compressedSize, extra);
      extra += 8;
    }
    if (bigOffset) writeUInt64(target, fields.localHeaderOffset, extra);
  }
  return 46 + fields.nameLength + extraLength;
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
