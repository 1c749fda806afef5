/** The library's title and tags of an item, read from the chatbook fields each type keeps them in. */
import type { ContentType } from '../chatbook/layout';
import type { ItemByType } from '../chatbook/schema/items';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function scalar(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The types whose conflict key is `title`; the others' is `name`. */
const TITLE_FIRST: ReadonlySet<ContentType> = new Set(['note', 'media', 'generated_document']);

/** tldw's conflict key: `name` for most types, `title` for notes, media and documents. */
export function titleOf<T extends ContentType>(type: T, content: ItemByType[T]): string {
  const record: Record<string, unknown> = content;
  if (type === 'embedding') {
    const source = (record.source ?? {}) as Record<string, unknown>;
    const sourceId = scalar(source.media_id) ?? scalar(source.id);
    return (
      text(record.title) ??
      text(record.embedding_set_id) ??
      (sourceId ? `Embedding of ${sourceId}` : undefined) ??
      scalar(record.id) ??
      'Embedding'
    );
  }
  const [first, second] = TITLE_FIRST.has(type) ? (['title', 'name'] as const) : (['name', 'title'] as const);
  return text(record[first]) ?? text(record[second]) ?? 'Untitled';
}

/** Tags as the item states them: `tags` (notes) or `keywords` (media, prompts). */
export function tagsOf<T extends ContentType>(type: T, content: ItemByType[T]): string[] {
  const record: Record<string, unknown> = content;
  // Trimmed and without blanks, as tags given beside the content are, so a tag filter can match them.
  const tags = [...strings(record.tags), ...strings(record.keywords)].map((tag) => tag.trim());
  return [...new Set(tags.filter((tag) => tag !== ''))];
}
