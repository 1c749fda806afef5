/**
 * POST /export: what a user may ask for, with tldw_server's validation rules as the floor (names, lengths,
 * tags, categories, content ids, known types) and its request keys accepted too (`content_selections`,
 * `async_mode`).
 */
import { z } from 'zod';
import { EXPORT_TARGETS, TARGET_TYPES, type ExportTarget } from './foreign-export';
import { CONTENT_TYPES, isContentType, type ContentType } from '../chatbook/layout';

/** tldw's "safe text": letters, digits, spaces and a little punctuation; no path or markup characters. */
const SAFE_TEXT = /^[\p{L}\p{N}_\s\-.,!?'"()[\]{}@]+$/u;
const SAFE_TEXT_HINT = 'letters, digits, spaces and - . , ! ? \' " ( ) [ ] { } @ only';

/** Content ids as tldw accepts them in selections, plus `:` for embedding ids such as `media:42`. */
const CONTENT_ID = /^[\w\-.:]{1,128}$/;

/** Ids named one by one, across all types, in one request. Larger sets select a type whole and filter it. */
export const MAX_SELECTED_IDS = 5000;

const safeText = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .max(max, `${field} too long (max ${max} characters)`)
    .refine(
      (value) => value === '' || SAFE_TEXT.test(value),
      `${field} contains invalid characters (${SAFE_TEXT_HINT})`,
    );

const tagList = (field: string, maxItems: number) =>
  z
    .array(
      safeText(`${field} entry`, 100).refine((value) => value !== '', `${field} entries cannot be empty`),
      { error: `${field} must be a list of strings` },
    )
    .max(maxItems, `Too many ${field} (max ${maxItems})`)
    .default([]);

const isoTime = z.iso.datetime({ offset: true, error: 'an ISO 8601 time such as 2026-01-31T00:00:00Z' });

const idList = z
  .array(z.string().regex(CONTENT_ID, 'Invalid ID format: ids are 1-128 letters, digits, _ - . or :'), {
    error: 'a list of ids, or "all"',
  })
  .min(1, 'an empty list selects nothing: give ids, or "all"');

const selectionValue = z.union([z.literal('all'), idList], { error: 'a list of ids, or "all"' });

const selectionSchema = z.record(z.string(), selectionValue).superRefine((selection, ctx) => {
  for (const type of Object.keys(selection)) {
    if (!isContentType(type)) {
      ctx.addIssue({
        code: 'custom',
        path: [type],
        message: `Invalid content type: ${type}. Use one of ${CONTENT_TYPES.join(', ')}.`,
      });
    }
  }
});

export const exportRequestSchema = z
  .object({
    name: safeText('Name', 255).refine((value) => value !== '', 'Name is required'),
    description: safeText('Description', 5000).default(''),
    author: safeText('Author', 255).optional(),
    tags: tagList('tags', 50),
    categories: tagList('categories', 20),
    /** Per type: a list of ids, or "all". */
    selection: selectionSchema.optional(),
    /** tldw's form: { type: [ids] }. */
    content_selections: selectionSchema.optional(),
    filters: z
      .object({
        tags: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
        updated_since: isoTime.optional(),
        updated_until: isoTime.optional(),
      })
      .strict()
      .default({}),
    include_media: z.boolean().default(false),
    include_embeddings: z.boolean().default(false),
    format_version: z
      .enum(['1.1.0', '1.0.0', '1.0'], { error: 'format_version must be "1.1.0" (default) or "1.0.0"' })
      .default('1.1.0')
      .transform((version) => (version === '1.0' ? '1.0.0' : version)),
    async: z.boolean().optional(),
    async_mode: z.boolean().optional(),
    /** What to write: a chatbook (default), Open WebUI's chat JSON (conversations), or character cards. */
    target: z
      .enum(EXPORT_TARGETS, { error: `target must be one of ${EXPORT_TARGETS.join(', ')}` })
      .default('chatbook'),
  })
  .strict()
  .superRefine((request, ctx) => {
    const selection = request.selection ?? request.content_selections;
    if (request.target !== 'chatbook' && selection) {
      const allowed = TARGET_TYPES[request.target];
      const others = Object.keys(selection).filter((type) => !allowed.includes(type));
      if (others.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['selection'],
          message: `target ${request.target} exports ${allowed.join(', ')} only; remove ${others.join(', ')} from the selection or export a chatbook`,
        });
      }
    }
    if (request.selection && request.content_selections) {
      ctx.addIssue({
        code: 'custom',
        path: ['content_selections'],
        message: 'give selection or content_selections, not both',
      });
    } else if (!selection || Object.keys(selection).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection'],
        message:
          'No content selected for export: give ids or "all" for at least one type, e.g. {"note": "all"}',
      });
    } else {
      const named = Object.values(selection).reduce(
        (sum, value) => sum + (value === 'all' ? 0 : value.length),
        0,
      );
      if (named > MAX_SELECTED_IDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['selection'],
          message: `At most ${MAX_SELECTED_IDS} ids in one export; select a type with "all" and narrow it with filters`,
        });
      }
    }
    const { updated_since: since, updated_until: until } = request.filters;
    if (since && until && Date.parse(since) > Date.parse(until)) {
      ctx.addIssue({
        code: 'custom',
        path: ['filters', 'updated_until'],
        message: 'updated_until is before updated_since',
      });
    }
  });

export type ExportRequest = z.input<typeof exportRequestSchema>;

/** The request as the use case and the workflow keep it (stored on the job). */
export interface ExportSpec {
  name: string;
  description: string;
  author?: string;
  tags: string[];
  categories: string[];
  selection: Partial<Record<ContentType, 'all' | string[]>>;
  filters: { tags?: string[]; updatedSince?: string; updatedUntil?: string };
  includeMedia: boolean;
  includeEmbeddings: boolean;
  formatVersion: '1.1.0' | '1.0.0';
  /** A chatbook unless asked for another tool's format (absent on jobs from before targets: a chatbook). */
  target?: ExportTarget;
  /** undefined: let the size decide (sync when small). */
  async?: boolean;
}

export function toExportSpec(request: z.output<typeof exportRequestSchema>): ExportSpec {
  const selection = (request.selection ?? request.content_selections ?? {}) as ExportSpec['selection'];
  const asyncChoice = request.async ?? request.async_mode;
  const { tags, updated_since, updated_until } = request.filters;
  return {
    name: request.name,
    description: request.description,
    ...(request.author ? { author: request.author } : {}),
    tags: request.tags,
    categories: request.categories,
    selection,
    filters: {
      ...(tags?.length ? { tags } : {}),
      ...(updated_since ? { updatedSince: new Date(updated_since).toISOString() } : {}),
      ...(updated_until ? { updatedUntil: new Date(updated_until).toISOString() } : {}),
    },
    includeMedia: request.include_media,
    includeEmbeddings: request.include_embeddings,
    formatVersion: request.format_version,
    ...(request.target === 'chatbook' ? {} : { target: request.target }),
    ...(asyncChoice === undefined ? {} : { async: asyncChoice }),
  };
}
