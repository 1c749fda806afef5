/** A generated document (`content/generated_documents/document_<id>.json`): the DocumentGenerator record. */
import { z } from 'zod';
import {
  dropUndefined,
  jsonObjectish,
  optionalNumber,
  optionalText,
  refIdSchema,
  requiredText,
  textOr,
  timestampSchema,
} from './common';

export const generatedDocumentSchema = z
  .looseObject({
    id: refIdSchema,
    title: requiredText,
    document_type: textOr('summary'),
    content: textOr(''),
    provider: optionalText,
    model: optionalText,
    generation_time_ms: optionalNumber,
    token_count: optionalNumber,
    conversation_id: refIdSchema,
    metadata: jsonObjectish,
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .transform(dropUndefined);

export type GeneratedDocumentItem = z.infer<typeof generatedDocumentSchema>;
