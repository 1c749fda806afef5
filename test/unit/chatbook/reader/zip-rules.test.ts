// One test per ZIP-level rule (exact code, no echoed name or path), and archives no rule may reject.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { assertRejected, open, zipWithManifest } from './helpers';
import { UNIX_SYMLINK, extraField, forgeZip, sampleChatbook } from './zip-forge';

// Hex text: compresses about 2:1, well inside the ratio limit.
const text = (bytes: number): Buffer =>
  Buffer.from(
    randomBytes(Math.ceil(bytes / 2))
      .toString('hex')
      .slice(0, bytes),
  );

describe('container', () => {
  it('not_a_zip: random bytes, an empty file, a PNG', async () => {
    await assertRejected(randomBytes(2000), 'not_a_zip');
    await assertRejected(Buffer.alloc(0), 'not_a_zip');
    await assertRejected(Buffer.from('\x89PNG\r\n\x1a\n' + 'x'.repeat(100), 'latin1'), 'not_a_zip');
  });

  it('not_a_zip: a damaged central directory signature', async () => {
    const zip = zipWithManifest([{ name: 'a.txt', data: 'hello' }], {});
    const damaged = Buffer.from(zip);
    damaged.writeUInt32LE(0x12345678, damaged.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
    await assertRejected(damaged, 'not_a_zip');
  });

  it('truncated: the end record is cut off', async () => {
    const zip = sampleChatbook();
    await assertRejected(zip.subarray(0, zip.length - 30), 'truncated');
    await assertRejected(zip.subarray(0, 100), 'truncated');
  });

  it('truncated: the central directory points past the end', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x' }], { eocd: { directoryOffset: 50_000 } }),
      'truncated',
    );
  });

  it('split_archive: a multi-disk end record', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x' }], { eocd: { diskNumber: 1, directoryDisk: 1 } }),
      'split_archive',
    );
  });

  it('not_a_zip: bytes hidden between the directory and its end record', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x' }], { beforeEnd: Buffer.from('hidden') }),
      'not_a_zip',
    );
  });
});

describe('size and count limits', () => {
  it('archive_too_large', async () => {
    await assertRejected(sampleChatbook(), 'archive_too_large', { limits: { maxArchiveBytes: 500 } });
  });

  it('uncompressed_too_large', async () => {
    const zip = zipWithManifest([
      { name: 'a.txt', data: randomBytes(3000) },
      { name: 'b.txt', data: randomBytes(3000) },
    ]);
    await assertRejected(zip, 'uncompressed_too_large', {
      limits: { maxUncompressedBytes: 5000, maxEntryBytes: 4000 },
    });
  });

  it('entry_too_large', async () => {
    await assertRejected(zipWithManifest([{ name: 'a.bin', data: randomBytes(5000) }]), 'entry_too_large', {
      limits: { maxEntryBytes: 4000 },
    });
  });

  it('too_many_entries (from the end record, before reading the directory)', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' }));
    await assertRejected(zipWithManifest(entries), 'too_many_entries', { limits: { maxEntries: 4 } });
  });

  it('compression_ratio: an entry over 100:1', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'zeros.bin', data: Buffer.alloc(1_000_000) }]),
      'compression_ratio',
    );
  });

  it('compression_ratio: data declared with zero compressed bytes', async () => {
    const zip = zipWithManifest([
      { name: 'a.txt', data: 'abc', central: { compressedSize: 0 }, local: { compressedSize: 0 } },
    ]);
    await assertRejected(zip, 'compression_ratio');
  });
});

describe('names and types', () => {
  const unsafe = [
    '../evil.txt',
    'a/../../evil.txt',
    '/abs/evil.txt',
    'C:/evil.txt',
    'c:evil.txt',
    '\\\\server\\share\\x.txt',
    'dir\\x.txt',
    '~/evil.txt',
    'a//b.txt',
    './a.txt',
  ];
  for (const name of unsafe) {
    it(`unsafe_path: ${JSON.stringify(name)}`, async () => {
      await assertRejected(zipWithManifest([{ name, data: 'x' }]), 'unsafe_path', { hostile: [name] });
    });
  }

  it('invalid_name: NUL, control characters, undecodable UTF-8, empty name', async () => {
    await assertRejected(zipWithManifest([{ name: 'a\u0000b.txt', data: 'x' }]), 'invalid_name');
    await assertRejected(zipWithManifest([{ name: 'a\u0007b.txt', data: 'x' }]), 'invalid_name');
    await assertRejected(zipWithManifest([{ name: 'a\u009bb.txt', data: 'x' }]), 'invalid_name');
    await assertRejected(
      zipWithManifest([{ name: Buffer.from([0x61, 0xff, 0xfe, 0x2e, 0x74]), utf8: true, data: 'x' }]),
      'invalid_name',
    );
    await assertRejected(zipWithManifest([{ name: '', data: 'x' }]), 'invalid_name');
  });

  it('invalid_name: a folder entry that carries data', async () => {
    await assertRejected(zipWithManifest([{ name: 'folder/', data: 'data', method: 0 }]), 'invalid_name');
  });

  it('symlink: S_IFLNK in the external attributes', async () => {
    const zip = zipWithManifest([
      { name: 'link.txt', data: '/etc/passwd', method: 0, central: { externalAttributes: UNIX_SYMLINK } },
    ]);
    await assertRejected(zip, 'symlink', { hostile: ['/etc/passwd', 'link.txt'] });
  });

  it('special_file: a FIFO', async () => {
    const zip = zipWithManifest([
      { name: 'pipe.txt', data: '', central: { externalAttributes: (0o010644 << 16) >>> 0 } },
    ]);
    await assertRejected(zip, 'special_file');
  });

  it('duplicate_name: exact, NFC-equivalent, case-folded, ß/SS, file vs folder', async () => {
    const pairs: [string, string][] = [
      ['a.txt', 'a.txt'],
      ['caf\u00e9.txt', 'cafe\u0301.txt'],
      ['Notes.md', 'notes.MD'],
      ['stra\u00dfe.txt', 'STRASSE.txt'],
      ['data', 'data/inner.txt'],
      ['data/inner.txt', 'DATA'],
    ];
    for (const [first, second] of pairs) {
      await assertRejected(
        zipWithManifest([
          { name: first, data: '1' },
          { name: second, data: '2' },
        ]),
        'duplicate_name',
        {
          hostile: [first, second],
        },
      );
    }
  });
});

describe('layout and headers', () => {
  it('overlapping_entries: two directory records share one local header (overlap bomb)', async () => {
    const zip = zipWithManifest([
      { name: 'a.txt', data: text(2000) },
      { name: 'b.txt', data: text(2000), skipLocal: true, central: { localHeaderOffset: 0 } },
    ]);
    await assertRejected(zip, 'overlapping_entries');
  });

  it('overlapping_entries: a kernel reused by many headers (Fifield-style)', async () => {
    const kernel = deflateRawSync(text(50_000));
    const zip = zipWithManifest(
      Array.from({ length: 3 }, (_, i) => ({
        name: `f${i}.txt`,
        data: text(50_000),
        compressed: kernel,
        central: { compressedSize: kernel.length + 2000 },
        local: { compressedSize: kernel.length + 2000 },
      })),
    );
    await assertRejected(zip, 'overlapping_entries');
  });

  it('overlapping_entries: data that runs into the central directory', async () => {
    const zip = zipWithManifest([
      { name: 'a.txt', data: 'abc', method: 0, central: { compressedSize: 400, uncompressedSize: 400 } },
    ]);
    await assertRejected(zip, 'overlapping_entries');
  });

  it('header_mismatch: name, method, CRC, sizes, flags, signature', async () => {
    const cases = [
      { name: 'a.txt', data: text(300), local: { name: 'b.txt' } },
      { name: 'a.txt', data: text(300), local: { name: 'a.txtx' } },
      { name: 'a.txt', data: text(300), local: { method: 0 } },
      { name: 'a.txt', data: text(300), local: { crc32: 1 } },
      { name: 'a.txt', data: text(300), local: { uncompressedSize: 299 } },
      { name: 'a.txt', data: text(300), local: { flags: 0x0800 } },
      { name: 'a.txt', data: text(300), local: { signature: 0x08074b50 } },
    ];
    for (const entry of cases) await assertRejected(zipWithManifest([entry]), 'header_mismatch');
  });

  it('encrypted: traditional, strong, AES', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x', central: { flags: 1 }, local: { flags: 1 } }]),
      'encrypted',
    );
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x', central: { flags: 0x41 } }]),
      'encrypted',
    );
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x', central: { method: 99 } }]),
      'encrypted',
    );
  });

  it('unsupported_compression: bzip2, LZMA', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x', method: 12, compressed: Buffer.from('BZh91AY') }]),
      'unsupported_compression',
    );
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'x', method: 14, compressed: Buffer.from('xx') }]),
      'unsupported_compression',
    );
  });

  it('crc_mismatch: wrong CRC in both headers, damaged deflate data', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: text(500), central: { crc32: 7 }, local: { crc32: 7 } }]),
      'crc_mismatch',
    );
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'abc', method: 0, compressed: Buffer.from('abd') }]),
      'crc_mismatch',
    );
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]);
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'abcdef', compressed: garbage }]),
      'crc_mismatch',
    );
  });

  it('size_mismatch: a header that under-declares what the data inflates to (small and streamed)', async () => {
    const data = text(60_000);
    const lying = {
      name: 'a.txt',
      data,
      central: { uncompressedSize: 1000 },
      local: { uncompressedSize: 1000 },
    };
    await assertRejected(zipWithManifest([lying]), 'size_mismatch');
    // A tiny read-ahead window forces the streaming path: output must be cut at the declared size.
    await assertRejected(zipWithManifest([lying]), 'size_mismatch', { readAheadBytes: 1024 });
    const over = {
      name: 'a.txt',
      data,
      central: { uncompressedSize: 60_001 },
      local: { uncompressedSize: 60_001 },
    };
    await assertRejected(zipWithManifest([over]), 'size_mismatch', { readAheadBytes: 1024 });
  });

  it('size_mismatch: stored entry whose sizes differ', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'abc', method: 0, central: { uncompressedSize: 2 } }]),
      'size_mismatch',
    );
  });

  it('not_a_zip: ZIP64 sizes announced but the extra field is missing', async () => {
    await assertRejected(
      zipWithManifest([{ name: 'a.txt', data: 'abc', central: { uncompressedSize: 0xffffffff } }]),
      'not_a_zip',
    );
  });
});

describe('archives no rule rejects', () => {
  it('folders named etc, bin, usr, names without a dot, an EOCD comment, a self-extractor prefix', async () => {
    const zip = zipWithManifest(
      [
        { name: 'etc/' },
        { name: 'etc/passwd.txt', data: 'not really' },
        { name: 'bin/tool', data: 'no extension' },
        { name: 'usr/share/README', data: 'x' },
        { name: 'café/naïve.txt', data: 'utf-8 name' },
        { name: 'LICENSE', data: 'MIT' },
      ],
      { eocd: { comment: Buffer.from('made by a test') }, prefix: Buffer.from('#!/bin/sh\nexit 0\n') },
    );
    const archive = await open(zip);
    assert.equal(archive.integrity.verifiedFiles, 6);
    assert.deepEqual((await archive.readEntry('bin/tool')).toString(), 'no extension');
    assert.ok(archive.hasEntry('café/naïve.txt'));
  });

  it('10,000 entries', async () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => ({
      name: `content/notes/file_${i}.md`,
      data: `note ${i} `.repeat(5),
    }));
    const archive = await open(zipWithManifest(entries));
    assert.equal(archive.entries.length, 10_001);
    assert.equal(archive.integrity.verifiedFiles, 10_001);
  });

  it('ZIP64: extra fields on every entry and the ZIP64 end record and locator', async () => {
    const zip = zipWithManifest(
      [
        { name: 'a.txt', data: text(5000), zip64: true },
        { name: 'b.bin', data: randomBytes(3000), method: 0, zip64: true },
        { name: 'c.txt', data: 'plain' },
      ],
      { zip64: true },
    );
    const archive = await open(zip);
    assert.equal(archive.integrity.usesZip64, true);
    assert.equal((await archive.readEntry('a.txt')).length, 5000);
  });

  it('data descriptors (streamed writers), 32- and 64-bit', async () => {
    const archive = await open(
      zipWithManifest([
        { name: 'a.txt', data: text(5000), dataDescriptor: true },
        { name: 'b.txt', data: text(7000), dataDescriptor: true, zip64: true },
      ]),
    );
    assert.equal(archive.integrity.verifiedFiles, 3);
  });

  it('Info-ZIP Unicode Path extra field names a non-UTF-8-flagged entry', async () => {
    const cp437Name = Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]); // "café.txt" in CP437
    const { crc32 } = await import('node:zlib');
    const unicode = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), Buffer.from('café.txt')]);
    unicode.writeUInt32LE(crc32(cp437Name), 1);
    const archive = await open(
      zipWithManifest([
        { name: cp437Name, data: 'x', utf8: false, central: { extra: extraField(0x7075, unicode) } },
      ]),
    );
    assert.ok(archive.hasEntry('café.txt'));
    const plain = await open(zipWithManifest([{ name: cp437Name, data: 'x', utf8: false }]));
    assert.ok(plain.hasEntry('café.txt'), 'CP437 decoding without the extra field');
  });

  it('the streaming path (tiny read-ahead) accepts what the one-shot path accepts', async () => {
    const archive = await open(
      zipWithManifest([
        { name: 'a.txt', data: text(100_000) },
        { name: 'b.bin', data: randomBytes(50_000), method: 0 },
      ]),
      {
        readAheadBytes: 4096,
      },
    );
    assert.equal(archive.integrity.verifiedFiles, 3);
  });

  it('a good forged archive passes with every structure valid', async () => {
    const archive = await open(
      forgeZip([
        { name: 'manifest.json', data: JSON.stringify({ version: '1.0', name: 'x', description: '' }) },
      ]),
    );
    assert.equal(archive.version, '1.0.0');
  });
});
