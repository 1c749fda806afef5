/** What the user has picked to export: per type, some items (by id, with their titles) or all of them. */
import { CONTENT_TYPES, TYPE_LABELS, countOf, type ContentType } from './api-types';

type Pick = 'all' | Map<string, string>;

export class Selection {
  private readonly picks = new Map<ContentType, Pick>();
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  isAll(type: ContentType): boolean {
    return this.picks.get(type) === 'all';
  }

  has(type: ContentType, id: string): boolean {
    const pick = this.picks.get(type);
    return pick === 'all' || (pick?.has(id) ?? false);
  }

  toggle(type: ContentType, id: string, title: string, selected: boolean): void {
    const current = this.picks.get(type);
    if (current === 'all') return;
    const items = current ?? new Map<string, string>();
    if (selected) items.set(id, title);
    else items.delete(id);
    if (items.size === 0) this.picks.delete(type);
    else this.picks.set(type, items);
    this.changed();
  }

  setAll(type: ContentType, all: boolean): void {
    if (all) this.picks.set(type, 'all');
    else this.picks.delete(type);
    this.changed();
  }

  remove(type: ContentType): void {
    this.picks.delete(type);
    this.changed();
  }

  clear(): void {
    this.picks.clear();
    this.changed();
  }

  get empty(): boolean {
    return this.picks.size === 0;
  }

  /** The export request's `selection`: ids per type, or "all". */
  toRequest(): Partial<Record<ContentType, 'all' | string[]>> {
    const selection: Partial<Record<ContentType, 'all' | string[]>> = {};
    for (const [type, pick] of this.picks) selection[type] = pick === 'all' ? 'all' : [...pick.keys()];
    return selection;
  }

  /** One line per type, in the library's order: "all notes", "2 prompts". */
  describe(): { type: ContentType; text: string; titles: string[] }[] {
    return CONTENT_TYPES.flatMap((type) => {
      const pick = this.picks.get(type);
      if (!pick) return [];
      return pick === 'all'
        ? [{ type, text: `all ${TYPE_LABELS[type].many}`, titles: [] }]
        : [{ type, text: countOf(type, pick.size), titles: [...pick.values()] }];
    });
  }
}
