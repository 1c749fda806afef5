/** POST /import: the upload, the strategy and what to take, with tldw_server's keys accepted too. */
import { z } from 'zod';
import { CONTENT_TYPES, isContentType, type ContentType } from '../chatbook/layout';
import { SOURCE_FORMATS, type SourceFormat } from '../interop/source-format';
import { IMPORT_STRATEGIES, type ImportStrategy } from './resolve';

const selectionSchema = z
  .record(z.string(), z.union([z.literal('all'), z.array(z.string().min(1).max(256)).min(1)]), {
    error: 'a map of type to a list of ids, or "all"',
  })
  .superRefine((selection, ctx) => {
    for (const type of Object.keys(selection)) {
      if (!isContentType(type)) {
        ctx.addIssue({
          code: 'custom',
          path: [type],
          message: `Unsupported content type in selection: ${type}. Use one of ${CONTENT_TYPES.join(', ')}.`,
        });
      }
    }
  });

export const importRequestSchema = z
  .object({
    upload_id: z.string().min(1).max(100),
    strategy: z
      .enum(IMPORT_STRATEGIES, { error: 'strategy must be skip, overwrite, rename or merge' })
      .optional(),
    /** tldw's name for the strategy. */
    conflict_resolution: z.enum(IMPORT_STRATEGIES).optional(),
    selection: selectionSchema.optional(),
    content_selections: selectionSchema.optional(),
    /** Text put before every imported title, e.g. "[Imported] ". */
    prefix: z.string().max(50).optional(),
    /** tldw: prefix the titles with "[Imported] ". */
    prefix_imported: z.boolean().optional(),
    include_media: z.boolean().optional(),
    import_media: z.boolean().optional(),
    include_embeddings: z.boolean().optional(),
    import_embeddings: z.boolean().optional(),
    async: z.boolean().optional(),
    async_mode: z.boolean().optional(),
    /** What the upload is (a chatbook, a ChatGPT export, a character card...); detected from its content if left out. */
    source_format: z
      .enum(SOURCE_FORMATS, { error: `source_format must be one of ${SOURCE_FORMATS.join(', ')}` })
      .optional(),
  })
  .strict();

export interface ImportSpec {
  uploadId: string;
  strategy: ImportStrategy;
  selection?: Partial<Record<ContentType, 'all' | string[]>>;
  prefix?: string;
  includeMedia: boolean;
  includeEmbeddings: boolean;
  async?: boolean;
  sourceFormat?: SourceFormat;
}

export function toImportSpec(request: z.infer<typeof importRequestSchema>): ImportSpec {
  const selection = (request.selection ?? request.content_selections) as ImportSpec['selection'];
  const prefix = request.prefix ?? (request.prefix_imported ? '[Imported] ' : undefined);
  const asyncChoice = request.async ?? request.async_mode;
  return {
    uploadId: request.upload_id,
    strategy: request.strategy ?? request.conflict_resolution ?? 'skip',
    ...(selection ? { selection } : {}),
    ...(prefix ? { prefix } : {}),
    includeMedia: request.include_media ?? request.import_media ?? true,
    includeEmbeddings: request.include_embeddings ?? request.import_embeddings ?? true,
    ...(asyncChoice === undefined ? {} : { async: asyncChoice }),
    ...(request.source_format ? { sourceFormat: request.source_format } : {}),
  };
}
