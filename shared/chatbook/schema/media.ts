/**
 * A media item (`content/media/media_<id>.json`): the Media-DB row plus its transcripts, chunks and stored
 * artifacts (the binary files bundled under `content/media/files/`, or pointer-only ones).
 */
import { z } from 'zod';
import {
  dropUndefined,
  jsonObjectish,
  listOf,
  optionalBoolean,
  optionalNumber,
  optionalStringList,
  optionalText,
  refIdSchema,
  requiredText,
  textOr,
  timestampSchema,
  unknownList,
  withAliases,
} from './common';

export const transcriptSchema = withAliases(
  { transcription: ['text', 'content'], whisper_model: ['model'] },
  z.looseObject({
    id: refIdSchema,
    media_id: refIdSchema,
    transcription: textOr(''),
    whisper_model: optionalText,
    created_at: timestampSchema,
  }),
);

export const mediaChunkSchema = withAliases(
  { text: ['chunk_text'] },
  z.looseObject({
    id: refIdSchema,
    text: textOr(''),
    start_char: optionalNumber,
    end_char: optionalNumber,
    chunk_type: optionalText,
    metadata: jsonObjectish,
  }),
);

export const storedArtifactSchema = z.looseObject({
  id: refIdSchema,
  uuid: optionalText,
  file_type: optionalText,
  original_filename: optionalText,
  file_size: optionalNumber,
  mime_type: optionalText,
  checksum: optionalText,
  created_at: timestampSchema,
  last_modified: timestampSchema,
  bundled: optionalBoolean,
  pointer_only: optionalBoolean,
  archive_path: optionalText,
});

export const mediaSchema = z
  .looseObject({
    id: refIdSchema,
    uuid: optionalText,
    title: requiredText,
    type: optionalText,
    url: optionalText,
    content: optionalText,
    author: optionalText,
    keywords: optionalStringList,
    ingestion_date: timestampSchema,
    transcripts: listOf(transcriptSchema),
    chunks: listOf(mediaChunkSchema),
    stored_artifacts: listOf(storedArtifactSchema),
    related_prompts: unknownList.optional(),
  })
  .transform(dropUndefined);

export type Transcript = z.infer<typeof transcriptSchema>;
export type MediaChunk = z.infer<typeof mediaChunkSchema>;
export type StoredArtifact = z.infer<typeof storedArtifactSchema>;
export type MediaItem = z.infer<typeof mediaSchema>;
