// Deterministic randomness and real binary files for the seed: a seeded PRNG for choices, an AES-CTR keystream
// for bulk bytes, valid PNGs, PDFs, and JPEG/MP3/MP4-shaped blobs, each of an exact planned size.
import { createCipheriv, createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/** sfc32, seeded from SHA-256 of a string: small, fast and good enough for test content. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const hash = createHash('sha256').update(seed).digest();
    this.a = hash.readUInt32LE(0);
    this.b = hash.readUInt32LE(4);
    this.c = hash.readUInt32LE(8);
    this.d = hash.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }

  /** Up to `count` distinct elements, in random order. */
  sample<T>(list: readonly T[], count: number): T[] {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, Math.min(count, copy.length));
  }

  /** A standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A UUID-shaped hex id (version 4 bits set), deterministic. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.next() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}

/** `length` pseudo-random bytes from an AES-256-CTR keystream keyed by `key` (fast: GB/s with AES-NI). */
export function keystream(key: string, length: number): Buffer {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(key).digest(), Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The planned size of a noisy `width`×`height` RGB PNG: the raw scanlines plus room for deflate's stored-block
 * overhead on incompressible data; `png` pads up to it exactly with a tEXt chunk.
 */
export function pngSize(width: number, height: number): number {
  const raw = (width * 3 + 1) * height;
  return 8 + 25 + 12 + raw + Math.ceil(raw / 4096) * 8 + 64 + 12 + 256;
}

/**
 * A valid RGB PNG of noisy pixels over a soft gradient (so it barely compresses), padded with a tEXt comment to
 * exactly `pngSize(width, height)` bytes.
 */
export function png(key: string, width: number, height: number): Buffer {
  const stride = width * 3 + 1;
  const raw = keystream(key, stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const p = row + 1 + x * 3;
      // The top bits from a gradient, the low six from noise: a visible picture that still does not compress.
      raw[p] = (((x * 255) / width) & 0xc0) | (raw[p]! & 0x3f);
      raw[p + 1] = (((y * 255) / height) & 0xc0) | (raw[p + 1]! & 0x3f);
      raw[p + 2] = 0x80 | (raw[p + 2]! & 0x7f);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: truecolour
  const idat = pngChunk('IDAT', deflateSync(raw, { level: 1 }));
  const ihdr = pngChunk('IHDR', header);
  const iend = pngChunk('IEND', Buffer.alloc(0));
  const target = pngSize(width, height);
  const padding = target - (PNG_SIGNATURE.length + ihdr.length + idat.length + iend.length) - 12;
  if (padding < 8) throw new Error(`PNG ${width}x${height} came out larger than planned`);
  const text = Buffer.alloc(padding, 0x2e);
  text.write('Comment\0seed-generated image ', 0, 'latin1');
  return Buffer.concat([PNG_SIGNATURE, ihdr, idat, pngChunk('tEXt', text), iend]);
}

/** A JPEG-shaped blob of exactly `size` bytes: SOI, a JFIF APP0 segment, noise, EOI. */
export function jpegBlob(key: string, size: number): Buffer {
  const body = keystream(key, size);
  // SOI, APP0 "JFIF" 1.01, no units, 1:1 density, no thumbnail.
  const header = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00];
  Buffer.from([...header, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]).copy(body, 0);
  body[size - 2] = 0xff;
  body[size - 1] = 0xd9;
  return body;
}

function syncsafe(value: number): Buffer {
  return Buffer.from([(value >> 21) & 0x7f, (value >> 14) & 0x7f, (value >> 7) & 0x7f, value & 0x7f]);
}

function id3Frame(id: string, text: string): Buffer {
  const data = Buffer.concat([Buffer.from([3]), Buffer.from(text, 'utf8')]); // 3 = UTF-8
  return Buffer.concat([Buffer.from(id, 'latin1'), syncsafe(data.length), Buffer.alloc(2), data]);
}

/** An MP3-shaped blob of exactly `size` bytes: an ID3v2.4 tag (title, artist), then frames of noise. */
export function mp3Blob(key: string, size: number, title: string, artist: string): Buffer {
  const frames = Buffer.concat([id3Frame('TIT2', title), id3Frame('TPE1', artist)]);
  const tag = Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0]), syncsafe(frames.length), frames]);
  const body = keystream(key, size);
  tag.copy(body, 0);
  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz frame headers every 417 bytes.
  for (let offset = tag.length; offset + 4 <= size; offset += 417) body.writeUInt32BE(0xfffb9064, offset);
  return body;
}

/** An MP4-shaped blob of exactly `size` bytes: an `ftyp` box, then one `mdat` box of noise. */
export function mp4Blob(key: string, size: number): Buffer {
  const body = keystream(key, size);
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypisom', 4, 'latin1');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write('isomiso2', 16, 'latin1');
  ftyp.copy(body, 0);
  body.writeUInt32BE(size - 24, 24);
  body.write('mdat', 28, 'latin1');
  return body;
}

function pdfText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, (c) => `\\${c}`);
}

/** Pages a PDF of `size` bytes gets: a page holds at most ~4.5 KB, the rest is padding. */
function pdfPages(size: number): number {
  return Math.max(1, Math.floor((size - 2048) / 4800));
}

/**
 * A valid PDF (catalog, pages, Helvetica, one text stream per page, xref) of exactly `size` bytes (at least
 * 8 KB): pages of `lines` wrapped to 90 columns, then a comment block to the planned size.
 */
export function pdf(size: number, title: string, lines: readonly string[]): Buffer {
  const pages = pdfPages(size);
  const wrapped = lines.flatMap((line) => line.match(/.{1,90}(\s|$)/g) ?? ['']).map((l) => l.trimEnd());
  const objects: string[] = [];
  const pageIds = Array.from({ length: pages }, (_, i) => 4 + i * 2);
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages} >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  for (let page = 0; page < pages; page++) {
    const pageLines = [
      page === 0 ? title : `${title} (page ${page + 1})`,
      '',
      ...Array.from({ length: 44 }, (_, i) => wrapped[(page * 44 + i) % Math.max(1, wrapped.length)] ?? ''),
    ];
    const stream = `BT /F1 10 Tf 14 TL 60 760 Td ${pageLines.map((l) => `(${pdfText(l)}) '`).join(' ')} ET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + page * 2} 0 R >>`,
    );
    objects.push(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
  }
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const trailerFor = (xrefAt: number): string =>
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets
      .map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`)
      .join('')}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  const bodyBytes = Buffer.byteLength(body, 'latin1');
  // The trailer's length depends on the digits of its own offset: settle it in a few rounds.
  let xrefAt = size;
  for (let round = 0; round < 3; round++) xrefAt = size - Buffer.byteLength(trailerFor(xrefAt), 'latin1');
  let padding = xrefAt - bodyBytes;
  if (padding < 0) throw new Error(`PDF "${title}" came out larger than planned`);
  let comment = '';
  while (padding > 0) {
    const line = Math.min(padding, 80);
    comment += line === 1 ? '\n' : `%${'~'.repeat(line - 2)}\n`;
    padding -= line;
  }
  const out = Buffer.from(body + comment + trailerFor(bodyBytes + comment.length), 'latin1');
  if (out.length !== size) throw new Error(`PDF "${title}" is ${out.length} bytes, planned ${size}`);
  return out;
}
