/** The steps every ZIP we open shares: the checked central directory, and where each entry's data starts. */
import type { ReadRange } from './entry-data';
import { readLocalHeader } from './entry-data';
import { checkArchiveSize, checkDirectory, checkEntryCount, type ChatbookLimits } from './rules';
import type { RandomAccessSource } from './sources';
import {
  locateCentralDirectory,
  readCentralDirectory,
  type CentralDirectory,
  type ZipEntry,
} from './zip-format';

/** Container and central directory: nothing is inflated until all of these pass. */
export async function checkedDirectory(
  source: RandomAccessSource,
  limits: ChatbookLimits,
): Promise<{ directory: CentralDirectory; inOffsetOrder: readonly ZipEntry[] }> {
  checkArchiveSize(source.size, limits);
  const location = await locateCentralDirectory(source);
  checkEntryCount(location.entryCount, limits);
  const directory = await readCentralDirectory(source, location);
  return { directory, inOffsetOrder: checkDirectory(directory, limits) };
}

export interface EntryLocator {
  files: Map<string, ZipEntry>;
  /** Where the entry's data starts (its local header read and checked on first use). */
  localHeader: (read: ReadRange, entry: ZipEntry) => Promise<number>;
  /** By entry index: data starts known so far (-1 before), for a reader that checks headers itself in bulk. */
  dataStarts: Float64Array;
  /** By entry index: the next entry in file order (-1 for the last). */
  nextInFile: Int32Array;
  /** Where the entry after `next` (an index, or -1) starts: its local header, or the central directory. */
  nextStart: (next: number) => number;
}

/**
 * The archive's files by name, and where an entry's data starts, found on first use: its local header read and
 * checked against the central directory and the entry that follows it in the file.
 */
export function entryLocator(
  source: RandomAccessSource,
  directory: CentralDirectory,
  inOffsetOrder: readonly ZipEntry[],
): EntryLocator {
  const allEntries = directory.entries;
  const files = new Map<string, ZipEntry>();
  for (const entry of allEntries) if (!entry.isDirectory) files.set(entry.name, entry);
  // Indexed by entry index (arrays, not maps: 100,000 entries are common): the next entry in file order (-1
  // for the last), and where each entry's data starts once its local header has been checked (-1 before).
  const nextInFile = new Int32Array(allEntries.length).fill(-1);
  for (let position = 1; position < inOffsetOrder.length; position++)
    nextInFile[inOffsetOrder[position - 1]!.index] = inOffsetOrder[position]!.index;
  const dataStarts = new Float64Array(allEntries.length).fill(-1);
  const nextStart = (next: number): number =>
    next < 0 ? directory.centralDirectoryOffset : allEntries[next]!.localHeaderOffset;
  const localHeader = async (read: ReadRange, entry: ZipEntry): Promise<number> => {
    const known = dataStarts[entry.index]!;
    if (known >= 0) return known;
    const next = nextInFile[entry.index]!;
    const dataStart = await readLocalHeader(read, source.size, entry, nextStart(next), next);
    dataStarts[entry.index] = dataStart;
    return dataStart;
  };
  return { files, localHeader, dataStarts, nextInFile, nextStart };
}
