/**
 * Preview: the whole validator over an uploaded chatbook (ranged reads, nothing extracted, nothing written),
 * then what it holds and what importing it would do to the user's library under each strategy.
 */
import { CONTENT_TYPES, isContentType, type ContentType } from '../chatbook/layout';
import type { ChatbookArchive } from '../chatbook/reader';
import type { SourceFormat } from '../interop/source-format';
import { openUpload } from './open-upload';
import { KNOWN_V1_1_FEATURES } from '../chatbook/schema/manifest';
import type { AuthContext } from '../http/auth';
import type { LibraryStore } from '../library/library';
import { normalizeTitle } from './identity';
import type { UploadObjects } from './ports';
import type { UploadService } from './upload-service';

/** Conflicting items listed one by one in a preview; the counts cover all of them. */
const MAX_LISTED_CONFLICTS = 1000;
const LIBRARY_PAGE = 500;

export interface ConflictForecast {
  type: ContentType;
  id: string;
  title: string;
  existing_id: string;
  existing_title: string;
  /** What each strategy would do to this item. */
  outcomes: { skip: string; overwrite: string; rename: string; merge: string };
}

export interface PreviewReport {
  upload_id: string;
  size_bytes: number;
  /** What the upload is: a chatbook, or a format converted to one. */
  source_format: SourceFormat;
  /** Items of a converted file that could not be converted: skipped, and said why. */
  conversion_failures: { source_id: string; title: string; reason: string }[];
  manifest: {
    version: string;
    declared_version: string;
    name: string;
    description: string;
    author: string | null;
    created_at: unknown;
    export_id: unknown;
    tags: unknown;
    categories: unknown;
    producer: unknown;
  };
  counts: Partial<Record<ContentType, number>>;
  total_items: number;
  archive: { entries: number; uncompressed_bytes: number; uses_zip64: boolean };
  features: { used: string[]; supported: string[]; unsupported: string[] };
  integrity: { verified_files: number; inventory_verified_files: number; status: 'verified' | 'crc_only' };
  warnings: string[];
  conflicts: {
    by_type: Partial<Record<ContentType, { new: number; conflicting: number }>>;
    total: number;
    items: ConflictForecast[];
    truncated: boolean;
  };
}

/** The identity an item is matched by: its title, or for embeddings (which have none) its id. */
function identityOf(type: ContentType, id: string, title: string): string {
  return type === 'embedding' ? `id:${id}` : normalizeTitle(title);
}

/** `<title> (N)` with the first free N, as tldw renames. */
export function renamedTitle(title: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const candidate = `${title} (${n})`;
    if (!taken.has(normalizeTitle(candidate))) return candidate;
  }
}

async function libraryIdentities(
  library: LibraryStore,
  userId: string,
  type: ContentType,
): Promise<Map<string, { id: string; title: string }>> {
  const identities = new Map<string, { id: string; title: string }>();
  let cursor: string | undefined;
  do {
    const page = await library.list(userId, type, { limit: LIBRARY_PAGE, cursor });
    for (const item of page.items) {
      const key = identityOf(type, item.id, item.title);
      if (!identities.has(key)) identities.set(key, { id: item.id, title: item.title });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return identities;
}

export class PreviewService {
  constructor(
    private readonly uploads: UploadService,
    private readonly objects: UploadObjects,
    private readonly library: LibraryStore,
  ) {}

  async preview(auth: AuthContext, uploadId: string, sourceFormat?: SourceFormat): Promise<PreviewReport> {
    const { key, sizeBytes, maxFileBytes } = await this.uploads.require(auth, uploadId);
    const { source } = await this.objects.open(key);
    const { archive, format, failures } = await openUpload(source, auth.tier, {
      sourceFormat,
      maxFileBytes,
    });
    try {
      return {
        ...(await this.report(auth.userId, uploadId, sizeBytes, archive)),
        source_format: format,
        conversion_failures: failures.map((failure) => ({
          source_id: failure.sourceId,
          title: failure.title,
          reason: failure.reason,
        })),
      };
    } finally {
      await archive.close();
    }
  }

  private async report(
    userId: string,
    uploadId: string,
    sizeBytes: number,
    archive: ChatbookArchive,
  ): Promise<Omit<PreviewReport, 'source_format' | 'conversion_failures'>> {
    const manifest = archive.manifest as Record<string, unknown>;
    const metadata = (manifest.metadata ?? {}) as Record<string, unknown>;
    const items = archive.manifest.content_items.filter((item) => isContentType(item.type));
    const counts: Partial<Record<ContentType, number>> = {};
    for (const item of items) counts[item.type as ContentType] = (counts[item.type as ContentType] ?? 0) + 1;

    const used = Array.isArray(manifest.features_used)
      ? manifest.features_used.filter((f): f is string => typeof f === 'string')
      : [];
    const known = new Set<string>(KNOWN_V1_1_FEATURES);

    const byType: PreviewReport['conflicts']['by_type'] = {};
    const listed: ConflictForecast[] = [];
    let total = 0;
    for (const type of CONTENT_TYPES) {
      if (!counts[type]) continue;
      const existing = await libraryIdentities(this.library, userId, type);
      const taken = new Set(existing.keys());
      const tally = { new: 0, conflicting: 0 };
      for (const item of items) {
        if (item.type !== type) continue;
        const title = typeof item.title === 'string' ? item.title : '';
        const match = existing.get(identityOf(type, item.id, title));
        if (!match) {
          tally.new += 1;
          taken.add(identityOf(type, item.id, title));
          continue;
        }
        tally.conflicting += 1;
        total += 1;
        if (listed.length >= MAX_LISTED_CONFLICTS) continue;
        const renamed = renamedTitle(title, taken);
        taken.add(normalizeTitle(renamed));
        listed.push({
          type,
          id: item.id,
          title,
          existing_id: match.id,
          existing_title: match.title,
          outcomes: {
            skip: `keep your ${type} "${match.title}"; this one is not imported`,
            overwrite: `replace the content of your ${type} ${match.id}, keeping its id`,
            rename: type === 'embedding' ? 'import it under a new id' : `import it as "${renamed}"`,
            merge: `merge into your ${type} ${match.id}: add what it lacks, keep what differs`,
          },
        });
      }
      byType[type] = tally;
    }

    return {
      upload_id: uploadId,
      size_bytes: sizeBytes,
      manifest: {
        version: archive.version,
        declared_version: archive.declaredVersion,
        name: typeof manifest.name === 'string' ? manifest.name : '',
        description: typeof manifest.description === 'string' ? manifest.description : '',
        author: typeof manifest.author === 'string' ? manifest.author : null,
        created_at: manifest.created_at ?? null,
        export_id: manifest.export_id ?? null,
        tags: metadata.tags ?? [],
        categories: metadata.categories ?? [],
        producer: manifest.producer ?? null,
      },
      counts,
      total_items: items.length,
      archive: {
        entries: archive.entries.length,
        uncompressed_bytes: archive.integrity.uncompressedBytes,
        uses_zip64: archive.integrity.usesZip64,
      },
      features: {
        used,
        supported: used.filter((feature) => known.has(feature)),
        unsupported: used.filter((feature) => !known.has(feature)),
      },
      integrity: {
        verified_files: archive.integrity.verifiedFiles,
        inventory_verified_files: archive.integrity.inventoryVerifiedFiles,
        status: archive.version === '1.1.0' ? 'verified' : 'crc_only',
      },
      warnings: [...archive.warnings],
      conflicts: { by_type: byType, total, items: listed, truncated: total > listed.length },
    };
  }
}
