/**
 * A ZIP that is not a chatbook (a ChatGPT data export, a CHARX card), held to every container rule of the chatbook
 * validator: sizes, entry count, ratios, names, layout, local headers, and (unless `verifyData` is false) the size
 * and CRC-32 of every entry, checked in one pass before a single entry is handed out. No manifest is required.
 */
import { Readable } from 'node:stream';
import { NotFoundError } from '../../errors';
import { entryInfo, resolveLimits } from './chatbook';
import type { ArchiveEntryInfo, ArchiveIntegrity } from './chatbook';
import { ReadAhead, entryChunks, inflateSmall, isSmallEntry, verifySmall } from './entry-data';
import type { ReadRange } from './entry-data';
import { checkedDirectory, entryLocator } from './entry-locator';
import type { ChatbookLimits } from './rules';
import type { RandomAccessSource } from './sources';
import { METHOD_STORED } from './zip-format';
import type { ZipEntry } from './zip-format';

export interface OpenZipArchiveOptions {
  limits?: Partial<ChatbookLimits>;
  /** false skips the CRC-32 pass over every entry's data (an archive already validated whole); reads still check. */
  verifyData?: boolean;
  /** Size of the sequential reads of the validation pass and of entry streams. Default 4 MiB. */
  readAheadBytes?: number;
}

export interface ZipArchive {
  readonly entries: ReadonlyArray<ArchiveEntryInfo>;
  readonly integrity: ArchiveIntegrity;
  hasEntry(path: string): boolean;
  /** The file entry at `path` (folders are not files), if there is one. */
  entry(path: string): ArchiveEntryInfo | undefined;
  readEntry(path: string): Promise<Buffer>;
  /** Streams one file, inflated and CRC-checked as it goes. */
  openEntry(path: string): Readable;
  close(): Promise<void>;
}

const DEFAULT_READ_AHEAD_BYTES = 4 * 1024 * 1024;

/**
 * The names of the files in a ZIP, once the directory-level rules have passed (nothing is inflated): enough to
 * tell what kind of archive it is before paying for the data pass.
 */
export async function listZipFileNames(
  source: RandomAccessSource,
  options: Pick<OpenZipArchiveOptions, 'limits'> = {},
): Promise<string[]> {
  const { directory } = await checkedDirectory(source, resolveLimits(options.limits));
  return directory.entries.filter((entry) => !entry.isDirectory).map((entry) => entry.name);
}

export async function openZipArchive(
  source: RandomAccessSource,
  options: OpenZipArchiveOptions = {},
): Promise<ZipArchive> {
  const limits = resolveLimits(options.limits);
  const readAheadBytes = options.readAheadBytes ?? DEFAULT_READ_AHEAD_BYTES;
  const { directory, inOffsetOrder } = await checkedDirectory(source, limits);
  const allEntries = directory.entries;

  const { files, localHeader } = entryLocator(source, directory, inOffsetOrder);
  const directRead: ReadRange = (offset, length) => source.read(offset, length);

  let verifiedFiles = 0;
  let uncompressedBytes = 0;
  for (const entry of allEntries) uncompressedBytes += entry.uncompressedSize;
  if (options.verifyData !== false) {
    const reader = new ReadAhead(source, readAheadBytes);
    for (const entry of inOffsetOrder) {
      const dataStart = await localHeader(reader.read, entry);
      if (entry.isDirectory) continue;
      if (isSmallEntry(entry, readAheadBytes)) {
        verifySmall(entry, await reader.read(dataStart, entry.compressedSize), 0, false);
      } else {
        // entryChunks checks the size as it goes and the CRC-32 at the end; the bytes themselves are not needed.
        for await (const _chunk of entryChunks(reader.read, entry, dataStart, readAheadBytes));
      }
      verifiedFiles++;
    }
  }

  const fileEntry = (path: string): ZipEntry => {
    const entry = files.get(path);
    if (!entry) throw new NotFoundError('entry_not_found', 'The archive has no file at that path.');
    return entry;
  };
  const readEntry = async (path: string): Promise<Buffer> => {
    const entry = fileEntry(path);
    const dataStart = await localHeader(directRead, entry);
    if (isSmallEntry(entry, readAheadBytes)) {
      const bytes = inflateSmall(entry, await directRead(dataStart, entry.compressedSize));
      return entry.method === METHOD_STORED ? Buffer.from(bytes) : bytes;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of entryChunks(directRead, entry, dataStart, readAheadBytes))
      chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  };

  return {
    entries: allEntries.map(entryInfo),
    integrity: {
      verifiedFiles,
      inventoryVerifiedFiles: 0,
      uncompressedBytes,
      usesZip64: directory.usesZip64 || allEntries.some((entry) => entry.usesZip64),
    },
    hasEntry: (path) => files.has(path),
    entry(path) {
      const entry = files.get(path);
      return entry && entryInfo(entry);
    },
    readEntry,
    openEntry(path: string): Readable {
      const entry = fileEntry(path);
      async function* chunks(): AsyncGenerator<Buffer> {
        const dataStart = await localHeader(directRead, entry);
        yield* entryChunks(directRead, entry, dataStart, readAheadBytes);
      }
      return Readable.from(chunks(), { objectMode: false });
    },
    close: () => source.close(),
  };
}
