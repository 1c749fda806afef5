/**
 * Character cards (V1 flat, V2 `chara_card_v2`, V3 `chara_card_v3`), both ways. A card becomes a character item in
 * tldw's row shape (`first_message`, `message_example`, …) plus, when it embeds a `character_book`, a world book
 * item linked to it. Everything the row has no column for (the spec marker, V3-only fields, unknown keys of `data`
 * and of the card) is kept under `metadata.card`, and `extensions` is kept whole, so a re-export gives them back.
 */
import type { CharacterItem } from '../chatbook/schema/character';
import type { WorldBookItem } from '../chatbook/schema/world-book';
import { lorebookToWorldBook, worldBookToLorebook, type SpecLorebook } from './lorebook';
import { embedCardChunks, placeholderPng } from './png-card';
import { compact, isPlainObject, objectOf, omitKeys, sha256Hex, stringOf, type JsonObject } from './values';

export type CardSpec = 'v1' | 'v2' | 'v3';

export interface ParsedCard {
  spec: CardSpec;
  /** The card's `spec` and `spec_version` as written (absent for V1). */
  specName?: string;
  specVersion?: string;
  /** The card's fields: `data` for V2/V3, the card itself for V1. */
  data: JsonObject;
  /** Top-level keys besides spec, spec_version and data (V2/V3). */
  extra: JsonObject;
  warnings: string[];
}

const V1_FIELDS = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'];
/** Pygmalion/early TavernAI names for the V1 fields. */
const LEGACY_V1_NAMES: Readonly<Record<string, string>> = {
  char_name: 'name',
  char_persona: 'description',
  world_scenario: 'scenario',
  char_greeting: 'first_mes',
  example_dialogue: 'mes_example',
};

/** Whether a parsed JSON value is a character card of any version. */
export function isCharacterCard(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  if (value.spec === 'chara_card_v2' || value.spec === 'chara_card_v3') return true;
  if (
    isPlainObject(value.data) &&
    'name' in value.data &&
    ('first_mes' in value.data || 'description' in value.data)
  )
    return true;
  // A lorebook has a name and a description too; its entries tell it apart.
  if ('entries' in value) return false;
  const hasName = 'name' in value || 'char_name' in value;
  return (
    hasName &&
    (V1_FIELDS.some((field) => field !== 'name' && field in value) ||
      'char_persona' in value ||
      'char_greeting' in value)
  );
}

/** Reads the card's version and fields; undefined when it is not a card. */
export function parseCard(value: unknown): ParsedCard | undefined {
  if (!isPlainObject(value) || !isCharacterCard(value)) return undefined;
  const warnings: string[] = [];
  const data = objectOf(value.data);
  if (data) {
    const specName = stringOf(value.spec);
    const spec: CardSpec = specName === 'chara_card_v3' ? 'v3' : 'v2';
    if (specName !== 'chara_card_v2' && specName !== 'chara_card_v3')
      warnings.push(
        `its spec ${specName === undefined ? 'is missing' : 'is not one we know'}; read as a V2 card`,
      );
    const specVersion =
      stringOf(value.spec_version) ??
      (typeof value.spec_version === 'number' ? String(value.spec_version) : undefined);
    if (spec === 'v3' && specVersion !== undefined && !specVersion.startsWith('3'))
      warnings.push(
        `its spec_version ${JSON.stringify(specVersion.slice(0, 20))} is newer than 3.0; read as 3.0`,
      );
    return {
      spec,
      specName,
      specVersion,
      data,
      extra: omitKeys(value, ['spec', 'spec_version', 'data']),
      warnings,
    };
  }
  const flat: JsonObject = {};
  for (const [key, field] of Object.entries(value)) {
    const name = LEGACY_V1_NAMES[key];
    if (name !== undefined && value[name] === undefined) flat[name] = field;
    else if (name === undefined)
      Object.defineProperty(flat, key, {
        value: field,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return { spec: 'v1', data: flat, extra: {}, warnings };
}

/** `data` fields read into the character's own columns (or into the world book). */
const TEXT_FIELDS: Readonly<Record<string, string>> = {
  description: 'description',
  personality: 'personality',
  scenario: 'scenario',
  first_mes: 'first_message',
  mes_example: 'message_example',
  creator_notes: 'creator_notes',
  system_prompt: 'system_prompt',
  post_history_instructions: 'post_history_instructions',
  creator: 'creator',
  character_version: 'character_version',
};
/** V3 fields the row has no column for, kept under their card names on the item (the spec defines them). */
const V3_FIELDS = [
  'nickname',
  'creator_notes_multilingual',
  'source',
  'group_only_greetings',
  'creation_date',
  'modification_date',
  'assets',
];
const READ_DATA_FIELDS = [
  'name',
  ...Object.keys(TEXT_FIELDS),
  'alternate_greetings',
  'tags',
  'extensions',
  'character_book',
  ...V3_FIELDS,
];

export interface CardConversion {
  character: CharacterItem;
  worldBook?: WorldBookItem;
  warnings: string[];
}

export type CardConversionResult = { ok: true; value: CardConversion } | { ok: false; reason: string };

/** The ids a card's items get: stable for the same name, so a card imported twice lands on the same ids. */
export function cardItemIds(name: string): { characterId: string; worldBookId: string } {
  const hash = sha256Hex(`character\u0000${name.trim()}`).slice(0, 20);
  return { characterId: `card-${hash}`, worldBookId: `card-${hash}-book` };
}

function textField(value: unknown, field: string, problems: string[]): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  problems.push(`${field} is not text`);
  return '';
}

function stringsField(value: unknown, field: string, warnings: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.trim() === '' ? [] : [value];
  if (!Array.isArray(value)) {
    warnings.push(`${field} is not a list; left out`);
    return [];
  }
  const strings = value.filter((element): element is string => typeof element === 'string');
  if (strings.length < value.length)
    warnings.push(`${value.length - strings.length} non-text value(s) of ${field} left out`);
  return strings;
}

/**
 * A parsed card as a character item (and its lorebook as a world book). A blank name or a text field that is not
 * text refuses the card: a character without them is not one a person would recognize.
 */
export function cardToItems(card: ParsedCard, options: { sourceFormat: string }): CardConversionResult {
  const { data } = card;
  const name =
    typeof data.name === 'string' ? data.name : typeof data.name === 'number' ? String(data.name) : '';
  if (name.trim() === '') return { ok: false, reason: 'the card has no name' };
  const problems: string[] = [];
  const warnings = [...card.warnings];
  const { characterId, worldBookId } = cardItemIds(name);

  const columns: JsonObject = {};
  for (const [field, column] of Object.entries(TEXT_FIELDS))
    columns[column] = textField(data[field], field, problems);
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
  const extensions = data.extensions;
  if (extensions !== undefined && extensions !== null && !isPlainObject(extensions))
    warnings.push('extensions is not an object; kept under metadata.card');

  let worldBook: WorldBookItem | undefined;
  const book = data.character_book;
  if (book !== undefined && book !== null) {
    const bookObject = objectOf(book);
    const converted =
      bookObject &&
      lorebookToWorldBook(bookObject, {
        id: worldBookId,
        name: `${name.trim()} lorebook`,
        sourceFormat: options.sourceFormat,
        metadata: { character_ids: [characterId] },
      });
    if (converted) {
      worldBook = converted.item;
      if (converted.skippedEntries > 0)
        warnings.push(`${converted.skippedEntries} malformed lorebook entr(ies) left out`);
    } else {
      warnings.push('its character_book is not a lorebook; left out');
    }
  }

  const v3Fields: JsonObject = {};
  if (card.spec === 'v3') {
    for (const field of V3_FIELDS) if (data[field] !== undefined) v3Fields[field] = data[field];
    v3Fields.group_only_greetings = stringsField(data.group_only_greetings, 'group_only_greetings', warnings);
  }
  const dataExtra = omitKeys(data, READ_DATA_FIELDS);
  if (extensions !== undefined && extensions !== null && !isPlainObject(extensions))
    dataExtra.extensions = extensions;
  const character = compact({
    id: characterId,
    name,
    ...columns,
    alternate_greetings: stringsField(data.alternate_greetings, 'alternate_greetings', warnings),
    tags: stringsField(data.tags, 'tags', warnings),
    extensions: isPlainObject(extensions) ? extensions : {},
    ...v3Fields,
    metadata: compact({
      source_format: options.sourceFormat,
      card: compact({
        spec: card.specName,
        spec_version: card.specVersion,
        data_extra: Object.keys(dataExtra).length > 0 ? dataExtra : undefined,
        extra: Object.keys(card.extra).length > 0 ? card.extra : undefined,
      }),
      world_book_ids: worldBook ? [worldBookId] : undefined,
    }),
  }) as CharacterItem;
  return { ok: true, value: { character, ...(worldBook ? { worldBook } : {}), warnings } };
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

export interface CardDataV2 {
  name: string;
  description: string;
  personality: string;
  scenario: string;
  first_mes: string;
  mes_example: string;
  creator_notes: string;
  system_prompt: string;
  post_history_instructions: string;
  alternate_greetings: string[];
  character_book?: SpecLorebook;
  tags: string[];
  creator: string;
  character_version: string;
  extensions: JsonObject;
  [key: string]: unknown;
}

export interface CardDataV3 extends CardDataV2 {
  group_only_greetings: string[];
  assets?: unknown[];
  nickname?: string;
  creator_notes_multilingual?: JsonObject;
  source?: string[];
  creation_date?: number;
  modification_date?: number;
}

export interface CharacterCardV2 {
  spec: 'chara_card_v2';
  spec_version: '2.0';
  data: CardDataV2;
  [key: string]: unknown;
}

export interface CharacterCardV3 {
  spec: 'chara_card_v3';
  spec_version: string;
  data: CardDataV3;
  [key: string]: unknown;
}

function text(record: JsonObject, ...keys: string[]): string {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string') return value;
  }
  return '';
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((element): element is string => typeof element === 'string')
    : [];
}

function cardMetadata(character: CharacterItem): {
  dataExtra: JsonObject;
  extra: JsonObject;
  specVersion?: string;
} {
  const card = objectOf(objectOf(character.metadata)?.card);
  return {
    dataExtra: objectOf(card?.data_extra) ?? {},
    extra: objectOf(card?.extra) ?? {},
    specVersion: card?.spec === 'chara_card_v3' ? stringOf(card.spec_version) : undefined,
  };
}

/** The V2 fields of a character item (tldw's column names, or the card's, whichever it has). */
function dataV2(
  character: CharacterItem,
  worldBook: WorldBookItem | undefined,
  dataExtra: JsonObject,
): CardDataV2 {
  const record: JsonObject = character;
  const data: CardDataV2 = {
    ...omitKeys(dataExtra, []),
    name: character.name,
    description: text(record, 'description'),
    personality: text(record, 'personality'),
    scenario: text(record, 'scenario'),
    first_mes: text(record, 'first_message', 'first_mes'),
    mes_example: text(record, 'message_example', 'mes_example'),
    creator_notes: text(record, 'creator_notes'),
    system_prompt: text(record, 'system_prompt'),
    post_history_instructions: text(record, 'post_history_instructions'),
    alternate_greetings: strings(record.alternate_greetings),
    tags: strings(record.tags),
    creator: text(record, 'creator'),
    character_version: text(record, 'character_version'),
    extensions: objectOf(record.extensions) ?? {},
  };
  if (worldBook) data.character_book = worldBookToLorebook(worldBook);
  return data;
}

/** A character (and its world book, if any) as a V2 card (`chara_card_v2`). */
export function characterToCardV2(character: CharacterItem, worldBook?: WorldBookItem): CharacterCardV2 {
  const { dataExtra, extra } = cardMetadata(character);
  return {
    ...extra,
    spec: 'chara_card_v2',
    spec_version: '2.0',
    data: dataV2(character, worldBook, dataExtra),
  };
}

/** A character (and its world book, if any) as a V3 card (`chara_card_v3`). */
export function characterToCardV3(character: CharacterItem, worldBook?: WorldBookItem): CharacterCardV3 {
  const { dataExtra, extra, specVersion } = cardMetadata(character);
  const record: JsonObject = character;
  const v3: JsonObject = {};
  for (const field of V3_FIELDS) if (record[field] !== undefined) v3[field] = record[field];
  const data: CardDataV3 = {
    ...dataV2(character, worldBook, dataExtra),
    ...v3,
    group_only_greetings: strings(record.group_only_greetings),
  };
  return { ...extra, spec: 'chara_card_v3', spec_version: specVersion ?? '3.0', data };
}

/**
 * A character as a PNG card: `chara` (V2) and `ccv3` (V3) text chunks in `image` (its own card chunks replaced),
 * or in a generated placeholder when the character has no image.
 */
export function characterToPng(character: CharacterItem, worldBook?: WorldBookItem, image?: Buffer): Buffer {
  return embedCardChunks(image ?? placeholderPng(character.name), {
    chara: JSON.stringify(characterToCardV2(character, worldBook)),
    ccv3: JSON.stringify(characterToCardV3(character, worldBook)),
  });
}
