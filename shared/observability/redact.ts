/**
 * What the logger removes before it writes anything: a last line of defence, so a careless log call cannot leak a
 * credential, a signed URL or a user's id. Item content is kept out by the callers (they log ids, counts and
 * codes); this layer scrubs what has a recognizable shape.
 */

export const REDACTED = '[redacted]';

/** Objects nested deeper than this are cut: logs carry flat records, and cycles must not hang a write. */
export const MAX_REDACT_DEPTH = 6;
/** Arrays longer than this keep their first elements and a count of the rest. */
export const MAX_REDACT_ARRAY = 50;

/** Keys whose values are never written, whatever they hold. */
const SENSITIVE_KEY = /token|authorization|password|passwd|secret|cookie|credential|signature|api[-_]?key/i;

/** A URL query parameter whose name says it carries a credential (X-Amz-Signature, token, access_token...). */
const SENSITIVE_PARAM = String.raw`[\w.-]*?(?:signature|credential|security-token|token|secret|password|api[-_]?key|X-Amz-[\w-]+)`;

const SCRUBBERS: readonly [RegExp, string | ((match: string, ...groups: string[]) => string)][] = [
  // A URL whose query carries a signature or a token (a presigned S3 URL, a share link): its path names the
  // user's objects and its query is the credential, so nothing of it after the origin is kept.
  [
    new RegExp(
      String.raw`\b(https?:\/\/[^\s/?#"'<>]+)[^\s?#"'<>]*\?[^\s#"'<>]*?\b${SENSITIVE_PARAM}=[^\s"'<>]*`,
      'gi',
    ),
    (_match: string, origin: string) => `${origin}/${REDACTED}`,
  ],
  // The same parameters anywhere else (a relative share link, a query string, a form field).
  [new RegExp(String.raw`(?<![\w-])${SENSITIVE_PARAM}=[^&\s"'<>#,;]*`, 'gi'), REDACTED],
  // An Authorization header, in any notation ("authorization: ...", "Authorization=...", JSON).
  [/\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)[^"'\r\n]*/gi, `$1$2${REDACTED}`],
  // Bearer tokens wherever they appear.
  [/\bBearer\s+[\w\-.~+/]{8,}=*/gi, `Bearer ${REDACTED}`],
  // JWTs: three base64url segments, the first one a JSON object ("eyJ"), or three long segments of any kind.
  [/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, REDACTED],
  [/\b[\w-]{20,}\.[\w-]{20,}\.[\w-]{20,}\b/g, REDACTED],
  // AWS signature parts outside a query string (an Authorization value cut elsewhere, an SDK message).
  [/\b(Credential|Signature|SignedHeaders)=[^\s,&"']+/g, REDACTED],
  // User ids inside S3 keys (users/<uid>/...) and table keys (USER#<uid>): logs carry the hash only.
  [/\busers\/[^/\s"'<>]+\//g, `users/${REDACTED}/`],
  [/\bUSER#[^\s"'#,}]+/g, `USER#${REDACTED}`],
];

/** A string with credentials, signed URLs and user ids in keys replaced by `[redacted]`. */
export function redactString(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SCRUBBERS) {
    result =
      typeof replacement === 'string'
        ? result.replace(pattern, replacement)
        : result.replace(pattern, replacement);
  }
  return result;
}

/** Whether a key's value must never be written. */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/**
 * An error as a log may show it: its name, its code when it has one, and the frames of its stack, without the
 * message (messages of foreign errors may carry request data, URLs or content).
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: typeof error };
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 5)
    .map((line) => redactString(line.trim()));
  const code = (error as Error & { code?: unknown }).code;
  const cause = error.cause instanceof Error ? error.cause.name : undefined;
  return {
    name: redactString(error.name),
    ...(typeof code === 'string' || typeof code === 'number' ? { code: redactString(String(code)) } : {}),
    ...(cause ? { cause: redactString(cause) } : {}),
    ...(frames.length > 0 ? { stack: frames.join('\n') } : {}),
  };
}

/**
 * A value made safe to log, recursively (up to MAX_REDACT_DEPTH): strings scrubbed, sensitive keys dropped,
 * errors reduced to name and frames, binary data to its length; functions and symbols dropped.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined;
  if (value instanceof Error) return serializeError(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`;
  if (depth >= MAX_REDACT_DEPTH) return '[truncated]';
  if (Array.isArray(value)) {
    const items: unknown[] = value.slice(0, MAX_REDACT_ARRAY).map((item) => redact(item, depth + 1));
    if (value.length > MAX_REDACT_ARRAY) items.push(`[${value.length - MAX_REDACT_ARRAY} more]`);
    return items;
  }
  if (value instanceof Map) return redact(Object.fromEntries(value), depth);
  if (value instanceof Set) return redact([...value], depth);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return redact((toJSON as () => unknown).call(value), depth + 1);
  return redactFields(value as Record<string, unknown>, depth);
}

/** An object's own fields made safe to log: sensitive keys dropped, every value redacted. */
export function redactFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(fields)) {
    if (isSensitiveKey(key)) continue;
    const safe = redact(item, depth + 1);
    if (safe !== undefined) result[redactString(key)] = safe;
  }
  return result;
}
