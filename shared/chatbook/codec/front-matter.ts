/**
 * Markdown with YAML front matter, the note file format: `---`, YAML, `---`, a blank line, the body (tldw's shape).
 * The YAML is read with the core schema (no custom tags, no timestamps), few aliases and a size cap; when it does
 * not parse, a `key: value` line scan recovers what it can, as tldw's importer does.
 */
import { parseDocument, stringify, type ToStringOptions } from 'yaml';
import { isPlainObject, truncateForMessage, type JsonObject } from '../schema/common';

/** Aliases allowed in front matter: a note has no use for them, and many are a billion-laughs attack. */
const MAX_ALIAS_COUNT = 10;
/** Front matter beyond this is not YAML-parsed (only line-scanned): metadata is small. */
const MAX_FRONT_MATTER_CHARS = 256 * 1024;

const STRINGIFY_OPTIONS: ToStringOptions = {
  lineWidth: 0,
  minContentWidth: 0,
  blockQuote: false,
  indentSeq: true,
};

export interface FrontMatterReading {
  /** The front matter's fields; undefined when the text has none. */
  data: JsonObject | undefined;
  body: string;
  warnings: string[];
}

const OPENING = /^\uFEFF?---[ \t]*\r?\n/;
const CLOSING = /^---[ \t]*(?:\r?\n|$)/m;

/** Splits `---\n<yaml>\n---\n` off the top; the one blank line after it belongs to the format, not the body. */
function splitFrontMatter(text: string): { yamlText: string; body: string } | undefined {
  const opening = OPENING.exec(text);
  if (!opening) return undefined;
  const rest = text.slice(opening[0].length);
  const closing = CLOSING.exec(rest);
  if (!closing) return undefined;
  const yamlText = rest.slice(0, closing.index);
  let body = rest.slice(closing.index + closing[0].length);
  if (body.startsWith('\r\n')) body = body.slice(2);
  else if (body.startsWith('\n')) body = body.slice(1);
  return { yamlText, body };
}

/** Integers too large for a double keep their digits (as text) instead of silently changing. */
function settleBigInts(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(settleBigInts);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, settleBigInts(element)]));
  }
  return value;
}

type YamlReading = { ok: true; data: JsonObject } | { ok: false; reason: string };

const FLAT_LINE = /^([A-Za-z_][A-Za-z0-9_-]*): (.+)$/;
/** A plain scalar the core schema reads as this very string (no indicator, keyword or number in it). */
const PLAIN_STRING = /^[A-Za-z_][A-Za-z0-9_ .,/()-]*(?<! )$/;
const KEYWORD = /^(?:true|false|null)$/i;
const SMALL_INTEGER = /^(?:0|[1-9]\d{0,14})$/;
const SINGLE_QUOTED = /^'((?:[^']|'')*)'$/;

/**
 * Front matter made only of `key: value` lines with plain strings, small integers or single-quoted strings (what
 * our writer emits for most notes), read without the YAML parser; anything else returns undefined. The result is
 * what the parser gives for the same text.
 */
export function readFlatFrontMatter(yamlText: string): JsonObject | undefined {
  const data: JsonObject = {};
  for (const line of yamlText.split('\n')) {
    if (line === '') continue;
    const match = FLAT_LINE.exec(line);
    if (!match) return undefined;
    const [, key = '', raw = ''] = match;
    if (key === '__proto__' || Object.hasOwn(data, key)) return undefined;
    const quoted = SINGLE_QUOTED.exec(raw);
    if (quoted) data[key] = (quoted[1] ?? '').replaceAll("''", "'");
    else if (SMALL_INTEGER.test(raw)) data[key] = Number(raw);
    else if (PLAIN_STRING.test(raw) && !KEYWORD.test(raw)) data[key] = raw;
    else return undefined;
  }
  return data;
}

function readYaml(yamlText: string): YamlReading {
  if (yamlText.length > MAX_FRONT_MATTER_CHARS) return { ok: false, reason: 'front matter too large' };
  const flat = readFlatFrontMatter(yamlText);
  if (flat) return { ok: true, data: flat };
  try {
    const document = parseDocument(yamlText, {
      schema: 'core',
      customTags: [],
      merge: false,
      intAsBigInt: true,
      prettyErrors: false,
    });
    const firstError = document.errors[0];
    if (firstError) return { ok: false, reason: truncateForMessage(firstError.message.split('\n')[0] ?? '') };
    const value = settleBigInts(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
    if (value === null || value === undefined) return { ok: true, data: {} };
    if (!isPlainObject(value)) return { ok: false, reason: 'not a mapping' };
    return { ok: true, data: value };
  } catch (error) {
    return { ok: false, reason: truncateForMessage(error instanceof Error ? error.message : String(error)) };
  }
}

/** The fallback reader: top-level `key: value` lines, surrounding quotes removed. */
function scanLines(yamlText: string): JsonObject {
  const entries: [string, string][] = [];
  for (const line of yamlText.split(/\r?\n/)) {
    const match = /^([A-Za-z_][\w.-]*)[ \t]*:[ \t]*(.*?)[ \t]*$/.exec(line);
    if (match) entries.push([match[1] ?? '', unquote(match[2] ?? '')]);
  }
  // Later lines win, as in a YAML mapping; fromEntries keeps a "__proto__" key as plain data.
  return Object.fromEntries(entries);
}

function unquote(raw: string): string {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // Not a JSON-compatible double-quoted string: strip the quotes only.
    }
    return raw.slice(1, -1);
  }
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'"))
    return raw.slice(1, -1).replaceAll("''", "'");
  return raw;
}

export function parseFrontMatter(text: string): FrontMatterReading {
  const split = splitFrontMatter(text);
  if (!split) return { data: undefined, body: text.replace(/^\uFEFF/, ''), warnings: [] };
  const reading = readYaml(split.yamlText);
  if (reading.ok) return { data: reading.data, body: split.body, warnings: [] };
  return {
    data: scanLines(split.yamlText),
    body: split.body,
    warnings: [`front matter: not valid YAML (${reading.reason}); read line by line`],
  };
}

/** Digits a YAML reader gives back as the same integer: written plain (`id: 42`), as tldw does. */
const PLAIN_INTEGER_ID = /^(?:0|[1-9]\d{0,14})$/;

/** `---\n<fields>---\n\n<body>`; fields in the given order, strings quoted only when YAML needs it. */
export function renderFrontMatter(fields: JsonObject, body: string): string {
  const ordered: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    ordered[key] =
      key === 'id' && typeof value === 'string' && PLAIN_INTEGER_ID.test(value) ? Number(value) : value;
  }
  const yamlText =
    Object.keys(ordered).length === 0
      ? ''
      : stringify(ordered, { ...STRINGIFY_OPTIONS, aliasDuplicateObjects: false });
  return `---\n${yamlText}---\n\n${body}`;
}
