/** A prompt (`content/prompts/prompt_<id>.json`): the Prompts-DB row, read with tldw's legacy keys. */
import { z } from 'zod';
import {
  dropUndefined,
  numberish,
  optionalStringList,
  optionalText,
  refIdSchema,
  requiredText,
  textOr,
  timestampSchema,
  withAliases,
} from './common';

export const promptSchema = withAliases(
  { name: ['title'], details: ['description'] },
  z.looseObject({
    id: refIdSchema,
    uuid: optionalText,
    name: requiredText,
    author: optionalText,
    details: optionalText,
    system_prompt: optionalText,
    user_prompt: optionalText,
    prompt_format: textOr('legacy'),
    prompt_schema_version: z.union([numberish, z.null()]).optional(),
    prompt_definition: z.unknown().optional(),
    keywords: optionalStringList,
    created_at: timestampSchema,
    updated_at: timestampSchema,
  }),
).transform(dropUndefined);

export type PromptItem = z.infer<typeof promptSchema>;
