/**
 * Small helpers for reading foreign JSON: typed lookups that never throw, own-property copies that keep a
 * `__proto__` key as data, ids that are safe in file names, and timestamps from epoch seconds or milliseconds.
 */
import { createHash } from 'node:crypto';
import { isPlainObject, type JsonObject } from '../chatbook/schema/common';

export { isPlainObject, type JsonObject };

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A non-blank string, or undefined. */
export function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

export function objectOf(value: unknown): JsonObject | undefined {
  return isPlainObject(value) ? value : undefined;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((element): element is string => typeof element === 'string')
    : [];
}

/** An id given as a string or number, as text. */
export function idText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Sets a key as an own data property, even `__proto__` (keys come from uploaded files). */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A copy of `source` without `keys` (and without undefined values). */
export function omitKeys(source: JsonObject, keys: readonly string[]): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && !keys.includes(key)) setOwn(result, key, value);
  }
  return result;
}

/** An object without undefined values, so a converted item equals its JSON round trip. */
export function compact(source: JsonObject): JsonObject {
  return omitKeys(source, []);
}

export function isEmptyObject(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 0;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The library's id alphabet (ITEM_ID_PATTERN): ids go into keys and archive file names. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** A name segment safe in an archive path: what the id alphabet allows, anything else replaced. */
export function fileSafe(text: string, fallback = 'x'): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[._-]+/, '');
  return cleaned === '' ? fallback : cleaned.slice(0, 64);
}

/**
 * Ids for converted items, unique per content type: the source's own id when it is already safe, else one derived
 * from it (stable: the same source id gives the same item id).
 */
export class ItemIds {
  private readonly taken = new Set<string>();

  take(type: string, preferred: string | undefined, seed: string, prefix: string): string {
    let id =
      preferred !== undefined && SAFE_ID.test(preferred)
        ? preferred
        : `${prefix}-${sha256Hex(preferred ?? seed).slice(0, 20)}`;
    for (let n = 2; this.taken.has(`${type}\u0000${id}`); n++) {
      id = `${prefix}-${sha256Hex(`${preferred ?? seed}\u0000${n}`).slice(0, 20)}`;
    }
    this.taken.add(`${type}\u0000${id}`);
    return id;
  }
}

/** Latest date accepted from epoch numbers (year 9999), so `new Date` never gives "Invalid Date". */
const MAX_EPOCH_MS = 253_402_300_799_000;

/** An ISO timestamp from epoch seconds (ChatGPT floats, Open WebUI ints), epoch milliseconds (> 1e12) or ISO text. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return undefined;
    if (/^-?\d+(\.\d+)?$/.test(trimmed)) return isoTime(Number(trimmed));
    return Number.isNaN(Date.parse(trimmed)) ? undefined : trimmed;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  const ms = value > 1e12 ? value : value * 1000;
  return ms > MAX_EPOCH_MS ? undefined : new Date(Math.round(ms)).toISOString();
}

/** Epoch seconds (an integer) from an ISO timestamp or an epoch number, as Open WebUI stores them. */
export function epochSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value))
    return Math.floor(value > 1e12 ? value / 1000 : value);
  if (typeof value !== 'string') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
}

/** A title from the first words of a text, at most `length` characters on one line. */
export function titleFromText(text: string, length = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= length ? line : `${line.slice(0, length - 1)}…`;
}
