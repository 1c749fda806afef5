/** The reader for each content type's item file, and the normalized item type each one gives. */
import type { z } from 'zod';
import type { ContentType } from '../layout';
import { characterSchema, type CharacterItem } from './character';
import { conversationSchema, type ConversationItem } from './conversation';
import { dictionarySchema, type DictionaryItem } from './dictionary';
import { embeddingSchema, type EmbeddingItem } from './embedding';
import { evaluationSchema, type EvaluationItem } from './evaluation';
import { generatedDocumentSchema, type GeneratedDocumentItem } from './generated-document';
import { mediaSchema, type MediaItem } from './media';
import { noteSchema, type NoteItem } from './note';
import { promptSchema, type PromptItem } from './prompt';
import { worldBookSchema, type WorldBookItem } from './world-book';

export interface ItemByType {
  conversation: ConversationItem;
  note: NoteItem;
  character: CharacterItem;
  world_book: WorldBookItem;
  dictionary: DictionaryItem;
  prompt: PromptItem;
  media: MediaItem;
  embedding: EmbeddingItem;
  generated_document: GeneratedDocumentItem;
  evaluation: EvaluationItem;
}

export type ChatbookItem = ItemByType[ContentType];

export const ITEM_SCHEMAS: { readonly [T in ContentType]: z.ZodType<ItemByType[T]> } = {
  conversation: conversationSchema,
  note: noteSchema,
  character: characterSchema,
  world_book: worldBookSchema,
  dictionary: dictionarySchema,
  prompt: promptSchema,
  media: mediaSchema,
  embedding: embeddingSchema,
  generated_document: generatedDocumentSchema,
  evaluation: evaluationSchema,
};

/**
 * The id an item is known by in the archive (its file name and manifest entry): `id`, else a world book's nested
 * id, else `collection:<embedding_set_id>` for a Chroma collection dump.
 */
export function itemIdOf<T extends ContentType>(type: T, item: ItemByType[T]): string | undefined {
  const record: Record<string, unknown> = item;
  if (typeof record.id === 'string' && record.id !== '') return record.id;
  if (type === 'embedding' && typeof record.embedding_set_id === 'string') {
    return `collection:${record.embedding_set_id}`;
  }
  return undefined;
}
