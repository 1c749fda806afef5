/**
 * A world book (`content/world_books/world_book_<id>.json`): tldw writes a flattened shape plus a legacy nested
 * `world_book` object; older files may carry only the nested one, so its fields fill the top level when absent.
 */
import { z } from 'zod';
import {
  dropUndefined,
  isPlainObject,
  jsonObjectish,
  listOf,
  numberish,
  optionalBoolean,
  optionalText,
  refIdSchema,
  requiredText,
  stringListSchema,
  textOr,
  timestampSchema,
  type JsonObject,
} from './common';

export const worldBookEntrySchema = z.looseObject({
  id: refIdSchema,
  keywords: z.preprocess((value) => value ?? undefined, stringListSchema.default([])),
  content: textOr(''),
  priority: numberish,
  enabled: optionalBoolean,
  case_sensitive: optionalBoolean,
  regex_match: optionalBoolean,
  whole_word_match: optionalBoolean,
  metadata: jsonObjectish,
});

/** The book-level fields, shared by the flattened shape and the nested legacy object. */
const bookFields = {
  id: refIdSchema,
  description: optionalText,
  scan_depth: numberish,
  token_budget: numberish,
  recursive_scanning: optionalBoolean,
  enabled: optionalBoolean,
  created_at: timestampSchema,
  updated_at: timestampSchema,
};

export const nestedWorldBookSchema = z.looseObject({ ...bookFields, name: optionalText });

const LIFTED_KEYS = [
  'id',
  'name',
  'description',
  'scan_depth',
  'token_budget',
  'recursive_scanning',
  'enabled',
];

/** Lifts book fields from the nested legacy object into the top level where the top level lacks them. */
function liftNestedBook(input: unknown): unknown {
  if (!isPlainObject(input) || !isPlainObject(input.world_book)) return input;
  const nested: JsonObject = input.world_book;
  const output: JsonObject = { ...input };
  for (const key of LIFTED_KEYS) {
    if ((output[key] === undefined || output[key] === null) && nested[key] !== undefined)
      output[key] = nested[key];
  }
  return output;
}

export const worldBookSchema = z
  .preprocess(
    liftNestedBook,
    z.looseObject({
      ...bookFields,
      name: requiredText,
      entries: listOf(worldBookEntrySchema),
      world_book: nestedWorldBookSchema.optional(),
    }),
  )
  .transform(dropUndefined);

export type WorldBookEntry = z.infer<typeof worldBookEntrySchema>;
export type WorldBookItem = z.infer<typeof worldBookSchema>;
