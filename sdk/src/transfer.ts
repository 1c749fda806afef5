/**
 * Moving bytes without holding them: chatbook sources read as streams, the presigned POST's multipart body built
 * as a stream (with its length known up front, as S3 wants), and downloads metered and hashed on their way through.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';

/** Bytes moved so far, and the total when it is known. */
export interface TransferProgress {
  transferredBytes: number;
  totalBytes: number | undefined;
}

export type ProgressCallback = (progress: TransferProgress) => void;

/** A chatbook to upload: a file path, bytes, a Blob, or a stream (Web or Node) with its size given. */
export type UploadSource =
  string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** A source opened for reading: its size and name, and its bytes as a stream (read once). */
export interface OpenedSource {
  sizeBytes: number;
  fileName: string;
  chunks(): AsyncIterable<Uint8Array>;
}

async function* singleChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}

export async function openSource(
  source: UploadSource,
  options: { sizeBytes?: number | undefined; fileName?: string | undefined },
): Promise<OpenedSource> {
  if (typeof source === 'string') {
    const info = await stat(source);
    if (!info.isFile()) throw new TypeError(`${source} is not a file.`);
    return {
      sizeBytes: info.size,
      fileName: options.fileName ?? basename(source),
      chunks: () => createReadStream(source, { highWaterMark: 1024 * 1024 }),
    };
  }
  const fileName = options.fileName ?? 'upload.chatbook';
  if (source instanceof Uint8Array) {
    return { sizeBytes: source.byteLength, fileName, chunks: () => singleChunk(source) };
  }
  if (source instanceof Blob) {
    return {
      sizeBytes: source.size,
      fileName,
      chunks: () => source.stream(),
    };
  }
  if (options.sizeBytes === undefined) {
    throw new TypeError('Give sizeBytes to upload a stream: the presigned POST needs the length up front.');
  }
  // Node's Web ReadableStream is async iterable too.
  const stream = source as AsyncIterable<Uint8Array>;
  return { sizeBytes: options.sizeBytes, fileName, chunks: () => stream };
}

/** All of a (small) source's bytes. */
export async function readAll(source: OpenedSource): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source.chunks()) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Counts bytes as they are pulled, reporting at most every 100 ms and once at the end. */
async function* metered(
  chunks: AsyncIterable<Uint8Array>,
  totalBytes: number | undefined,
  onProgress: ProgressCallback | undefined,
): AsyncIterable<Uint8Array> {
  let transferredBytes = 0;
  let reportedAt = 0;
  for await (const chunk of chunks) {
    transferredBytes += chunk.byteLength;
    yield chunk;
    const now = Date.now();
    if (onProgress && now - reportedAt >= 100) {
      reportedAt = now;
      onProgress({ transferredBytes, totalBytes });
    }
  }
  onProgress?.({ transferredBytes, totalBytes });
}

function formField(value: string): string {
  // Field names and values come from the presigned POST; quotes and line breaks would break the framing.
  return value.replace(/"/g, '%22').replace(/\r|\n/g, ' ');
}

/**
 * A multipart/form-data body for a presigned POST: every field as given, then the file as the last field named
 * `file`. Streamed, with its exact length, so the file is never held in memory.
 */
export function presignedPostBody(
  fields: Record<string, string>,
  file: OpenedSource,
  onProgress?: ProgressCallback,
): { body: ReadableStream<Uint8Array>; contentType: string; contentLength: number } {
  const boundary = `----chatbooks-${randomUUID()}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${formField(name)}"\r\n\r\n${value}\r\n`,
      )
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${formField(file.fileName)}"\r\n` +
      'Content-Type: application/zip\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* parts(): AsyncIterable<Uint8Array> {
    yield head;
    yield* metered(file.chunks(), file.sizeBytes, onProgress);
    yield tail;
  }
  return {
    body: Readable.toWeb(Readable.from(parts())),
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: head.byteLength + file.sizeBytes + tail.byteLength,
  };
}

/** What passed through a meter: the byte count and the SHA-256 (hex), once the stream has ended. */
export interface Metered {
  stream: ReadableStream<Uint8Array>;
  result(): { bytes: number; sha256: string };
}

/** Passes a download through, counting and hashing it (nothing is kept). */
export function meterDownload(
  body: ReadableStream<Uint8Array>,
  totalBytes: number | undefined,
  onProgress: ProgressCallback | undefined,
): Metered {
  const hash = createHash('sha256');
  let bytes = 0;
  let reportedAt = 0;
  let digest: string | undefined;
  const meter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      controller.enqueue(chunk);
      const now = Date.now();
      if (onProgress && now - reportedAt >= 100) {
        reportedAt = now;
        onProgress({ transferredBytes: bytes, totalBytes });
      }
    },
    flush() {
      digest = hash.digest('hex');
      onProgress?.({ transferredBytes: bytes, totalBytes });
    },
  });
  return {
    stream: body.pipeThrough(meter),
    result: () => ({ bytes, sha256: digest ?? '' }),
  };
}

/** The file name a Content-Disposition header gives, if any (RFC 6266, both forms). */
export function fileNameOf(contentDisposition: string | null): string | undefined {
  if (!contentDisposition) return undefined;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(contentDisposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      return undefined;
    }
  }
  return /filename\s*=\s*"([^"]*)"/i.exec(contentDisposition)?.[1] ?? undefined;
}
