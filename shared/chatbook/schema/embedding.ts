/**
 * An embedding file (`content/embeddings/...`) in one of three shapes: tldw's media vector (base64 blob, file
 * `embedding_media_<media_id>.json`), tldw's Chroma collection dump (`collection_<name>.json`), and our own vector
 * form (source, model, dimensions, vector as numbers). The shape is told by its keys, never by a field we add.
 */
import { z } from 'zod';
import {
  dropUndefined,
  idSchema,
  isPlainObject,
  jsonObjectish,
  listOf,
  numberish,
  optionalBoolean,
  optionalNumber,
  optionalText,
  refIdSchema,
  requiredText,
} from './common';

const finiteNumbers = z.array(z.number({ error: 'expected a number' }), {
  error: 'expected a list of numbers',
});

export const mediaVectorEmbeddingSchema = z.looseObject({
  id: idSchema,
  source: z.looseObject({ media_id: refIdSchema, media_uuid: optionalText }),
  encoding: z.literal('base64', { error: 'expected "base64"' }),
  vector: z.string({ error: 'expected a base64 string' }).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64'),
  model: optionalText,
  dimensions: optionalNumber,
});

export const collectionChunkSchema = z.looseObject({
  id: idSchema,
  document: optionalText,
  metadata: jsonObjectish,
  embedding: finiteNumbers.nullable().optional(),
});

export const collectionEmbeddingSchema = z.looseObject({
  id: refIdSchema,
  embedding_set_id: requiredText,
  source_hash: optionalText,
  collection_metadata: jsonObjectish,
  item_count: optionalNumber,
  truncated: optionalBoolean,
  chunks: listOf(collectionChunkSchema),
});

export const vectorEmbeddingSchema = z
  .looseObject({
    id: idSchema,
    source: z.looseObject({ type: requiredText, id: idSchema }),
    model: optionalText,
    dimensions: numberish,
    vector: finiteNumbers,
  })
  .transform((item, ctx) => {
    if (item.dimensions !== undefined && item.dimensions !== item.vector.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['dimensions'],
        message: `is ${item.dimensions} but the vector has ${item.vector.length} values`,
      });
      return z.NEVER;
    }
    return { ...item, dimensions: item.vector.length };
  });

export type MediaVectorEmbedding = z.infer<typeof mediaVectorEmbeddingSchema>;
export type CollectionEmbedding = z.infer<typeof collectionEmbeddingSchema>;
export type VectorEmbedding = z.infer<typeof vectorEmbeddingSchema>;
export type EmbeddingItem = MediaVectorEmbedding | CollectionEmbedding | VectorEmbedding;
export type EmbeddingShape = 'media_vector' | 'collection' | 'vector';

/** Which of the three shapes an object has, from its keys. */
export function embeddingShapeOf(input: unknown): EmbeddingShape {
  if (isPlainObject(input)) {
    if ('embedding_set_id' in input || ('chunks' in input && !('vector' in input))) return 'collection';
    if ('encoding' in input || typeof input.vector === 'string') return 'media_vector';
  }
  return 'vector';
}

const SHAPE_SCHEMAS = {
  media_vector: mediaVectorEmbeddingSchema,
  collection: collectionEmbeddingSchema,
  vector: vectorEmbeddingSchema,
} as const;

export const embeddingSchema = z.unknown().transform((input, ctx): EmbeddingItem => {
  if (!isPlainObject(input)) {
    ctx.addIssue({ code: 'custom', message: 'expected an object' });
    return z.NEVER;
  }
  const parsed = SHAPE_SCHEMAS[embeddingShapeOf(input)].safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
    return z.NEVER;
  }
  return dropUndefined(parsed.data);
});

/** The numbers of a media vector blob (raw little-endian float32, as numpy writes it), or undefined if not. */
export function decodeBase64Vector(vector: string): number[] | undefined {
  const bytes = Buffer.from(vector, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  const values: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 4) values.push(bytes.readFloatLE(offset));
  return values;
}

/** The base64 blob tldw expects for a vector (little-endian float32). */
export function encodeBase64Vector(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}
