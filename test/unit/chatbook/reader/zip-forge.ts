/**
 * A byte-level ZIP forge for tests: writes local headers, data, central directory, ZIP64 records and the EOCD
 * with every field overridable, so hostile archives (lying sizes, overlaps, bad names, symlinks...) can be
 * built in the test that needs them. Not a general ZIP writer: correctness is whatever the test asks for.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { TLDW_V1_0_MANIFEST, TLDW_V1_1_MANIFEST } from '../schema/fixtures';

export interface LocalOverrides {
  signature?: number;
  versionNeeded?: number;
  flags?: number;
  method?: number;
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  name?: string | Buffer;
  extra?: Buffer;
}

export interface CentralOverrides {
  signature?: number;
  versionMadeBy?: number;
  versionNeeded?: number;
  flags?: number;
  method?: number;
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  diskStart?: number;
  externalAttributes?: number;
  localHeaderOffset?: number;
  extra?: Buffer;
  comment?: Buffer;
}

export interface ForgeEntry {
  name: string | Buffer;
  /** Uncompressed content. */
  data?: Buffer | string;
  /** 0 stored, 8 deflate (default: deflate when there is data, stored for folders and empty files). */
  method?: number;
  /** Compressed bytes to write instead of compressing `data`. */
  compressed?: Buffer;
  /** UTF-8 flag (bit 11); default on when the name is not ASCII. */
  utf8?: boolean;
  /** Write ZIP64 extra fields (sizes and offset saturated in the 32-bit slots). */
  zip64?: boolean;
  /** Set flag bit 3, zero the local CRC/sizes and append a data descriptor. */
  dataDescriptor?: boolean;
  /** Do not write a local header and data: the central record must point somewhere else (overlap bombs). */
  skipLocal?: boolean;
  local?: LocalOverrides;
  central?: CentralOverrides;
}

export interface EndOverrides {
  diskNumber?: number;
  directoryDisk?: number;
  entriesOnDisk?: number;
  totalEntries?: number;
  directorySize?: number;
  directoryOffset?: number;
  comment?: Buffer;
}

export interface ForgeOptions {
  /** Write the ZIP64 end record and locator and saturate the EOCD fields. */
  zip64?: boolean;
  eocd?: EndOverrides;
  eocd64?: EndOverrides & { locatorDisk?: number; totalDisks?: number; recordOffset?: number };
  /** Bytes before the first entry (self-extractor stubs) or between the directory and the end record. */
  prefix?: Buffer;
  beforeEnd?: Buffer;
  /** Cut the result to this many bytes. */
  truncateTo?: number;
}

export const UNIX_FILE = (0o100644 << 16) >>> 0;
export const UNIX_DIR = (0o040755 << 16) >>> 0;
export const UNIX_SYMLINK = (0o120777 << 16) >>> 0;
const MADE_BY_UNIX = (3 << 8) | 30;

function bytesOf(value: string | Buffer | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function isAscii(bytes: Buffer): boolean {
  return bytes.every((byte) => byte < 0x80);
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}

function u64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
}

export function extraField(id: number, data: Buffer): Buffer {
  return Buffer.concat([u16(id), u16(data.length), data]);
}

/** What a forged entry resolves to before layout: the values a correct writer would record. */
export interface PreparedEntry {
  forge: ForgeEntry;
  nameBytes: Buffer;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  payload: Buffer;
}

export function prepareEntry(forge: ForgeEntry): PreparedEntry {
  const nameBytes = bytesOf(forge.name);
  const data = bytesOf(forge.data);
  const isFolder = nameBytes.at(-1) === 0x2f;
  const method = forge.method ?? (data.length > 0 && !isFolder ? 8 : 0);
  const payload = forge.compressed ?? (method === 8 ? deflateRawSync(data) : data);
  let flags = (forge.utf8 ?? !isAscii(nameBytes)) ? 0x0800 : 0;
  if (forge.dataDescriptor) flags |= 0x0008;
  return {
    forge,
    nameBytes,
    flags,
    method,
    crc32: crc32(data),
    compressedSize: payload.length,
    uncompressedSize: data.length,
    payload,
  };
}

export function localHeader(entry: PreparedEntry): Buffer {
  const o = entry.forge.local ?? {};
  const zip64 = entry.forge.zip64 === true;
  const descriptor = entry.forge.dataDescriptor === true;
  const extra =
    o.extra ??
    (zip64
      ? extraField(1, Buffer.concat([u64(entry.uncompressedSize), u64(entry.compressedSize)]))
      : Buffer.alloc(0));
  const name = o.name === undefined ? entry.nameBytes : bytesOf(o.name);
  const plainSize = (size: number): number => (zip64 ? 0xffffffff : descriptor ? 0 : size);
  return Buffer.concat([
    u32(o.signature ?? 0x04034b50),
    u16(o.versionNeeded ?? (zip64 ? 45 : 20)),
    u16(o.flags ?? entry.flags),
    u16(o.method ?? entry.method),
    u16(0), // time
    u16(0x21), // date: 1980-01-01
    u32(o.crc32 ?? (descriptor ? 0 : entry.crc32)),
    u32(o.compressedSize ?? plainSize(entry.compressedSize)),
    u32(o.uncompressedSize ?? plainSize(entry.uncompressedSize)),
    u16(name.length),
    u16(extra.length),
    name,
    extra,
  ]);
}

export function dataDescriptor(entry: PreparedEntry): Buffer {
  if (entry.forge.zip64) {
    return Buffer.concat([
      u32(0x08074b50),
      u32(entry.crc32),
      u64(entry.compressedSize),
      u64(entry.uncompressedSize),
    ]);
  }
  return Buffer.concat([
    u32(0x08074b50),
    u32(entry.crc32),
    u32(entry.compressedSize),
    u32(entry.uncompressedSize),
  ]);
}

export function centralHeader(entry: PreparedEntry, localHeaderOffset: number): Buffer {
  const o = entry.forge.central ?? {};
  const zip64 = entry.forge.zip64 === true;
  const isFolder = entry.nameBytes.at(-1) === 0x2f;
  const offset = o.localHeaderOffset ?? localHeaderOffset;
  const extra =
    o.extra ??
    (zip64
      ? extraField(1, Buffer.concat([u64(entry.uncompressedSize), u64(entry.compressedSize), u64(offset)]))
      : Buffer.alloc(0));
  const comment = o.comment ?? Buffer.alloc(0);
  return Buffer.concat([
    u32(o.signature ?? 0x02014b50),
    u16(o.versionMadeBy ?? MADE_BY_UNIX),
    u16(o.versionNeeded ?? (zip64 ? 45 : 20)),
    u16(o.flags ?? entry.flags),
    u16(o.method ?? entry.method),
    u16(0),
    u16(0x21),
    u32(o.crc32 ?? entry.crc32),
    u32(o.compressedSize ?? (zip64 ? 0xffffffff : entry.compressedSize)),
    u32(o.uncompressedSize ?? (zip64 ? 0xffffffff : entry.uncompressedSize)),
    u16(entry.nameBytes.length),
    u16(extra.length),
    u16(comment.length),
    u16(o.diskStart ?? 0),
    u16(0),
    u32(o.externalAttributes ?? (isFolder ? UNIX_DIR : UNIX_FILE)),
    u32(zip64 ? 0xffffffff : offset),
    entry.nameBytes,
    extra,
    comment,
  ]);
}

/** EOCD, preceded by the ZIP64 record and locator when `zip64`. */
export function endRecords(
  entryCount: number,
  directoryOffset: number,
  directorySize: number,
  options: Pick<ForgeOptions, 'zip64' | 'eocd' | 'eocd64'>,
  endStart: number,
): Buffer {
  const parts: Buffer[] = [];
  if (options.zip64) {
    const o = options.eocd64 ?? {};
    const record = Buffer.concat([
      u32(0x06064b50),
      u64(44),
      u16(MADE_BY_UNIX),
      u16(45),
      u32(o.diskNumber ?? 0),
      u32(o.directoryDisk ?? 0),
      u64(o.entriesOnDisk ?? entryCount),
      u64(o.totalEntries ?? entryCount),
      u64(o.directorySize ?? directorySize),
      u64(o.directoryOffset ?? directoryOffset),
    ]);
    const locator = Buffer.concat([
      u32(0x07064b50),
      u32(o.locatorDisk ?? 0),
      u64(o.recordOffset ?? endStart),
      u32(o.totalDisks ?? 1),
    ]);
    parts.push(record, locator);
  }
  const o = options.eocd ?? {};
  const zip64 = options.zip64 === true;
  const comment = o.comment ?? Buffer.alloc(0);
  parts.push(
    Buffer.concat([
      u32(0x06054b50),
      u16(o.diskNumber ?? 0),
      u16(o.directoryDisk ?? 0),
      u16(o.entriesOnDisk ?? (zip64 ? 0xffff : entryCount)),
      u16(o.totalEntries ?? (zip64 ? 0xffff : entryCount)),
      u32(o.directorySize ?? (zip64 ? 0xffffffff : directorySize)),
      u32(o.directoryOffset ?? (zip64 ? 0xffffffff : directoryOffset)),
      u16(comment.length),
      comment,
    ]),
  );
  return Buffer.concat(parts);
}

export function forgeZip(entries: readonly ForgeEntry[], options: ForgeOptions = {}): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (bytes: Buffer): void => {
    parts.push(bytes);
    offset += bytes.length;
  };
  if (options.prefix) push(options.prefix);
  const prepared = entries.map(prepareEntry);
  const offsets: number[] = [];
  for (const entry of prepared) {
    offsets.push(offset);
    if (entry.forge.skipLocal) continue;
    push(localHeader(entry));
    push(entry.payload);
    if (entry.forge.dataDescriptor) push(dataDescriptor(entry));
  }
  const directoryOffset = offset;
  prepared.forEach((entry, index) => {
    push(centralHeader(entry, offsets[index]!));
  });
  const directorySize = offset - directoryOffset;
  if (options.beforeEnd) push(options.beforeEnd);
  push(endRecords(prepared.length, directoryOffset, directorySize, options, offset));
  const zip = Buffer.concat(parts);
  return options.truncateTo === undefined ? zip : zip.subarray(0, options.truncateTo);
}

// ---- Chatbook-shaped content -------------------------------------------------------------------------

export interface ChatbookFile {
  path: string;
  data: Buffer;
}

/** A manifest shaped like tldw_server's ChatbookManifest.to_dict (1.0.0) or its v1.1 export. */
export function tldwManifest(
  version: '1.0.0' | '1.1.0',
  items: readonly {
    id: string;
    type: string;
    file_path: string | null;
    metadata?: Record<string, unknown>;
  }[],
  inventoryFiles: readonly ChatbookFile[] = [],
): Record<string, unknown> {
  const { content_items: _items, statistics, file_inventory: _inventory, ...v11 } = TLDW_V1_1_MANIFEST;
  const manifest: Record<string, unknown> = {
    ...(version === '1.1.0' ? v11 : TLDW_V1_0_MANIFEST),
    version,
    content_items: items.map((item) => ({
      id: item.id,
      type: item.type,
      title: `${item.type} ${item.id}`,
      description: null,
      created_at: null,
      updated_at: null,
      tags: [],
      metadata: item.metadata ?? {},
      file_path: item.file_path,
      checksum: null,
    })),
    statistics: {
      ...statistics,
      total_conversations: items.filter((i) => i.type === 'conversation').length,
      total_notes: items.filter((i) => i.type === 'note').length,
      total_size_bytes: 0,
    },
  };
  if (version === '1.1.0') manifest.file_inventory = inventoryFiles.map((file) => inventoryRecord(file));
  return manifest;
}

export function inventoryRecord(
  file: ChatbookFile,
  override: { sha256?: string; size?: number } = {},
): Record<string, unknown> {
  const digest = override.sha256 ?? sha256Hex(file.data);
  return {
    path: file.path,
    media_type: file.path.endsWith('.md') ? 'text/markdown' : 'application/json',
    size_bytes: override.size ?? file.data.length,
    integrity: { status: 'verified', algorithm: 'sha256', value: `sha256:${digest}` },
    role: file.path === 'README.md' ? 'readme' : 'payload',
    content_item_ids: [],
  };
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A small tldw-shaped chatbook: a note, a conversation, a README; manifest stored first like tldw. */
export function sampleChatbookFiles(): ChatbookFile[] {
  return [
    { path: 'README.md', data: Buffer.from('# Research Pack\n\nExported from tldw_server.\n') },
    {
      path: 'content/notes/note_42.md',
      data: Buffer.from(
        '---\nid: 42\ntitle: "RAG notes"\ncreated_at: 2025-06-01T12:00:00\n---\n\nRetrieval first.\n',
      ),
    },
    {
      path: 'content/conversations/conversation_7.json',
      data: Buffer.from(
        JSON.stringify({
          id: '7',
          name: 'Chat',
          created_at: '2025-06-01T12:00:00',
          character_id: 1,
          attachments_path: null,
          messages: [
            {
              id: 'm1',
              role: 'user',
              content: 'Hello '.repeat(20),
              timestamp: '2025-06-01T12:00:00',
              attachments: [],
            },
          ],
        }),
      ),
    },
  ];
}

export const SAMPLE_ITEMS = [
  { id: '42', type: 'note', file_path: 'content/notes/note_42.md' },
  { id: '7', type: 'conversation', file_path: null },
] as const;

/** Forge entries for a chatbook: manifest.json (stored) then the files (deflated). */
export function chatbookEntries(manifest: unknown, files: readonly ChatbookFile[]): ForgeEntry[] {
  return [
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest, null, 2)), method: 0 },
    ...files.map((file) => ({ name: file.path, data: file.data })),
  ];
}

export function sampleChatbook(version: '1.0.0' | '1.1.0' = '1.0.0', options: ForgeOptions = {}): Buffer {
  const files = sampleChatbookFiles();
  return forgeZip(chatbookEntries(tldwManifest(version, SAMPLE_ITEMS, files), files), options);
}
