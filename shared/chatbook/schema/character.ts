/**
 * A character card (`content/characters/character_<id>.json`): tldw dumps the whole `character_cards` row, so only
 * the id and the name (the conflict key) are typed; every other column is kept as written.
 */
import { z } from 'zod';
import { dropUndefined, refIdSchema, requiredText } from './common';

export const characterSchema = z
  .looseObject({
    id: refIdSchema,
    name: requiredText,
  })
  .transform(dropUndefined);

export type CharacterItem = z.infer<typeof characterSchema>;
