/**
 * Building blocks for the tolerant chatbook readers: tldw archives come from many versions and from hand-edited
 * files, so the readers coerce what is unambiguous (numeric ids, numeric strings, 0/1 booleans), keep every field
 * they do not know for round trip, and report what they refuse with a short message that names the JSON path.
 */
import { z } from 'zod';

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Longest excerpt of a value a message may quote: input can be huge or hostile. */
export const MESSAGE_VALUE_LIMIT = 80;

export function truncateForMessage(text: string, limit = MESSAGE_VALUE_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** A value quoted for a message: strings JSON-quoted, everything shortened. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(truncateForMessage(value));
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return truncateForMessage(String(value));
  }
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** `content_items[2].type`, `metadata["odd key"]`. */
export function formatPath(path: readonly PropertyKey[], root = ''): string {
  let text = root;
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = truncateForMessage(String(segment), 40);
      text += /^[A-Za-z_$][\w$]*$/.test(key) ? (text === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return text === '' ? '(root)' : text;
}

/** At most this many issues are listed; the rest are counted. */
const MAX_LISTED_ISSUES = 10;

/** zod's bare "Invalid input" (a union without its own message) says too little. */
function readableMessage(message: string): string {
  return message === 'Invalid input' ? 'has an unexpected type or value' : message;
}

/** zod issues as `path: what is wrong` lines, short and without echoing input. */
export function formatIssues(error: z.ZodError, root = ''): string[] {
  const lines = error.issues
    .slice(0, MAX_LISTED_ISSUES)
    .map(
      (issue) =>
        `${formatPath(issue.path, root)}: ${truncateForMessage(readableMessage(issue.message), 160)}`,
    );
  if (error.issues.length > MAX_LISTED_ISSUES)
    lines.push(`…and ${error.issues.length - MAX_LISTED_ISSUES} more`);
  return lines;
}

/** Absent, null and '' mean "no value" to tldw's `a or b or c` alias lookups. */
function hasValue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/**
 * Moves a legacy key's value to its canonical key when the canonical one has no value, the way tldw's importer
 * reads `name or title or conversation_title`. The legacy key used is removed; any other stays as an unknown field.
 */
export function renameAliases(input: unknown, aliases: Readonly<Record<string, readonly string[]>>): unknown {
  if (!isPlainObject(input)) return input;
  let output: JsonObject = input;
  for (const [canonical, legacyKeys] of Object.entries(aliases)) {
    if (hasValue(output[canonical])) continue;
    const used = legacyKeys.find((key) => Object.hasOwn(output, key) && hasValue(output[key]));
    if (used === undefined) continue;
    output = { ...withoutKeys(output, [used]), [canonical]: output[used] };
  }
  return output;
}

/** A copy of an object without some keys. */
export function withoutKeys(input: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(input).filter(([key]) => !keys.includes(key)));
}

/** Wraps an object schema so legacy keys are renamed before it reads them. */
export function withAliases<T extends z.ZodType>(
  aliases: Readonly<Record<string, readonly string[]>>,
  schema: T,
) {
  return z.preprocess((input) => renameAliases(input, aliases), schema);
}

/** Removes keys whose value is undefined, deeply, so a parsed item equals its JSON round trip. */
export function dropUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((element: unknown) => dropUndefined(element)) as T;
  if (!isPlainObject(value)) return value;
  // fromEntries defines own properties, so a "__proto__" key stays data instead of becoming a prototype.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, element]) => element !== undefined)
      .map(([key, element]) => [key, dropUndefined(element)]),
  ) as T;
}

/** An id: numbers in the wild (SQLite rows) become strings. */
export const idSchema = z
  .union([z.string(), z.number()], {
    error: (issue) => (issue.input === undefined ? 'required' : 'expected a string or number id'),
  })
  .transform((value) => String(value))
  .pipe(z.string().min(1, 'must not be empty'));

/** An optional reference id: '' means absent, null is kept. */
export const refIdSchema = z.preprocess(
  (value) => (value === '' ? undefined : value),
  idSchema.nullable().optional(),
);

/** Numeric strings become numbers and '' becomes absent; anything else is left for the schema to judge. */
export function coerceNumberInput(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : value;
}

/** A number that may arrive as a numeric string; '' means absent (so a default applies). */
export const numberish = z.preprocess(coerceNumberInput, z.number({ error: 'expected a number' }).optional());

export const optionalNumber = z
  .union([numberish, z.null()], { error: 'expected a number or null' })
  .optional();

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** A boolean that may arrive as SQLite's 0/1 or as a word; '' means absent. */
export const booleanish = z.preprocess(
  (value) => {
    if (value === 1) return true;
    if (value === 0) return false;
    if (typeof value !== 'string') return value;
    const word = value.trim().toLowerCase();
    if (word === '') return undefined;
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return value;
  },
  z.boolean({ error: 'expected a boolean' }).optional(),
);

export const optionalBoolean = z
  .union([booleanish, z.null()], { error: 'expected a boolean or null' })
  .optional();

/** Text where a number sneaks in (titles like 2024) is read as text. */
export const textSchema = z
  .union([z.string(), z.number()], { error: 'expected a string' })
  .transform((value) => String(value));

export const optionalText = z
  .union([textSchema, z.null()], { error: 'expected a string or null' })
  .optional();

/** Timestamps stay as written (ISO strings mostly; epoch numbers are kept as numbers). */
export const timestampSchema = z
  .union([z.string(), z.number(), z.null()], { error: 'expected an ISO timestamp string or null' })
  .optional();

function splitList(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      // Not JSON after all: fall through to the comma-separated reading.
    }
  }
  return trimmed === ''
    ? []
    : trimmed
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
}

/** A list of strings: also read from a JSON-array string or a comma-separated string (keyword columns). */
export const stringListSchema = z.preprocess(
  (value) => (typeof value === 'string' ? splitList(value) : value),
  z.array(textSchema, { error: 'expected a list of strings' }),
);

export const optionalStringList = z
  .union([stringListSchema, z.null()], { error: 'expected a list of strings or null' })
  .optional();

/** An object column that tldw decodes from JSON text (eval_spec, config, metadata): decoded here too. */
export const jsonObjectish = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    if (value.trim() === '') return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  },
  z.union([z.record(z.string(), z.unknown()), z.null()], { error: 'expected an object or null' }).optional(),
);

export const unknownList = z.array(z.unknown(), { error: 'expected a list' });

/** Text with a fallback for absent, null or '' (tldw's `value or "Untitled"`). */
export function textOr(fallback: string) {
  return z.preprocess(
    (value) => (value === null || value === '' ? undefined : value),
    textSchema.default(fallback),
  );
}

/** A list that defaults to [] when absent or null. */
export function listOf<T extends z.ZodType>(element: T) {
  return z.preprocess(
    (value) => value ?? undefined,
    z.array(element, { error: 'expected a list' }).default([]),
  );
}

/** A required, non-blank text field (names that tldw uses as conflict keys). */
export const requiredText = z
  .union([z.string(), z.number()], {
    error: (issue) => (issue.input === undefined ? 'required' : 'expected a string'),
  })
  .transform((value) => String(value))
  .refine((value) => value.trim() !== '', 'must not be empty');
