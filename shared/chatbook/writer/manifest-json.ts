/**
 * manifest.json and README.md content: the v1.1 file inventory, the default README, and a manifest
 * serializer that produces the JSON in pieces so a 100,000-item manifest never exists as one string.
 */
import { README_PATH, mediaTypeOf } from '../layout';

export interface InventoryRecord {
  path: string;
  size: number;
  sha256Hex: string;
  contentItemIds: string[];
}

export type InventoryRole = 'readme' | 'payload' | 'rendered' | 'schema' | 'other';

export function inventoryRole(path: string): InventoryRole {
  if (path === README_PATH) return 'readme';
  if (path.startsWith('content/')) return 'payload';
  if (path.startsWith('rendered/')) return 'rendered';
  if (path.startsWith('schemas/')) return 'schema';
  return 'other';
}

/** tldw's file_inventory: every file but manifest.json, sorted by path. */
export function fileInventory(records: InventoryRecord[]): Record<string, unknown>[] {
  return records
    .slice()
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((record) => ({
      path: record.path,
      media_type: mediaTypeOf(record.path),
      size_bytes: record.size,
      integrity: { status: 'verified', algorithm: 'sha256', value: `sha256:${record.sha256Hex}` },
      role: inventoryRole(record.path),
      content_item_ids: record.contentItemIds,
    }));
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.trim() !== '' ? value : fallback;
}

/** README.md for a chatbook whose caller gave none: name, description and item counts from the manifest. */
export function defaultReadme(manifest: Record<string, unknown>, version: string): string {
  const counts = new Map<string, number>();
  const items = Array.isArray(manifest.content_items) ? (manifest.content_items as unknown[]) : [];
  for (const item of items) {
    const type =
      typeof item === 'object' && item !== null && typeof (item as { type?: unknown }).type === 'string'
        ? (item as { type: string }).type
        : 'unknown';
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  const lines = [
    `# ${text(manifest.name, 'Chatbook')}`,
    '',
    text(manifest.description, 'A chatbook archive.'),
    '',
  ];
  if (typeof manifest.author === 'string' && manifest.author !== '')
    lines.push(`Author: ${manifest.author}`, '');
  lines.push('## Contents', '');
  if (counts.size === 0) lines.push('No content items.');
  for (const [type, count] of [...counts].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`- ${type}: ${count}`);
  lines.push(
    '',
    `Total items: ${items.length}`,
    '',
    `Chatbook format ${version}. Import it into tldw_server or Chatbooks Cloud; manifest.json describes every item.`,
    '',
  );
  return lines.join('\n');
}

/** JSON.stringify's real return type: undefined for undefined, functions and symbols. */
function toJson(value: unknown, indent?: number): string | undefined {
  const json: string | undefined = JSON.stringify(value, null, indent);
  return json;
}

/**
 * The manifest as JSON text in pieces: top-level keys on their own lines, array elements one per line
 * (compact), other values indented. Same data as JSON.stringify, bounded piece sizes.
 */
export function* manifestJsonPieces(manifest: Record<string, unknown>): Generator<string> {
  const keys = Object.keys(manifest).filter((key) => toJson(manifest[key]) !== undefined);
  yield '{\n';
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const value = manifest[key];
    const separator = k < keys.length - 1 ? ',\n' : '\n';
    if (Array.isArray(value) && value.length > 0) {
      yield `  ${JSON.stringify(key)}: [\n`;
      for (let i = 0; i < value.length; i++) {
        yield `    ${toJson(value[i]) ?? 'null'}${i < value.length - 1 ? ',\n' : '\n'}`;
      }
      yield `  ]${separator}`;
    } else {
      yield `  ${JSON.stringify(key)}: ${toJson(value, 2)!.replace(/\n/g, '\n  ')}${separator}`;
    }
  }
  yield '}\n';
}

/** Groups the pieces into UTF-8 buffers of about `chunkBytes`. */
export function* manifestJsonChunks(
  manifest: Record<string, unknown>,
  chunkBytes = 1024 * 1024,
): Generator<Buffer> {
  let pending = '';
  for (const piece of manifestJsonPieces(manifest)) {
    pending += piece;
    if (pending.length >= chunkBytes) {
      yield Buffer.from(pending);
      pending = '';
    }
  }
  if (pending !== '') yield Buffer.from(pending);
}
