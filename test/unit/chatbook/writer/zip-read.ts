// Test helpers: collect the writer's output and read it back with yauzl (an independent ZIP reader).
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { writeChatbook } from '../../../../shared/chatbook/writer';
import type {
  ChatbookEntry,
  WriteChatbookOptions,
  WriteChatbookResult,
} from '../../../../shared/chatbook/writer';

export interface ReadEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  data: Buffer;
}

export async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function* fromArray(entries: ChatbookEntry[]): AsyncGenerator<ChatbookEntry> {
  for (const entry of entries) yield await Promise.resolve(entry);
}

export async function writeToBuffer(
  options: Partial<WriteChatbookOptions> & { entries: AsyncIterable<ChatbookEntry> },
): Promise<{ archive: Buffer; result: WriteChatbookResult }> {
  const { stream, result } = writeChatbook({
    manifest: { name: 'Test book', description: 'For tests', content_items: [] },
    version: '1.1.0',
    ...options,
  });
  const archive = await collect(stream);
  return { archive, result: await result };
}

/** Every entry with its decompressed bytes (yauzl checks each CRC while reading). */
export async function readZip(archive: Buffer, withData = true): Promise<ReadEntry[]> {
  const zip = await yauzl.fromBufferPromise(archive, { lazyEntries: true, validateEntrySizes: true });
  const entries: ReadEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    const data = withData ? await collect(await zip.openReadStreamPromise(entry)) : Buffer.alloc(0);
    entries.push({
      name: entry.fileName,
      method: entry.compressionMethod,
      crc32: entry.crc32,
      compressedSize: entry.compressedSize,
      uncompressedSize: entry.uncompressedSize,
      data,
    });
  }
  zip.close();
  return entries;
}

export function streamOf(chunks: Buffer[]): AsyncIterable<Uint8Array> {
  return Readable.from(chunks);
}
