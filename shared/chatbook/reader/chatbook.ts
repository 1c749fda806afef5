/**
 * openChatbook: validates a whole chatbook archive (container, names, sizes, ratios, layout, headers, CRCs,
 * manifest, item files, v1.1 inventory digests) before handing out a single item, with one decompression pass.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { NotFoundError, asError } from '../../errors';
import { MANIFEST_PATH, isContentType, itemFilePath } from '../layout';
import { parseManifest } from '../schema/manifest';
import type { ChatbookManifest } from '../schema/manifest';
import { formatBytes, reject } from './errors';
import {
  ReadAhead,
  checkLocalHeader,
  entryChunks,
  inflateSmall,
  isSmallEntry,
  needsLocalExtra,
  verifySmall,
} from './entry-data';
import type { ReadRange } from './entry-data';
import { checkedDirectory, entryLocator } from './entry-locator';
import { DEFAULT_LIMITS, pathProblem } from './rules';
import type { ChatbookLimits } from './rules';
import type { RandomAccessSource } from './sources';
import { ParallelVerifier, worthAWorker } from './parallel-verify';
import type { VerifiedEntryHandler } from './parallel-verify';
import { LOCAL_HEADER_LENGTH, METHOD_STORED } from './zip-format';
import type { ZipEntry } from './zip-format';

export type ContentItemRef = ChatbookManifest['content_items'][number];

export interface OpenChatbookOptions {
  limits?: Partial<ChatbookLimits>;
  /** Budget for item files kept inflated from the validation pass, so items() need not inflate them again. Default 64 MiB. */
  itemCacheBytes?: number;
  /** Size of the sequential reads of the validation pass and of entry streams. Default 4 MiB. */
  readAheadBytes?: number;
  /**
   * false skips the pass over every entry's data (CRC-32, inventory SHA-256): for a later reader of an archive
   * already validated whole, whose bytes are pinned (an S3 ETag). Structure, manifest and paths are still
   * checked, and every entry read is still CRC-checked.
   */
  verifyData?: boolean;
  /**
   * Whether small entries are inflated and checked on a worker thread during validation. Default: when the
   * archive has enough of them to pay for the thread (thousands of entries or tens of MiB).
   */
  inflateWorker?: boolean;
  /** Compressed bytes handed to that worker before the manifest is parsed, to inflate meanwhile. Default 16 MiB. */
  workerPrefetchBytes?: number;
}

export interface ArchiveEntryInfo {
  readonly index: number;
  readonly name: string;
  readonly isDirectory: boolean;
  readonly method: 'stored' | 'deflate';
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
}

export interface ArchiveIntegrity {
  /** Files whose size and CRC-32 were verified by inflating them (every file in the archive). */
  readonly verifiedFiles: number;
  /** v1.1 file_inventory records whose size and SHA-256 matched (0 for 1.0.0). */
  readonly inventoryVerifiedFiles: number;
  readonly uncompressedBytes: number;
  readonly usesZip64: boolean;
}

export interface ChatbookItem {
  readonly ref: ContentItemRef;
  readonly path: string;
  readonly bytes: Buffer;
}

export interface ChatbookArchive {
  readonly manifest: ChatbookManifest;
  readonly version: '1.0.0' | '1.1.0';
  readonly declaredVersion: string;
  readonly warnings: readonly string[];
  readonly entries: ReadonlyArray<ArchiveEntryInfo>;
  readonly integrity: ArchiveIntegrity;
  /** Each content item that has a file, in manifest order, one at a time. */
  items(): AsyncIterable<ChatbookItem>;
  hasEntry(path: string): boolean;
  /** Streams one file (media blobs), inflated and CRC-checked again as it goes. */
  openEntry(path: string): Readable;
  readEntry(path: string): Promise<Buffer>;
  /** Closes the underlying source. */
  close(): Promise<void>;
}

interface InventoryRecord {
  path?: unknown;
  size_bytes?: unknown;
  integrity?: { value?: unknown } | null;
}

const DEFAULT_ITEM_CACHE_BYTES = 64 * 1024 * 1024;
const DEFAULT_READ_AHEAD_BYTES = 4 * 1024 * 1024;
const MAX_REPORTED_ISSUES = 20;
const DEFAULT_PREFETCH_BYTES = 16 * 1024 * 1024;

/** What a caller may know of an entry (no offsets or raw fields). */
export function entryInfo(entry: ZipEntry): ArchiveEntryInfo {
  return {
    index: entry.index,
    name: entry.name,
    isDirectory: entry.isDirectory,
    method: entry.method === METHOD_STORED ? 'stored' : 'deflate',
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
  };
}

export function resolveLimits(overrides: Partial<ChatbookLimits> | undefined): ChatbookLimits {
  const limits: ChatbookLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ChatbookLimits)[]) {
    const value = overrides?.[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`Chatbook limit ${key} must be a non-negative number.`);
    limits[key] = value;
  }
  return limits;
}

export async function openChatbook(
  source: RandomAccessSource,
  options: OpenChatbookOptions = {},
): Promise<ChatbookArchive> {
  const limits = resolveLimits(options.limits);
  const readAheadBytes = options.readAheadBytes ?? DEFAULT_READ_AHEAD_BYTES;
  let cacheBudget = options.itemCacheBytes ?? DEFAULT_ITEM_CACHE_BYTES;

  // 1. Container and central directory: nothing is inflated until all of these pass.
  const { directory, inOffsetOrder } = await checkedDirectory(source, limits);
  const allEntries = directory.entries;
  const { files, localHeader, dataStarts, nextInFile, nextStart } = entryLocator(
    source,
    directory,
    inOffsetOrder,
  );
  const directRead: ReadRange = (offset, length) => source.read(offset, length);
  const inflateEntry = async (read: ReadRange, entry: ZipEntry): Promise<Buffer> => {
    const dataStart = await localHeader(read, entry);
    if (isSmallEntry(entry, readAheadBytes)) {
      const bytes = inflateSmall(entry, await read(dataStart, entry.compressedSize));
      return entry.method === METHOD_STORED ? Buffer.from(bytes) : bytes;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of entryChunks(read, entry, dataStart, readAheadBytes))
      chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  };

  // 2. The manifest.
  const manifestEntry = files.get(MANIFEST_PATH);
  if (!manifestEntry) {
    throw reject(
      'manifest_missing',
      'The archive has no manifest.json at its root, so it is not a chatbook. Export it again from tldw or Chatbooks.',
    );
  }
  if (manifestEntry.uncompressedSize > limits.maxManifestBytes) {
    throw reject(
      'manifest_too_large',
      `manifest.json is ${formatBytes(manifestEntry.uncompressedSize)}, over the ${formatBytes(limits.maxManifestBytes)} limit. Split the chatbook into smaller exports.`,
      {
        entryIndex: manifestEntry.index,
        manifestBytes: manifestEntry.uncompressedSize,
        maxManifestBytes: limits.maxManifestBytes,
      },
    );
  }
  const manifestBytes = await inflateEntry(directRead, manifestEntry);

  // Item files kept from validation, by entry index: the bytes are itemSlabs[i][itemAt[i], + size), so that
  // 100,000 kept files are not 100,000 long-lived Buffer objects; items() makes each view as it hands it out.
  const itemSlabs: (Buffer | undefined)[] = [];
  const itemAt = new Float64Array(allEntries.length);
  const isItemFile = new Uint8Array(allEntries.length);
  let expectedDigests = new Map<string, string>();
  let verifiedFiles = 0;
  let inventoryVerifiedFiles = 0;
  let uncompressedBytes = 0;
  const verifyData = options.verifyData !== false;
  const prefetchBytes = options.workerPrefetchBytes ?? DEFAULT_PREFETCH_BYTES;
  // Each content item with a file, in manifest order (parallel arrays: no object per item).
  const itemRefs: ContentItemRef[] = [];
  const itemEntries: ZipEntry[] = [];
  let parsed: ValidManifest | undefined;
  const warnings: string[] = [];
  // The pass over every entry's data (step 4) starts before the manifest is parsed when a worker takes the
  // small entries: it inflates them while this thread parses. What it finds is applied, and any failure
  // thrown, only after the manifest's own checks, so the order of rejections stays that of a serial pass.
  const verifier =
    verifyData && usesWorker(options, inOffsetOrder, readAheadBytes) ? new ParallelVerifier() : undefined;
  try {
    const reader = new ReadAhead(source, readAheadBytes);
    let position = 0;
    // Before the manifest is parsed, the worker keeps (within the cache budget) and hashes (when the text
    // mentions an inventory at all) every small entry; unneeded results are dropped when applied.
    let manifestKnown = false;
    const hashBeforeManifest = manifestBytes.includes('"file_inventory"');
    /** Entries with an expected digest that were verified without one (kept neither bytes nor digest). */
    const digestLater: ZipEntry[] = [];
    const checkDigest = (entry: ZipEntry, digest: string): void => {
      if (digest !== expectedDigests.get(entry.name)) {
        throw reject(
          'inventory_mismatch',
          `A file's SHA-256 does not match the digest in manifest.json's file_inventory (entry ${entry.index}). The archive was modified after export: export it again.`,
          { entryIndex: entry.index },
        );
      }
      inventoryVerifiedFiles++;
    };
    const onVerified: VerifiedEntryHandler = (entry, output, at, digest) => {
      verifiedFiles++;
      if (expectedDigests.size > 0 && expectedDigests.has(entry.name)) {
        if (digest) checkDigest(entry, digest.toString('hex'));
        else if (output) checkDigest(entry, sha256Hex(output.subarray(at, at + entry.uncompressedSize)));
        else digestLater.push(entry);
      }
      if (!output) return;
      if (isItemFile[entry.index] === 1) {
        itemSlabs[entry.index] = output;
        itemAt[entry.index] = at;
      } else {
        cacheBudget += entry.uncompressedSize;
      }
    };

    /** Verifies entries in file order from `position`; before the manifest, only small ones, up to a bound. */
    const verifyEntries = async (): Promise<void> => {
      let prefetched = 0;
      for (; position < inOffsetOrder.length; position++) {
        const entry = inOffsetOrder[position]!;
        const index = entry.index;
        const small = isSmallEntry(entry, readAheadBytes);
        // Before the manifest is known only small entries go (to the worker); the manifest itself, already
        // checked, may be large and sit first (tldw writes it first).
        if (!manifestKnown && entry !== manifestEntry && (!small || prefetched >= prefetchBytes)) return;
        let dataStart = dataStarts[index]!;
        if (dataStart < 0) {
          // Synchronous fast path while the window holds the bytes: one promise per entry costs more than inflating it.
          const at = reader.find(entry.localHeaderOffset, LOCAL_HEADER_LENGTH + entry.nameLength);
          if (at >= 0 && !needsLocalExtra(reader.buffer, at)) {
            const next = nextInFile[index]!;
            dataStart = checkLocalHeader(
              reader.buffer,
              at,
              undefined,
              source.size,
              entry,
              nextStart(next),
              next,
            );
            dataStarts[index] = dataStart;
          } else {
            dataStart = await localHeader(reader.read, entry);
          }
        }
        if (entry.isDirectory) continue;
        uncompressedBytes += entry.uncompressedSize;
        if (entry === manifestEntry) {
          verifiedFiles++;
          continue;
        }
        const expectedDigest = expectedDigests.size === 0 ? undefined : expectedDigests.get(entry.name);
        if (small) {
          let input = reader.buffer;
          let at = reader.find(dataStart, entry.compressedSize);
          if (at < 0) {
            // Loads the window from here on; the worker's jobs copy spans of the window rather than each entry.
            const bytes = await reader.read(dataStart, entry.compressedSize);
            input = reader.buffer;
            at = reader.find(dataStart, entry.compressedSize);
            if (at < 0) {
              input = bytes;
              at = 0;
            }
          }
          if (verifier && (!manifestKnown || verifier.takes(entry))) {
            const keep = (!manifestKnown || isItemFile[index] === 1) && entry.uncompressedSize <= cacheBudget;
            if (keep) cacheBudget -= entry.uncompressedSize;
            verifier.add(
              entry,
              input,
              at,
              keep,
              manifestKnown ? expectedDigest !== undefined : hashBeforeManifest,
            );
            prefetched += entry.compressedSize;
            if (manifestKnown) verifier.applyAnswered(onVerified);
            continue;
          }
          const keep = isItemFile[index] === 1 && entry.uncompressedSize <= cacheBudget;
          const bytes = verifySmall(entry, input, at, keep);
          if (expectedDigest !== undefined) checkDigest(entry, sha256Hex(bytes));
          if (keep) {
            itemSlabs[index] = bytes;
            itemAt[index] = 0;
            cacheBudget -= entry.uncompressedSize;
          }
        } else {
          const hash: Hash | undefined = expectedDigest === undefined ? undefined : createHash('sha256');
          for await (const chunk of entryChunks(reader.read, entry, dataStart, readAheadBytes))
            hash?.update(chunk);
          if (hash) checkDigest(entry, hash.digest('hex'));
        }
        verifiedFiles++;
      }
    };

    let prefetchFailure: Error | undefined;
    if (verifier) {
      await verifyEntries().catch((error: unknown) => {
        prefetchFailure = asError(error);
      });
    }

    parsed = validManifest(manifestBytes);
    const manifest = parsed.manifest;
    warnings.push(...parsed.warnings);

    // 3. Every content item's file, and (1.1.0) every inventory record, must name a file that is there.
    manifest.content_items.forEach((ref, itemIndex) => {
      // parseManifest already warns that items of unknown types are skipped.
      if (!isContentType(ref.type)) return;
      const declared = ref.file_path;
      const path = typeof declared === 'string' ? declared : itemFilePath(ref.type, ref.id);
      const entry = files.get(path);
      // A path found in the archive is an entry's name, which passed the same check with the directory.
      if (!entry && pathProblem(path) !== undefined) {
        throw reject(
          'unsafe_path',
          `A content item's file path in manifest.json leaves the archive or is malformed (content item ${itemIndex}). Export the chatbook again.`,
          { itemIndex },
        );
      }
      if (!entry) {
        if (declared == null && isUnbundled(ref)) {
          warnings.push(`Content item ${itemIndex} is not bundled in the archive; it was skipped.`);
          return;
        }
        throw reject(
          'missing_item_file',
          `manifest.json lists a content item whose file is not in the archive (content item ${itemIndex}). Export the chatbook again.`,
          { itemIndex },
        );
      }
      isItemFile[entry.index] = 1;
      itemRefs.push(ref);
      itemEntries.push(entry);
    });
    expectedDigests = checkInventory(manifest, files);
    manifestKnown = true;

    // 4. One pass over all data, in file order: local headers, exact layout, sizes, CRC-32 and SHA-256.
    // Item files inflated here are kept (by entry index) for items(), within the cache budget.
    if (verifyData) {
      try {
        if (prefetchFailure !== undefined) throw prefetchFailure;
        await verifyEntries();
        if (verifier) await verifier.drain(onVerified);
      } catch (error) {
        // A worker job holds entries before the one that failed here: the first failure in file order wins.
        if (verifier) await verifier.drain(onVerified);
        throw error;
      }
      for (const entry of digestLater) {
        checkDigest(entry, sha256Hex(await inflateEntry(directRead, entry)));
      }
    }
  } finally {
    await verifier?.close();
  }
  const manifest = parsed.manifest;

  // Listed on first use: most readers never ask, and an archive can hold 100,000 entries.
  let entries: ArchiveEntryInfo[] | undefined;
  const listEntries = (): ArchiveEntryInfo[] => (entries ??= directory.entries.map(entryInfo));
  const fileEntry = (path: string): ZipEntry => {
    const entry = files.get(path);
    if (!entry) throw new NotFoundError('entry_not_found', 'The chatbook has no file at that path.');
    return entry;
  };
  const readEntry = (path: string): Promise<Buffer> => inflateEntry(directRead, fileEntry(path));

  return {
    manifest,
    version: parsed.version,
    declaredVersion: parsed.declaredVersion,
    warnings,
    get entries() {
      return listEntries();
    },
    integrity: {
      verifiedFiles,
      inventoryVerifiedFiles,
      uncompressedBytes,
      usesZip64: directory.usesZip64 || directory.entries.some((e) => e.usesZip64),
    },
    items(): AsyncIterable<ChatbookItem> {
      // A plain iterator rather than an async generator: items kept from validation resolve at once, without
      // the generator's queue and resumption per item.
      let position = 0;
      const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
      const iterator: AsyncIterableIterator<ChatbookItem> = {
        next(): Promise<IteratorResult<ChatbookItem>> {
          if (position >= itemEntries.length) return Promise.resolve(done);
          const ref = itemRefs[position]!;
          const entry = itemEntries[position++]!;
          const path = entry.name;
          const slab = itemSlabs[entry.index];
          if (slab) {
            itemSlabs[entry.index] = undefined;
            const at = itemAt[entry.index]!;
            const bytes = slab.subarray(at, at + entry.uncompressedSize);
            return Promise.resolve({ done: false, value: { ref, path, bytes } });
          }
          return readEntry(path).then(
            (bytes) => ({ done: false, value: { ref, path, bytes } }),
            (error: unknown) => {
              position = itemEntries.length;
              throw error;
            },
          );
        },
        return(): Promise<IteratorResult<ChatbookItem>> {
          position = itemEntries.length;
          return Promise.resolve(done);
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
    hasEntry: (path) => files.has(path),
    openEntry(path: string): Readable {
      const entry = fileEntry(path);
      async function* chunks(): AsyncGenerator<Buffer> {
        const dataStart = await localHeader(directRead, entry);
        yield* entryChunks(directRead, entry, dataStart, readAheadBytes);
      }
      return Readable.from(chunks(), { objectMode: false });
    },
    readEntry,
    close: () => source.close(),
  };
}

function usesWorker(
  options: OpenChatbookOptions,
  inOffsetOrder: readonly ZipEntry[],
  readAheadBytes: number,
): boolean {
  if (options.inflateWorker !== undefined) return options.inflateWorker;
  let count = 0;
  let bytes = 0;
  for (const entry of inOffsetOrder) {
    if (entry.isDirectory || !isSmallEntry(entry, readAheadBytes)) continue;
    count++;
    bytes += entry.compressedSize;
  }
  return worthAWorker(count, bytes);
}

type ValidManifest = Extract<ReturnType<typeof parseManifest>, { success: true }>;

/** The parsed and checked manifest, or the rejection that says why it is not one. */
function validManifest(bytes: Buffer): ValidManifest {
  const parsed = parseManifest(decodeManifest(bytes));
  if (parsed.success) return parsed;
  const issues = parsed.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => issue.slice(0, 300));
  throw parsed.code === 'unsupported_version'
    ? reject(
        'unsupported_version',
        'The chatbook uses a format version this service cannot read. Export it again as version 1.0.0 or 1.1.0.',
        { issues },
      )
    : reject(
        'manifest_invalid',
        `manifest.json is not a valid chatbook manifest (${parsed.issues.length} problem(s); see details). Export the chatbook again.`,
        { issues },
      );
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isUnbundled(ref: ContentItemRef): boolean {
  const metadata = (ref as { metadata?: unknown }).metadata;
  return (
    typeof metadata === 'object' && metadata !== null && (metadata as { bundled?: unknown }).bundled === false
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeManifest(bytes: Buffer): unknown {
  try {
    return JSON.parse(utf8.decode(bytes)) as unknown;
  } catch {
    throw reject('manifest_invalid', 'manifest.json is not valid UTF-8 JSON. Export the chatbook again.');
  }
}

/** Checks v1.1 file_inventory records against the directory; returns path -> expected SHA-256 (hex) to verify while inflating. */
function checkInventory(
  manifest: ChatbookManifest,
  files: ReadonlyMap<string, ZipEntry>,
): Map<string, string> {
  const digests = new Map<string, string>();
  const inventory = (manifest as { file_inventory?: unknown }).file_inventory;
  if (!Array.isArray(inventory)) return digests;
  (inventory as InventoryRecord[]).forEach((record, recordIndex) => {
    const mismatch = (problem: string): never => {
      throw reject(
        'inventory_mismatch',
        `manifest.json's file_inventory does not match the archive: record ${recordIndex} ${problem}. Export the chatbook again.`,
        { inventoryIndex: recordIndex },
      );
    };
    const path = record.path;
    if (typeof path !== 'string' || pathProblem(path) !== undefined)
      return mismatch('has a malformed or unsafe path');
    const entry = files.get(path);
    if (!entry) return mismatch('names a file that is not in the archive');
    if (record.size_bytes !== entry.uncompressedSize)
      return mismatch("declares a size that differs from the file's");
    const value = record.integrity?.value;
    if (value === undefined || value === null) return;
    const match = typeof value === 'string' ? /^sha256:([0-9a-fA-F]{64})$/.exec(value) : null;
    if (!match) return mismatch('has a malformed sha256 digest');
    digests.set(path, match[1]!.toLowerCase());
  });
  return digests;
}
