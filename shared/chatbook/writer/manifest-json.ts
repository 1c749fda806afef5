/**
 * manifest.json and README.md content: the v1.1 file inventory, the default README, and a manifest
 * serializer that produces the JSON in pieces so a 100,000-item manifest never exists as one string.
 */
import { README_PATH, mediaTypeOf } from '../layout';

const NO_IDS: readonly string[] = [];
const DIGEST_BYTES = 32;

export type InventoryRole = 'readme' | 'payload' | 'rendered' | 'schema' | 'other';

export function inventoryRole(path: string): InventoryRole {
  if (path === README_PATH) return 'readme';
  if (path.startsWith('content/')) return 'payload';
  if (path.startsWith('rendered/')) return 'rendered';
  if (path.startsWith('schemas/')) return 'schema';
  return 'other';
}

/**
 * tldw's file_inventory (every file but manifest.json, sorted by path), kept compact while the entries
 * stream: parallel arrays and one buffer of raw SHA-256 digests, no object per entry. An archive of
 * 100,000 files would otherwise hold ~100,000 records (and their hex strings) until the end.
 */
export class FileInventory {
  private readonly paths: string[] = [];
  private readonly sizes: number[] = [];
  private readonly ids: (readonly string[])[] = [];
  private digests = Buffer.allocUnsafe(DIGEST_BYTES * 1024);

  get length(): number {
    return this.paths.length;
  }

  /** Records a file; returns its index (for a digest that arrives later, see `setDigest`). */
  add(path: string, size: number, contentItemIds: readonly string[] | undefined): number {
    const index = this.paths.length;
    this.paths.push(path);
    this.sizes.push(size);
    this.ids.push(contentItemIds ?? NO_IDS);
    if ((index + 1) * DIGEST_BYTES > this.digests.length) {
      const grown = Buffer.allocUnsafe(this.digests.length * 2);
      this.digests.copy(grown);
      this.digests = grown;
    }
    return index;
  }

  /** Copies the file's raw SHA-256 (32 bytes at `at` in `digest`). */
  setDigest(index: number, digest: Uint8Array, at = 0): void {
    this.digests.set(digest.subarray(at, at + DIGEST_BYTES), index * DIGEST_BYTES);
  }

  /** Indices in path order. */
  private sortedOrder(): Uint32Array {
    const paths = this.paths;
    const order = new Uint32Array(paths.length);
    let sorted = true;
    for (let i = 0; i < order.length; i++) {
      order[i] = i;
      if (i > 0 && paths[i - 1]! > paths[i]!) sorted = false;
    }
    if (!sorted) order.sort((a, b) => (paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0));
    return order;
  }

  private hex(index: number): string {
    return this.digests.toString('hex', index * DIGEST_BYTES, (index + 1) * DIGEST_BYTES);
  }

  /** The records as objects (for the result's manifest). */
  toRecords(): Record<string, unknown>[] {
    return Array.from(this.sortedOrder(), (index) => {
      const path = this.paths[index]!;
      return {
        path,
        media_type: mediaTypeOf(path),
        size_bytes: this.sizes[index]!,
        integrity: { status: 'verified', algorithm: 'sha256', value: `sha256:${this.hex(index)}` },
        role: inventoryRole(path),
        content_item_ids: [...this.ids[index]!],
      };
    });
  }

  /** The records as compact JSON, one string each, in path order (same text as JSON.stringify of a record). */
  *jsonRecords(): Generator<string> {
    for (const index of this.sortedOrder()) {
      const path = this.paths[index]!;
      const ids = this.ids[index]!;
      yield `{"path":${JSON.stringify(path)},"media_type":${JSON.stringify(mediaTypeOf(path))},"size_bytes":${this.sizes[index]!},"integrity":{"status":"verified","algorithm":"sha256","value":"sha256:${this.hex(index)}"},"role":"${inventoryRole(path)}","content_item_ids":${ids.length === 0 ? '[]' : JSON.stringify(ids)}}`;
    }
  }
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

/** A top-level array serialized element by element, without building its elements as objects. */
export interface JsonArraySource {
  length: number;
  jsonRecords(): Iterable<string>;
}

/**
 * The manifest as JSON text in pieces: top-level keys on their own lines, array elements one per line
 * (compact), other values indented. Same data as JSON.stringify, bounded piece sizes. `extra` adds keys
 * at the end whose arrays are serialized from their source.
 */
export function* manifestJsonPieces(
  manifest: Record<string, unknown>,
  extra: Readonly<Record<string, JsonArraySource>> = {},
): Generator<string> {
  const keys = Object.keys(manifest).filter((key) => !(key in extra) && toJson(manifest[key]) !== undefined);
  const extraKeys = Object.keys(extra);
  const total = keys.length + extraKeys.length;
  yield '{\n';
  for (let k = 0; k < total; k++) {
    const separator = k < total - 1 ? ',\n' : '\n';
    if (k >= keys.length) {
      const key = extraKeys[k - keys.length]!;
      const source = extra[key]!;
      if (source.length === 0) {
        yield `  ${JSON.stringify(key)}: []${separator}`;
        continue;
      }
      yield `  ${JSON.stringify(key)}: [\n`;
      let i = 0;
      for (const record of source.jsonRecords()) yield `    ${record}${++i < source.length ? ',\n' : '\n'}`;
      yield `  ]${separator}`;
      continue;
    }
    const key = keys[k]!;
    const value = manifest[key];
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
