/**
 * manifest.json: the tolerant reader (versions 1.0, 1.0.0, 1.1.0 and newer 1.x minors), the builder that emits
 * every key tldw_server always writes for the chosen version, and the serializer. Unknown keys are kept at every
 * level for round trip; our own additions belong under `metadata`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CONTENT_TYPES, isContentType, type ContentType } from '../layout';
import { CONTENT_ITEM_KEYS, fastContentItem, fastInventoryEntry } from './manifest-fast-path';
import {
  booleanish,
  describeValue,
  formatIssues,
  idSchema,
  isPlainObject,
  numberish,
  optionalText,
  stringListSchema,
  textOr,
  textSchema,
  withoutKeys,
  type JsonObject,
} from './common';

export const MANIFEST_VERSIONS = ['1.0.0', '1.1.0'] as const;
export type ManifestVersion = (typeof MANIFEST_VERSIONS)[number];
/** What we write by default. */
export const CURRENT_MANIFEST_VERSION: ManifestVersion = '1.1.0';

/** Feature tokens a v1.1 reader knows (tldw's registry plus the newer `account_inventory`). */
export const KNOWN_V1_1_FEATURES = [
  'content_envelopes',
  'file_inventory',
  'integrity_metadata',
  'typed_source_refs',
  'representations',
  'lossiness_metadata',
  'schema_refs',
  'redaction_profiles',
  'external_rehydration',
  'account_inventory',
] as const;

/** Keys only a v1.1 manifest carries; a 1.0.0 manifest never emits them. */
export const V1_1_ONLY_KEYS = [
  'features_used',
  'producer',
  'source_instance',
  'compatibility',
  'file_inventory',
] as const;
/** Newer full-account keys, written with v1.1 only. */
const ACCOUNT_INVENTORY_KEYS = ['account_inventory', 'account_inventory_summary'] as const;

export const FILE_INVENTORY_ROLES = [
  'payload',
  'rendered',
  'attachment',
  'schema',
  'readme',
  'other',
] as const;
export type FileInventoryRole = (typeof FILE_INVENTORY_ROLES)[number];

/** tldw's integrity value: `sha256:` and 64 hex digits. */
export const SHA256_INTEGRITY_VALUE = /^sha256:[0-9a-fA-F]{64}$/;

export function isSha256IntegrityValue(value: unknown): value is string {
  return typeof value === 'string' && SHA256_INTEGRITY_VALUE.test(value);
}

/** The manifest statistics key counting each content type. */
export const STATISTICS_KEYS: Readonly<Record<ContentType, string>> = {
  conversation: 'total_conversations',
  note: 'total_notes',
  character: 'total_characters',
  media: 'total_media_items',
  prompt: 'total_prompts',
  evaluation: 'total_evaluations',
  embedding: 'total_embeddings',
  world_book: 'total_world_books',
  dictionary: 'total_dictionaries',
  generated_document: 'total_documents',
};

const jsonObject = z.record(z.string(), z.unknown(), { error: 'expected an object' });
/** An object member that defaults to {} when absent or null. */
const objectOrEmpty = z.preprocess((value) => value ?? undefined, jsonObject.default({}));
const listOrEmpty = z.preprocess((value) => value ?? undefined, stringListSchema.default([]));
const nullDefault = <T extends z.ZodType>(schema: T, what: string) =>
  z.preprocess((value) => value ?? null, z.union([schema, z.null()], { error: `expected ${what} or null` }));
const countSchema = z.preprocess((value) => value ?? undefined, numberish.pipe(z.number().min(0).default(0)));
const flagSchema = (fallback: boolean) =>
  z.preprocess((value) => value ?? undefined, booleanish.pipe(z.boolean().default(fallback)));

const requiredString = (what: string) =>
  z.union([z.string(), z.number()], {
    error: (issue) => (issue.input === undefined ? 'required' : `expected ${what}`),
  });

export const contentItemRefSchema = z.looseObject({
  id: idSchema,
  type: z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a string') }),
  title: requiredString('a string').transform((value) => String(value)),
  description: nullDefault(textSchema, 'a string'),
  created_at: nullDefault(z.union([z.string(), z.number()]), 'a timestamp'),
  updated_at: nullDefault(z.union([z.string(), z.number()]), 'a timestamp'),
  tags: listOrEmpty,
  metadata: objectOrEmpty,
  file_path: nullDefault(z.string(), 'a string'),
  checksum: nullDefault(z.string(), 'a string'),
});

export const relationshipSchema = z.looseObject({
  source_id: idSchema,
  target_id: idSchema,
  relationship_type: textSchema,
  metadata: objectOrEmpty,
});

export const configurationSchema = z.looseObject({
  include_media: flagSchema(false),
  include_embeddings: flagSchema(false),
  include_generated_content: flagSchema(true),
  media_quality: textOr('compressed'),
  max_file_size_mb: z.preprocess((value) => value ?? undefined, numberish.pipe(z.number().default(100))),
});

export const statisticsSchema = z.looseObject({
  total_conversations: countSchema,
  total_notes: countSchema,
  total_characters: countSchema,
  total_media_items: countSchema,
  total_prompts: countSchema,
  total_evaluations: countSchema,
  total_embeddings: countSchema,
  total_world_books: countSchema,
  total_dictionaries: countSchema,
  total_documents: countSchema,
  total_size_bytes: countSchema,
});

export const manifestMetadataSchema = z.looseObject({
  tags: listOrEmpty,
  categories: listOrEmpty,
  language: textOr('en'),
  license: nullDefault(textSchema, 'a string'),
  binary_limits: z.record(z.string(), z.number()).optional(),
});

export const userInfoSchema = z.looseObject({ user_id: optionalText });

export const fileInventoryEntrySchema = z.looseObject({
  path: z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a string') }),
  media_type: textOr('application/octet-stream'),
  size_bytes: countSchema,
  integrity: z.preprocess(
    (value) => value ?? undefined,
    z
      .looseObject({
        status: textOr('unsupported'),
        algorithm: nullDefault(z.string(), 'a string'),
        value: nullDefault(z.string(), 'a string'),
      })
      .default({ status: 'unsupported', algorithm: null, value: null }),
  ),
  role: textOr('payload'),
  content_item_ids: z.preprocess(
    (value) => value ?? undefined,
    z.array(idSchema, { error: 'expected a list of ids' }).default([]),
  ),
});

export const compatibilitySchema = z.looseObject({
  min_reader_version: optionalText,
  recommended_reader_version: optionalText,
  unsupported_feature_behavior: optionalText,
  v1_compatibility: jsonObject.optional(),
});

export const manifestSchema = z.looseObject({
  version: z.enum(MANIFEST_VERSIONS),
  name: requiredString('a string').transform((value) => String(value)),
  description: textOr(''),
  author: nullDefault(textSchema, 'a string'),
  created_at: nullDefault(z.union([z.string(), z.number()]), 'a timestamp'),
  updated_at: nullDefault(z.union([z.string(), z.number()]), 'a timestamp'),
  export_id: nullDefault(idSchema, 'an id'),
  content_items: z.preprocess((value) => value ?? undefined, z.array(contentItemRefSchema).default([])),
  relationships: z.preprocess((value) => value ?? undefined, z.array(relationshipSchema).default([])),
  configuration: z.preprocess((value) => value ?? {}, configurationSchema),
  statistics: z.preprocess((value) => value ?? {}, statisticsSchema),
  metadata: z.preprocess((value) => value ?? {}, manifestMetadataSchema),
  user_info: nullDefault(userInfoSchema, 'an object'),
  truncation: jsonObject.optional(),
  features_used: z.array(z.string()).optional(),
  producer: jsonObject.optional(),
  source_instance: jsonObject.optional(),
  compatibility: compatibilitySchema.optional(),
  file_inventory: z.array(fileInventoryEntrySchema).optional(),
  account_inventory: z.array(z.unknown()).optional(),
  account_inventory_summary: jsonObject.optional(),
});

export type ChatbookManifest = z.infer<typeof manifestSchema>;
export type ContentItemRef = z.infer<typeof contentItemRefSchema>;
export type FileInventoryEntry = z.infer<typeof fileInventoryEntrySchema>;
export type ManifestRelationship = z.infer<typeof relationshipSchema>;
export type ManifestConfiguration = z.infer<typeof configurationSchema>;
export type ManifestStatistics = z.infer<typeof statisticsSchema>;
export type ManifestMetadata = z.infer<typeof manifestMetadataSchema>;
export type ManifestCompatibility = z.infer<typeof compatibilitySchema>;

export type ParseManifestResult =
  | {
      success: true;
      manifest: ChatbookManifest;
      version: ManifestVersion;
      declaredVersion: string;
      warnings: string[];
    }
  | { success: false; code: 'manifest_invalid' | 'unsupported_version'; issues: string[] };

type VersionReading =
  | { ok: true; version: ManifestVersion; declared: string; warning?: string }
  | { ok: false; code: 'manifest_invalid' | 'unsupported_version'; issue: string };

const READABLE = 'this reader reads 1.0, 1.0.0 and 1.1.0';

/** Canonicalizes a declared version: "1.0" is 1.0.0, a newer 1.x is read as 1.1.0 with a warning. */
export function readManifestVersion(declared: unknown): VersionReading {
  if (declared === undefined || declared === null) {
    return { ok: false, code: 'manifest_invalid', issue: 'version: required' };
  }
  if (typeof declared !== 'string') {
    return {
      ok: false,
      code: 'unsupported_version',
      issue: `version: expected a string such as "1.1.0", got ${describeValue(declared)}`,
    };
  }
  const match = /^(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?$/.exec(declared.trim());
  const quoted = describeValue(declared);
  if (!match) {
    return {
      ok: false,
      code: 'unsupported_version',
      issue: `version: ${quoted} is not a chatbook version (${READABLE})`,
    };
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const patch = match[3] === undefined ? undefined : Number(match[3]);
  if (major !== 1) {
    const why = major > 1 ? 'is a newer major version than this reader supports' : 'is not supported';
    return { ok: false, code: 'unsupported_version', issue: `version: ${quoted} ${why} (${READABLE})` };
  }
  if (minor >= 2) {
    return {
      ok: true,
      version: '1.1.0',
      declared,
      warning: `version: ${quoted} is newer than this reader (1.1.0); read as 1.1.0, newer features may be ignored`,
    };
  }
  const version: ManifestVersion = minor === 0 ? '1.0.0' : '1.1.0';
  const exact = (minor === 0 && (patch === undefined || patch === 0)) || (minor === 1 && patch === 0);
  return exact
    ? { ok: true, version, declared }
    : { ok: true, version, declared, warning: `version: ${quoted} read as ${version}` };
}

/** Applies the version rules and tldw's requirements, keeps unknown keys, and reports problems by JSON path. */
export function parseManifest(input: unknown): ParseManifestResult {
  if (!isPlainObject(input)) {
    return {
      success: false,
      code: 'manifest_invalid',
      issues: [`(root): expected a JSON object, got ${describeValue(input)}`],
    };
  }
  const reading = readManifestVersion(input.version);
  if (!reading.ok) return { success: false, code: reading.code, issues: [reading.issue] };

  const warnings: string[] = reading.warning === undefined ? [] : [reading.warning];
  let prepared: JsonObject = { ...input, version: reading.version };
  if (reading.version === '1.0.0') {
    const ignored = [...V1_1_ONLY_KEYS, ...ACCOUNT_INVENTORY_KEYS].filter((key) =>
      Object.hasOwn(prepared, key),
    );
    for (const key of ignored) warnings.push(`${key}: ignored in a 1.0.0 manifest`);
    prepared = withoutKeys(prepared, ignored);
  } else {
    prepared.features_used = keepFeatureTokens(prepared.features_used, warnings);
    if (prepared.file_inventory === undefined) warnings.push('file_inventory: missing in a 1.1 manifest');
    prepared.file_inventory ??= [];
    prepared.producer ??= {};
    prepared.source_instance ??= {};
    prepared.compatibility ??= {};
  }
  if (prepared.description === undefined || prepared.description === null) {
    warnings.push('description: missing (tldw requires it); read as ""');
  }

  // The long arrays take the fast path element by element; the rest of the manifest goes through the schema.
  const contentItems = parseLongArray(
    prepared.content_items,
    'content_items',
    fastContentItem,
    contentItemRefSchema,
  );
  const inventory = parseLongArray(
    prepared.file_inventory,
    'file_inventory',
    fastInventoryEntry,
    fileInventoryEntrySchema,
  );
  const parsed = manifestSchema.safeParse({
    ...prepared,
    ...(contentItems ? { content_items: [] } : {}),
    ...(inventory ? { file_inventory: [] } : {}),
  });
  const issues = [
    ...(parsed.success ? [] : formatIssues(parsed.error)),
    ...(contentItems?.issues ?? []),
    ...(inventory?.issues ?? []),
  ];
  if (!parsed.success || issues.length > 0) {
    return { success: false, code: 'manifest_invalid', issues: capIssues(issues) };
  }

  const manifest = parsed.data;
  if (contentItems) manifest.content_items = contentItems.values;
  if (inventory) manifest.file_inventory = inventory.values;
  warnings.push(...contentItemWarnings(manifest.content_items));
  return { success: true, manifest, version: reading.version, declaredVersion: reading.declared, warnings };
}

/** At most this many issues are listed; the rest are counted (the schema's own list is capped the same way). */
const MAX_MANIFEST_ISSUES = 10;

function capIssues(issues: string[]): string[] {
  if (issues.length <= MAX_MANIFEST_ISSUES) return issues;
  const listed = issues.filter((line) => !line.startsWith('…')).slice(0, MAX_MANIFEST_ISSUES);
  return [...listed, `…and more problems in the manifest`];
}

/**
 * Parses an array element by element: the fast path first, the schema for anything it does not take.
 * Returns undefined when the value is not an array (the manifest schema then reports or defaults it).
 */
function parseLongArray<T>(
  value: unknown,
  key: string,
  fast: (element: unknown) => T | undefined,
  schema: z.ZodType<T>,
): { values: T[]; issues: string[] } | undefined {
  if (!Array.isArray(value)) return undefined;
  const values: T[] = [];
  const issues: string[] = [];
  for (let index = 0; index < value.length; index += 1) {
    const element: unknown = value[index];
    const quick = fast(element);
    if (quick !== undefined) {
      values.push(quick);
      continue;
    }
    const parsed = schema.safeParse(element);
    if (parsed.success) values.push(parsed.data);
    else if (issues.length <= MAX_MANIFEST_ISSUES)
      issues.push(...formatIssues(parsed.error, `${key}[${index}]`));
  }
  return { values, issues };
}

/** Non-string feature tokens cannot be understood; they are dropped with a warning instead of failing the file. */
function keepFeatureTokens(value: unknown, warnings: string[]): unknown {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return value;
  return value.filter((token: unknown, index) => {
    if (typeof token === 'string') return true;
    warnings.push(`features_used[${index}]: ignored, expected a string, got ${describeValue(token)}`);
    return false;
  });
}

function contentItemWarnings(items: readonly ContentItemRef[]): string[] {
  const warnings: string[] = [];
  // Ids seen, by type: no key string built per item (manifests hold up to 100,000 of them).
  const seen = new Map<string, Set<string>>();
  items.forEach((item, index) => {
    if (!isContentType(item.type)) {
      warnings.push(
        `content_items[${index}].type: unknown type ${describeValue(item.type)}; the item will be skipped`,
      );
    }
    let ids = seen.get(item.type);
    if (!ids) seen.set(item.type, (ids = new Set()));
    if (ids.has(item.id))
      warnings.push(`content_items[${index}].id: duplicate ${item.type} id ${describeValue(item.id)}`);
    ids.add(item.id);
  });
  return warnings;
}

/** tldw writes ISO strings; epoch numbers are tolerated on read and kept. */
export type ManifestTimestamp = string | number | null;

export interface ContentItemDraft {
  id: string;
  type: string;
  title: string;
  description?: string | null;
  created_at?: ManifestTimestamp;
  updated_at?: ManifestTimestamp;
  tags?: string[];
  metadata?: JsonObject;
  file_path?: string | null;
  checksum?: string | null;
  [key: string]: unknown;
}

/** What a writer knows; buildManifest fills the rest with tldw's defaults. Extra keys are kept (round trip). */
export interface ManifestDraft {
  name: string;
  description?: string;
  author?: string | null;
  /** Defaults to now. */
  created_at?: ManifestTimestamp;
  /** Defaults to created_at. */
  updated_at?: ManifestTimestamp;
  export_id?: string | null;
  content_items?: ContentItemDraft[];
  relationships?: ManifestRelationship[];
  configuration?: Partial<ManifestConfiguration>;
  statistics?: Partial<ManifestStatistics>;
  metadata?: Partial<ManifestMetadata>;
  user_info?: { user_id?: string | null; [key: string]: unknown } | null;
  truncation?: JsonObject;
  features_used?: string[];
  producer?: JsonObject;
  source_instance?: JsonObject;
  compatibility?: ManifestCompatibility;
  file_inventory?: FileInventoryEntry[];
  account_inventory?: unknown[];
  account_inventory_summary?: JsonObject;
  [key: string]: unknown;
}

const BUILT_KEYS = new Set<string>([
  'version',
  'name',
  'description',
  'author',
  'created_at',
  'updated_at',
  'export_id',
  'content_items',
  'relationships',
  'configuration',
  'statistics',
  'metadata',
  'user_info',
  'truncation',
  ...V1_1_ONLY_KEYS,
  ...ACCOUNT_INVENTORY_KEYS,
]);

function extraEntries(source: JsonObject, known: ReadonlySet<string>): JsonObject {
  return Object.fromEntries(
    Object.entries(source).filter(([key, value]) => !known.has(key) && value !== undefined),
  );
}

function buildContentItem(draft: ContentItemDraft): ContentItemRef {
  return {
    id: draft.id,
    type: draft.type,
    title: draft.title,
    description: draft.description ?? null,
    created_at: draft.created_at ?? null,
    updated_at: draft.updated_at ?? null,
    tags: draft.tags ?? [],
    metadata: draft.metadata ?? {},
    file_path: draft.file_path ?? null,
    checksum: draft.checksum ?? null,
    ...extraEntries(draft, CONTENT_ITEM_KEYS),
  };
}

/** Counts per type from the content items, for statistics the draft does not state. */
function countItems(items: readonly ContentItemRef[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(
    CONTENT_TYPES.map((type) => [STATISTICS_KEYS[type], 0]),
  );
  for (const item of items) {
    if (isContentType(item.type))
      counts[STATISTICS_KEYS[item.type]] = (counts[STATISTICS_KEYS[item.type]] ?? 0) + 1;
  }
  return counts;
}

/**
 * A complete manifest for `version`, in tldw's key order. 1.0.0 never carries the v1.1 keys (even if the draft
 * has them); 1.1.0 always does (defaults [] and {}).
 */
export function buildManifest(draft: ManifestDraft, version: ManifestVersion): ChatbookManifest {
  const createdAt = draft.created_at === undefined ? new Date().toISOString() : draft.created_at;
  const contentItems = (draft.content_items ?? []).map(buildContentItem);
  const counts = countItems(contentItems);
  const manifest: ChatbookManifest = {
    version,
    name: draft.name,
    description: draft.description ?? '',
    author: draft.author ?? null,
    created_at: createdAt,
    updated_at: draft.updated_at === undefined ? createdAt : draft.updated_at,
    export_id: draft.export_id === undefined ? randomUUID() : draft.export_id,
    content_items: contentItems,
    relationships: draft.relationships ?? [],
    configuration: {
      include_media: false,
      include_embeddings: false,
      include_generated_content: true,
      media_quality: 'compressed',
      max_file_size_mb: 100,
      ...draft.configuration,
    },
    statistics: {
      total_conversations: counts.total_conversations ?? 0,
      total_notes: counts.total_notes ?? 0,
      total_characters: counts.total_characters ?? 0,
      total_media_items: counts.total_media_items ?? 0,
      total_prompts: counts.total_prompts ?? 0,
      total_evaluations: counts.total_evaluations ?? 0,
      total_embeddings: counts.total_embeddings ?? 0,
      total_world_books: counts.total_world_books ?? 0,
      total_dictionaries: counts.total_dictionaries ?? 0,
      total_documents: counts.total_documents ?? 0,
      total_explainer_sessions: 0,
      total_size_bytes: 0,
      ...draft.statistics,
    },
    metadata: { tags: [], categories: [], language: 'en', license: null, ...draft.metadata },
    user_info: draft.user_info === undefined ? null : draft.user_info,
  };
  if (draft.truncation !== undefined) manifest.truncation = draft.truncation;
  if (version === '1.1.0') {
    manifest.features_used = draft.features_used ?? [];
    manifest.producer = draft.producer ?? {};
    manifest.source_instance = draft.source_instance ?? {};
    manifest.compatibility = draft.compatibility ?? {};
    manifest.file_inventory = draft.file_inventory ?? [];
    if (draft.account_inventory !== undefined) manifest.account_inventory = draft.account_inventory;
    if (draft.account_inventory_summary !== undefined) {
      manifest.account_inventory_summary = draft.account_inventory_summary;
    }
  }
  return { ...manifest, ...extraEntries(draft, BUILT_KEYS) };
}

/** manifest.json text: JSON with a 2-space indent, like tldw's `json.dump(indent=2)`. */
export function serializeManifest(manifest: ChatbookManifest): string {
  return JSON.stringify(manifest, null, 2);
}
