import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  centralHeaderLength,
  dataDescriptor,
  dosDateTime,
  endOfCentralDirectory,
  localFileHeader,
  writeCentralHeader,
} from '../../../../shared/chatbook/writer/zip-format';
import type { EntryRecord } from '../../../../shared/chatbook/writer/zip-format';

const GIB = 1024 * 1024 * 1024;
const readUInt64 = (buffer: Buffer, at: number): number =>
  buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * 0x100000000;

function record(overrides: Partial<EntryRecord>): EntryRecord {
  return {
    name: Buffer.from('content/media/files/media_1/file_1.mp4'),
    method: 0,
    crc32: 0x12345678,
    compressedSize: 10,
    uncompressedSize: 10,
    localHeaderOffset: 0,
    dosDateTime: dosDateTime(new Date('2025-06-01T12:34:56Z')),
    usesDataDescriptor: false,
    ...overrides,
  };
}

/** A central directory record as the writer writes it into its output blocks. */
function centralDirectoryHeader(entry: EntryRecord, utf8: boolean): Buffer {
  const fields = { ...entry, nameLength: entry.name.length, utf8 };
  const header = Buffer.alloc(centralHeaderLength(fields));
  writeCentralHeader(header, 0, fields, entry.name);
  return header;
}

// Entries over 4 GiB are too slow to stream in a unit test; these check their ZIP64 fields directly.
describe('ZIP64 records for entries and offsets past 4 GiB', () => {
  it('central directory: sizes and offset move to the ZIP64 extra field', () => {
    const big = record({ compressedSize: 5 * GIB, uncompressedSize: 5 * GIB, localHeaderOffset: 6 * GIB });
    const header = centralDirectoryHeader(big, false);
    assert.equal(header.readUInt32LE(20), 0xffffffff);
    assert.equal(header.readUInt32LE(24), 0xffffffff);
    assert.equal(header.readUInt32LE(42), 0xffffffff);
    assert.equal(header.readUInt16LE(6), 45);
    const extra = 46 + big.name.length;
    assert.equal(header.readUInt16LE(extra), 0x0001);
    assert.equal(header.readUInt16LE(extra + 2), 24);
    assert.equal(readUInt64(header, extra + 4), 5 * GIB);
    assert.equal(readUInt64(header, extra + 12), 5 * GIB);
    assert.equal(readUInt64(header, extra + 20), 6 * GIB);
    const small = centralDirectoryHeader(record({ localHeaderOffset: 6 * GIB }), false);
    assert.equal(small.readUInt16LE(46 + big.name.length + 2), 8); // only the offset
    assert.equal(small.readUInt32LE(20), 10);
  });

  it('local header with known sizes and the streamed data descriptor carry 8-byte sizes', () => {
    const known = localFileHeader(record({ compressedSize: 5 * GIB, uncompressedSize: 5 * GIB }), false);
    assert.equal(known.readUInt32LE(18), 0xffffffff);
    assert.equal(readUInt64(known, 30 + 38 + 4), 5 * GIB);
    const descriptor = dataDescriptor(record({ compressedSize: 4 * GIB + 1, uncompressedSize: 4 * GIB + 1 }));
    assert.equal(descriptor.length, 24);
    assert.equal(readUInt64(descriptor, 16), 4 * GIB + 1);
    assert.equal(dataDescriptor(record({})).length, 16);
    const streamed = localFileHeader(record({ usesDataDescriptor: true }), true);
    assert.equal(streamed.readUInt16LE(6), 0x0808);
    assert.equal(streamed.readUInt32LE(14), 0);
  });

  it('end records: ZIP64 end record and locator when the directory starts past 4 GiB', () => {
    const end = endOfCentralDirectory(3, 300, 5 * GIB);
    assert.equal(end.length, 98);
    assert.equal(end.readUInt32LE(0), 0x06064b50);
    assert.equal(readUInt64(end, 48), 5 * GIB);
    assert.equal(end.readUInt32LE(56), 0x07064b50);
    assert.equal(readUInt64(end, 64), 5 * GIB + 300);
    assert.equal(end.readUInt32LE(76), 0x06054b50);
    assert.equal(end.readUInt32LE(76 + 16), 0xffffffff);
    assert.equal(endOfCentralDirectory(3, 300, 1000).length, 22);
  });
});
