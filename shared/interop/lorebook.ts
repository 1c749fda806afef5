/**
 * Lorebooks, both ways: the character card spec's lorebook (`character_book`, `lorebook_v3`) and SillyTavern's
 * World Info files (`entries` keyed by uid, or a list) become world book items in tldw's shape; a world book
 * becomes a spec lorebook again. tldw keeps only an entry's `keywords, content, priority, enabled, case_sensitive,
 * regex_match, whole_word_match, metadata`, so every other spec field rides in `metadata.lorebook` (book and
 * entry), verbatim: a round trip gives back the lorebook it was given. `null` ("use the global setting") stays null.
 */
import type { WorldBookEntry, WorldBookItem } from '../chatbook/schema/world-book';
import {
  compact,
  isPlainObject,
  numberOf,
  objectOf,
  omitKeys,
  setOwn,
  stringOf,
  type JsonObject,
} from './values';

/** A lorebook as the card spec writes it (V2 `character_book`, V3 `lorebook_v3.data`). */
export interface SpecLorebook {
  name?: string;
  description?: string;
  scan_depth?: number;
  token_budget?: number;
  recursive_scanning?: boolean;
  extensions: JsonObject;
  entries: SpecLorebookEntry[];
  [key: string]: unknown;
}

export interface SpecLorebookEntry {
  keys: string[];
  content: string;
  extensions: JsonObject;
  enabled: boolean;
  insertion_order: number;
  case_sensitive?: boolean | null;
  use_regex: boolean;
  [key: string]: unknown;
}

const DEFAULT_INSERTION_ORDER = 100;

/** SillyTavern's `position` numbers: 0 is before the character, every other one after it in the spec's terms. */
function specPosition(position: unknown): 'before_char' | 'after_char' {
  return numberOf(position) === 0 || position === undefined ? 'before_char' : 'after_char';
}

/** SillyTavern World Info fields that the spec has a field for, or that go into `extensions` under another name. */
const ST_EXTENSION_NAMES: Readonly<Record<string, string>> = {
  position: 'position',
  excludeRecursion: 'exclude_recursion',
  displayIndex: 'display_index',
  probability: 'probability',
  useProbability: 'useProbability',
  depth: 'depth',
  selectiveLogic: 'selectiveLogic',
  outletName: 'outlet_name',
  group: 'group',
  groupOverride: 'group_override',
  groupWeight: 'group_weight',
  preventRecursion: 'prevent_recursion',
  delayUntilRecursion: 'delay_until_recursion',
  scanDepth: 'scan_depth',
  matchWholeWords: 'match_whole_words',
  useGroupScoring: 'use_group_scoring',
  caseSensitive: 'case_sensitive',
  automationId: 'automation_id',
  role: 'role',
  vectorized: 'vectorized',
  sticky: 'sticky',
  cooldown: 'cooldown',
  delay: 'delay',
};
const ST_SPEC_FIELDS = [
  'uid',
  'key',
  'keysecondary',
  'comment',
  'content',
  'constant',
  'selective',
  'order',
  'disable',
  'addMemo',
  'extensions',
];

/** Whether an entry is in SillyTavern's World Info shape rather than the spec's. */
function isWorldInfoEntry(entry: JsonObject): boolean {
  return (
    !Array.isArray(entry.keys) &&
    (Array.isArray(entry.key) || 'uid' in entry || 'disable' in entry || 'keysecondary' in entry)
  );
}

/**
 * A World Info entry as a spec entry, the way SillyTavern converts one (`convertWorldInfoToCharacterBook`).
 * Fields SillyTavern itself does not map are kept in `extensions` under their own names, so nothing is lost.
 */
export function worldInfoEntryToSpec(entry: JsonObject): JsonObject {
  const extensions: JsonObject = { ...(objectOf(entry.extensions) ?? {}) };
  for (const [key, value] of Object.entries(entry)) {
    if (ST_SPEC_FIELDS.includes(key) || value === undefined) continue;
    const name = ST_EXTENSION_NAMES[key] ?? key;
    if (!Object.hasOwn(extensions, name)) setOwn(extensions, name, value);
  }
  return compact({
    id: entry.uid,
    keys: Array.isArray(entry.key) ? entry.key : [],
    secondary_keys: Array.isArray(entry.keysecondary) ? entry.keysecondary : [],
    comment: entry.comment,
    content: entry.content,
    constant: entry.constant,
    selective: entry.selective,
    insertion_order: entry.order,
    // null ("use the global setting") stays in extensions only: the spec field has no such value.
    case_sensitive: typeof entry.caseSensitive === 'boolean' ? entry.caseSensitive : undefined,
    enabled: entry.disable === undefined ? true : entry.disable !== true,
    position: specPosition(entry.position),
    use_regex: true,
    addMemo: entry.addMemo,
    extensions,
  });
}

/** Spec entry fields that tldw's entry holds itself. */
const MAPPED_ENTRY_FIELDS = ['keys', 'content', 'enabled', 'insertion_order', 'use_regex'];

/** A spec entry (or a World Info one) as a tldw world book entry; undefined when it is not an entry at all. */
export function entryToWorldBook(raw: unknown): WorldBookEntry | undefined {
  const given = objectOf(raw);
  if (!given) return undefined;
  const entry = isWorldInfoEntry(given) ? worldInfoEntryToSpec(given) : given;
  const keys = Array.isArray(entry.keys)
    ? entry.keys.filter((key): key is string => typeof key === 'string')
    : [];
  const caseSensitive = typeof entry.case_sensitive === 'boolean' ? entry.case_sensitive : undefined;
  const lorebook = omitKeys(
    entry,
    caseSensitive === undefined ? MAPPED_ENTRY_FIELDS : [...MAPPED_ENTRY_FIELDS, 'case_sensitive'],
  );
  // `insertion_order: ""` (hand-edited cards) reads as the default.
  const insertionOrder = numberOf(entry.insertion_order) ?? DEFAULT_INSERTION_ORDER;
  const extensions = objectOf(entry.extensions);
  const wholeWords = extensions?.match_whole_words;
  const content = entry.content;
  return compact({
    keywords: keys,
    content: typeof content === 'string' ? content : content == null ? '' : JSON.stringify(content),
    priority: insertionOrder,
    enabled: entry.enabled !== false,
    case_sensitive: caseSensitive,
    regex_match: entry.use_regex === true,
    whole_word_match: typeof wholeWords === 'boolean' ? wholeWords : undefined,
    metadata: { lorebook },
  }) as WorldBookEntry;
}

/** The entries of a lorebook or World Info file, whichever form they take. */
export function lorebookEntries(entries: unknown): unknown[] | undefined {
  if (Array.isArray(entries)) return entries as unknown[];
  // World Info: keyed by uid. Keys are strings; the uid inside each entry is the real one.
  if (isPlainObject(entries)) return Object.values(entries);
  return undefined;
}

/** Book fields tldw holds itself. */
const MAPPED_BOOK_FIELDS = [
  'name',
  'description',
  'scan_depth',
  'token_budget',
  'recursive_scanning',
  'entries',
];

export interface LorebookConversion {
  item: WorldBookItem;
  /** Entries that were not objects: left out. */
  skippedEntries: number;
}

/**
 * A spec lorebook or a World Info file as a world book item. `book` is the lorebook object (for `lorebook_v3`, its
 * `data`); `fileFields` are a World Info file's other top-level keys (`originalData`, …), kept too.
 */
export function lorebookToWorldBook(
  book: JsonObject,
  options: { id: string; name: string; sourceFormat: string; fileFields?: JsonObject; metadata?: JsonObject },
): LorebookConversion | undefined {
  const rawEntries = lorebookEntries(book.entries);
  if (!rawEntries) return undefined;
  const entries: WorldBookEntry[] = [];
  let skippedEntries = 0;
  for (const raw of rawEntries) {
    const entry = entryToWorldBook(raw);
    if (entry) entries.push(entry);
    else skippedEntries++;
  }
  const lorebook = omitKeys(book, MAPPED_BOOK_FIELDS);
  if (!Array.isArray(book.entries)) lorebook.entries_form = 'object';
  const recursive = book.recursive_scanning;
  const item = compact({
    id: options.id,
    name: stringOf(book.name)?.trim() || options.name,
    description: stringOf(book.description) ?? null,
    scan_depth: numberOf(book.scan_depth),
    token_budget: numberOf(book.token_budget),
    recursive_scanning: typeof recursive === 'boolean' ? recursive : undefined,
    enabled: true,
    entries,
    metadata: compact({
      source_format: options.sourceFormat,
      lorebook,
      world_info:
        options.fileFields && Object.keys(options.fileFields).length > 0 ? options.fileFields : undefined,
      ...options.metadata,
    }),
  }) as WorldBookItem;
  return { item, skippedEntries };
}

/** A world book entry as a spec lorebook entry: the kept spec fields, then tldw's current values over them. */
export function worldBookEntryToSpec(entry: WorldBookEntry): SpecLorebookEntry {
  const kept = objectOf(objectOf(entry.metadata)?.lorebook) ?? {};
  const spec: SpecLorebookEntry = {
    ...kept,
    keys: [...entry.keywords],
    content: entry.content,
    extensions: objectOf(kept.extensions) ?? {},
    enabled: entry.enabled ?? true,
    insertion_order: entry.priority ?? DEFAULT_INSERTION_ORDER,
    use_regex: entry.regex_match ?? false,
  };
  if (typeof entry.case_sensitive === 'boolean') spec.case_sensitive = entry.case_sensitive;
  if (
    typeof entry.whole_word_match === 'boolean' &&
    ('match_whole_words' in spec.extensions || !entry.whole_word_match)
  )
    spec.extensions = { ...spec.extensions, match_whole_words: entry.whole_word_match };
  return spec;
}

/** A world book as a spec lorebook (a card's `character_book`). */
export function worldBookToLorebook(book: WorldBookItem): SpecLorebook {
  const kept = objectOf(objectOf(book.metadata)?.lorebook) ?? {};
  const lorebook: SpecLorebook = {
    ...omitKeys(kept, ['entries_form']),
    name: book.name,
    extensions: objectOf(kept.extensions) ?? {},
    entries: book.entries.map(worldBookEntryToSpec),
  };
  if (typeof book.description === 'string') lorebook.description = book.description;
  if (typeof book.scan_depth === 'number') lorebook.scan_depth = book.scan_depth;
  if (typeof book.token_budget === 'number') lorebook.token_budget = book.token_budget;
  if (typeof book.recursive_scanning === 'boolean') lorebook.recursive_scanning = book.recursive_scanning;
  return lorebook;
}

/** Whether a parsed JSON value is a lorebook file: `lorebook_v3`, or an object whose `entries` are lorebook entries. */
export function isLorebookFile(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  if (value.spec === 'lorebook_v3' && isPlainObject(value.data)) return true;
  if (typeof value.spec === 'string' && value.spec.startsWith('chara_card')) return false;
  const entries = lorebookEntries(value.entries);
  if (!entries) return false;
  return (
    entries.length === 0 ||
    entries.slice(0, 5).some((entry) => {
      const object = objectOf(entry);
      return (
        object !== undefined &&
        (Array.isArray(object.keys) || Array.isArray(object.key) || 'content' in object)
      );
    })
  );
}
