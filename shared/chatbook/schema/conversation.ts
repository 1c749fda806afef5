/** A conversation file (`content/conversations/conversation_<id>.json`), with tldw's legacy message keys. */
import { z } from 'zod';
import {
  dropUndefined,
  idSchema,
  jsonObjectish,
  listOf,
  optionalBoolean,
  optionalNumber,
  optionalText,
  refIdSchema,
  textOr,
  timestampSchema,
  unknownList,
  withAliases,
} from './common';

export const messageAttachmentSchema = z.looseObject({
  type: z.string().default('image'),
  mime_type: optionalText,
  file_path: optionalText,
  bundled: optionalBoolean,
  primary: optionalBoolean,
  size_bytes: optionalNumber,
});

export const citationSchema = z.looseObject({
  id: refIdSchema,
  chunk_id: refIdSchema,
  source_type: optionalText,
  title: optionalText,
  score: optionalNumber,
  excerpt: optionalText,
  url: optionalText,
  page_number: optionalNumber,
});

export const conversationMessageSchema = withAliases(
  {
    role: ['sender', 'author', 'from'],
    content: ['message', 'text'],
    timestamp: ['created_at'],
    parent_id: ['parentId', 'parent_message_id'],
  },
  z.looseObject({
    id: refIdSchema,
    parent_id: refIdSchema,
    role: textOr('user'),
    content: textOr(''),
    timestamp: timestampSchema,
    attachments: z.array(messageAttachmentSchema).optional(),
    citations: z.array(citationSchema).nullable().optional(),
    formal_citations: unknownList.nullable().optional(),
    rag_settings: jsonObjectish,
    rag_generated_answer: z.unknown().optional(),
    rag_search_query: optionalText,
  }),
);

export const conversationSchema = withAliases(
  { name: ['title', 'conversation_title'] },
  z.looseObject({
    id: idSchema,
    name: textOr('Untitled'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
    character_id: refIdSchema,
    attachments_path: optionalText,
    messages: listOf(conversationMessageSchema),
  }),
).transform(dropUndefined);

export type MessageAttachment = z.infer<typeof messageAttachmentSchema>;
export type Citation = z.infer<typeof citationSchema>;
export type ConversationMessage = z.infer<typeof conversationMessageSchema>;
export type ConversationItem = z.infer<typeof conversationSchema>;
