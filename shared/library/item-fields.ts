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
  return text(record.name) ?? text(record.title) ?? 'Untitled';
}

/** Tags as the item states them: `tags` (notes) or `keywords` (media, prompts). */
export function tagsOf<T extends ContentType>(type: T, content: ItemByType[T]): string[] {
  const record: Record<string, unknown> = content;
  return [...new Set([...strings(record.tags), ...strings(record.keywords)])];
}
