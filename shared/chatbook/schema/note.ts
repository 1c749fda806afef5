/** A note (`content/notes/note_<id>.md`): the fields of its YAML front matter plus the Markdown body as `content`. */
import { z } from 'zod';
import {
  dropUndefined,
  idSchema,
  optionalStringList,
  textOr,
  requiredText,
  timestampSchema,
  withAliases,
} from './common';

export const noteSchema = withAliases(
  { tags: ['keywords'] },
  z.looseObject({
    id: idSchema,
    title: requiredText,
    created_at: timestampSchema,
    updated_at: timestampSchema,
    tags: optionalStringList,
    content: textOr(''),
  }),
).transform(dropUndefined);

export type NoteItem = z.infer<typeof noteSchema>;
