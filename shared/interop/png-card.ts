/**
 * Character cards inside PNG files. Reading walks the chunks through ranged reads, looks at every text chunk
 * (`tEXt`, `zTXt`, `iTXt`) but reads only the ones keyed `chara` (V2) and `ccv3` (V3), each capped before it is
 * read or inflated; image data is skipped, never loaded. Writing puts fresh `chara` and `ccv3` tEXt chunks before
 * IEND after removing old ones, with correct CRCs, into a given PNG or a small generated placeholder.
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import type { RandomAccessSource } from '../chatbook/reader';
import { TooLargeError } from '../errors';
import { formatSize, invalidSource } from './source-format';
import type { InteropLimits } from './source-format';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE);
}

/** The keywords that hold a card, lower-cased. */
const CARD_KEYWORDS = new Set(['chara', 'ccv3']);
const TEXT_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt']);
/** A PNG keyword is 1-79 Latin-1 characters, then a NUL. */
const KEYWORD_PREFIX_BYTES = 80;
const MAX_CHUNK_LENGTH = 0x7fffffff;
const READ_WINDOW_BYTES = 64 * 1024;

export interface PngCardText {
  /** The decoded text (base64 of the card JSON) of the first `chara` chunk, if any. */
  chara?: string;
  ccv3?: string;
  /** Byte ranges of the file without the card chunks: the image to keep as the character's avatar. */
  imageSpans: [start: number, end: number][];
  warnings: string[];
}

/** Sequential reads served from a window, so walking small chunks costs few reads of the source. */
class WindowReader {
  private start = 0;
  private window: Buffer = Buffer.alloc(0);

  constructor(private readonly source: RandomAccessSource) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const relative = offset - this.start;
    if (relative >= 0 && relative + length <= this.window.length)
      return this.window.subarray(relative, relative + length);
    if (length >= READ_WINDOW_BYTES) return this.source.read(offset, length);
    this.start = offset;
    this.window = await this.source.read(offset, Math.min(this.source.size - offset, READ_WINDOW_BYTES));
    return this.window.subarray(0, length);
  }
}

function damaged(problem: string): Error {
  return invalidSource(
    'png_invalid',
    `The PNG file is damaged (${problem}). Save the character card again from the tool it came from.`,
  );
}

function textTooLarge(bytes: number, limit: number): TooLargeError {
  return new TooLargeError(
    'png_chunk_too_large',
    `The card data inside the PNG is ${formatSize(bytes)}, over the ${formatSize(limit)} limit. Export the character as JSON or CHARX instead.`,
    { details: { bytes, maxPngTextBytes: limit } },
  );
}

/** The text of a card chunk (its data after the keyword and NUL), inflated with the limit as a hard cap. */
function chunkText(type: string, data: Buffer, keywordLength: number, limit: number): string {
  const rest = data.subarray(keywordLength + 1);
  const inflate = (compressed: Buffer): Buffer => {
    try {
      return inflateSync(compressed, { maxOutputLength: limit });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw textTooLarge(limit + 1, limit);
      throw damaged('a compressed text chunk cannot be inflated');
    }
  };
  if (type === 'tEXt') return rest.toString('latin1');
  if (type === 'zTXt') return inflate(rest.subarray(1)).toString('latin1');
  // iTXt: compression flag, method, language tag NUL, translated keyword NUL, UTF-8 text.
  const compressed = rest[0] === 1;
  const languageEnd = rest.indexOf(0, 2);
  const translatedEnd = languageEnd < 0 ? -1 : rest.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw damaged('an international text chunk is malformed');
  const body = rest.subarray(translatedEnd + 1);
  return (compressed ? inflate(body) : body).toString('utf8');
}

/** Finds the card text chunks of a PNG (every text chunk is looked at; the first `chara` and `ccv3` win). */
export async function readPngCardText(
  source: RandomAccessSource,
  limits: Pick<InteropLimits, 'maxPngTextBytes' | 'maxPngChunks'>,
): Promise<PngCardText> {
  if (source.size < PNG_SIGNATURE.length) throw damaged('it is too short');
  const reader = new WindowReader(source);
  if (!isPng(await reader.read(0, PNG_SIGNATURE.length))) throw damaged('it has no PNG signature');
  const result: PngCardText = { imageSpans: [], warnings: [] };
  let spanStart = 0;
  let offset = PNG_SIGNATURE.length;
  let sawEnd = false;
  for (let chunks = 0; !sawEnd; chunks++) {
    if (chunks >= limits.maxPngChunks)
      throw damaged(`it has more than ${limits.maxPngChunks} chunks, more than any card image needs`);
    if (offset + 12 > source.size) throw damaged('it ends in the middle of a chunk');
    const header = await reader.read(offset, 8);
    const length = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    if (length > MAX_CHUNK_LENGTH || offset + 12 + length > source.size)
      throw damaged('a chunk runs past the end of the file');
    const dataStart = offset + 8;
    const chunkEnd = dataStart + length + 4;
    if (type === 'IEND') sawEnd = true;
    if (TEXT_CHUNKS.has(type) && length > 0) {
      const prefix = await reader.read(dataStart, Math.min(length, KEYWORD_PREFIX_BYTES));
      const keywordLength = prefix.indexOf(0);
      const keyword = keywordLength > 0 ? prefix.toString('latin1', 0, keywordLength).toLowerCase() : '';
      if (CARD_KEYWORDS.has(keyword)) {
        // Capped before reading: a compressed chunk is held to the same limit as its inflated text.
        if (length > limits.maxPngTextBytes) throw textTooLarge(length, limits.maxPngTextBytes);
        const chunk = await reader.read(offset + 4, length + 8);
        const data = chunk.subarray(4, 4 + length);
        if (crc32(chunk.subarray(0, 4 + length)) !== chunk.readUInt32BE(4 + length))
          result.warnings.push(`the ${keyword} chunk's checksum does not match; its text was read anyway`);
        const field = keyword === 'ccv3' ? 'ccv3' : 'chara';
        if (result[field] === undefined)
          result[field] = chunkText(type, data, keywordLength, limits.maxPngTextBytes);
        // The card chunks are not part of the image kept as the avatar.
        if (offset > spanStart) result.imageSpans.push([spanStart, offset]);
        spanStart = chunkEnd;
      }
    }
    offset = chunkEnd;
  }
  if (offset > spanStart) result.imageSpans.push([spanStart, offset]);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function textChunk(keyword: string, text: string): Buffer {
  return chunk(
    'tEXt',
    Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]),
  );
}

interface PngChunk {
  type: string;
  start: number;
  end: number;
  keyword?: string;
}

/** The chunks of a PNG held in memory, checked for structure (not CRCs: we only copy them). */
function chunksOf(png: Buffer): PngChunk[] {
  if (!isPng(png)) throw new RangeError('The image is not a PNG.');
  const chunks: PngChunk[] = [];
  let offset = PNG_SIGNATURE.length;
  while (offset + 12 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > png.length) throw new RangeError('The PNG is truncated.');
    const entry: PngChunk = { type, start: offset, end };
    if (TEXT_CHUNKS.has(type)) {
      const data = png.subarray(offset + 8, offset + 8 + Math.min(length, KEYWORD_PREFIX_BYTES));
      const nul = data.indexOf(0);
      if (nul > 0) entry.keyword = data.toString('latin1', 0, nul).toLowerCase();
    }
    chunks.push(entry);
    offset = end;
    if (type === 'IEND') return chunks;
  }
  throw new RangeError('The PNG has no IEND chunk.');
}

/**
 * The PNG with `chara` (base64 of the V2 JSON) and `ccv3` (base64 of the V3 JSON) text chunks before IEND; any
 * card chunks it had are removed first.
 */
export function embedCardChunks(png: Buffer, cards: { chara: string; ccv3: string }): Buffer {
  const parts: Buffer[] = [PNG_SIGNATURE];
  for (const entry of chunksOf(png)) {
    if (entry.keyword !== undefined && CARD_KEYWORDS.has(entry.keyword)) continue;
    if (entry.type === 'IEND') {
      parts.push(textChunk('chara', Buffer.from(cards.chara, 'utf8').toString('base64')));
      parts.push(textChunk('ccv3', Buffer.from(cards.ccv3, 'utf8').toString('base64')));
    }
    parts.push(png.subarray(entry.start, entry.end));
  }
  return Buffer.concat(parts);
}

/** A small square PNG of one colour, for a character that has no image; the colour follows from `seed`. */
export function placeholderPng(seed: string, size = 64): Buffer {
  const digest = crc32(Buffer.from(seed, 'utf8'));
  const rgb = [(digest >>> 16) & 0xff, (digest >>> 8) & 0xff, digest & 0xff].map((c) => 64 + (c % 160));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  const row = Buffer.alloc(1 + size * 3);
  for (let x = 0; x < size; x++) row.set(rgb, 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
