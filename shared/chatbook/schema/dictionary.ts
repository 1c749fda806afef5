/**
 * A chat dictionary (`content/dictionaries/dictionary_<id>.json`). Entries accept tldw's legacy keys; `is_regex`
 * becomes `type`, and a probability written as a percentage (0..100) becomes a fraction (0..1).
 */
import { z } from 'zod';
import {
  coerceNumberInput,
  dropUndefined,
  isPlainObject,
  jsonObjectish,
  listOf,
  numberish,
  optionalBoolean,
  optionalText,
  refIdSchema,
  renameAliases,
  requiredText,
  textOr,
  timestampSchema,
} from './common';

export const DICTIONARY_ENTRY_TYPES = ['literal', 'regex'] as const;

const TRUE_VALUES = new Set<unknown>([true, 1, '1', 'true']);

/** Renames legacy keys and derives `type` from `is_regex` when `type` is absent. */
function normalizeEntryKeys(input: unknown): unknown {
  const renamed = renameAliases(input, {
    key_pattern: ['pattern', 'key'],
    replacement: ['content'],
    group: ['group_name'],
  });
  if (!isPlainObject(renamed)) return renamed;
  const output = { ...renamed };
  if (typeof output.type === 'string') output.type = output.type.trim().toLowerCase();
  if ((output.type === undefined || output.type === null || output.type === '') && 'is_regex' in output) {
    output.type = TRUE_VALUES.has(output.is_regex) ? 'regex' : 'literal';
    delete output.is_regex;
  }
  return output;
}

/** 0..1 as is; above 1 and up to 100 is a percentage. */
const probabilitySchema = z.preprocess(
  coerceNumberInput,
  z
    .number({ error: 'expected a number or null' })
    .min(0, 'must be between 0 and 1 (or 0 and 100)')
    .max(100, 'must be between 0 and 1 (or 0 and 100)')
    .transform((value) => (value > 1 ? value / 100 : value))
    .nullable()
    .optional(),
);

export const dictionaryEntrySchema = z.preprocess(
  normalizeEntryKeys,
  z.looseObject({
    id: refIdSchema,
    key_pattern: requiredText,
    replacement: textOr(''),
    type: z.enum(DICTIONARY_ENTRY_TYPES, { error: 'expected "literal" or "regex"' }).default('literal'),
    probability: probabilitySchema,
    max_replacements: numberish,
    group: optionalText,
    timed_effects: jsonObjectish,
    enabled: optionalBoolean,
    case_sensitive: optionalBoolean,
  }),
);

export const dictionarySchema = z
  .looseObject({
    id: refIdSchema,
    name: requiredText,
    description: optionalText,
    is_active: optionalBoolean,
    created_at: timestampSchema,
    updated_at: timestampSchema,
    entries: listOf(dictionaryEntrySchema),
  })
  .transform(dropUndefined);

export type DictionaryEntryType = (typeof DICTIONARY_ENTRY_TYPES)[number];
export type DictionaryEntry = z.infer<typeof dictionaryEntrySchema>;
export type DictionaryItem = z.infer<typeof dictionarySchema>;
