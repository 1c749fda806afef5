/**
 * Reading an uploaded JSON document safely: the size is capped before the bytes are decoded, the nesting depth is
 * measured by a linear scan before `JSON.parse` runs (a `[[[[…` bomb would otherwise reach every recursive walk
 * after it), and errors never quote the input.
 */
import { invalidSource, jsonTooLarge } from './source-format';
import type { InteropLimits } from './source-format';

type JsonLimits = Pick<InteropLimits, 'maxJsonBytes' | 'maxJsonDepth'>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of arrays and objects in JSON text, stopping as soon as it passes `limit`. */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
      continue;
    }
    if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** Whether the bytes (after a BOM and whitespace) start like a JSON object or list. */
export function looksLikeJson(head: Buffer): boolean {
  let at = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (
    at < head.length &&
    (head[at] === 0x20 || head[at] === 0x0a || head[at] === 0x0d || head[at] === 0x09)
  )
    at++;
  return head[at] === OPEN_BRACE || head[at] === OPEN_BRACKET;
}

/** Parses one JSON document under the limits; `what` names it in messages ("conversations.json", "The file"). */
export function parseJsonDocument(bytes: Buffer, limits: JsonLimits, what: string): unknown {
  if (bytes.length > limits.maxJsonBytes) throw jsonTooLarge(what, bytes.length, limits.maxJsonBytes);
  let text: string;
  try {
    text = utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw invalidSource(
      'json_invalid',
      `${what} is not UTF-8 text. Export it again from the tool it came from.`,
    );
  }
  const depth = jsonDepth(text, limits.maxJsonDepth);
  if (depth > limits.maxJsonDepth) {
    throw invalidSource(
      'json_too_deep',
      `${what} nests lists and objects more than ${limits.maxJsonDepth} levels deep, which no export we read does. Check that it is the file you meant to upload.`,
      { maxJsonDepth: limits.maxJsonDepth },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // V8's message quotes the input: it is not repeated.
    throw invalidSource(
      'json_invalid',
      `${what} is not valid JSON (it may be truncated). Export it again from the tool it came from.`,
    );
  }
}
