// Finds another user's data in what a caller received: every header and the body, plus what percent-encoding and
// base64 (cursors, tokens, policies) would hide from a plain substring search.
import type { ProbeReply } from './api-probe';

/** A string only its owner's responses may show: a user id, a marker in their content, an id, a hash. */
export interface Secret {
  label: string;
  value: string;
}

const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;

/** `text`, its percent-decoded form, and the UTF-8 of every long base64 or base64url run in either. */
export function revealed(text: string): string[] {
  const texts = [text];
  try {
    const decoded = decodeURIComponent(text);
    if (decoded !== text) texts.push(decoded);
  } catch {
    // Not percent-encoded as a whole; the raw text is still scanned.
  }
  for (const source of [...texts]) {
    for (const run of source.match(BASE64_RUN) ?? []) {
      texts.push(Buffer.from(run, 'base64').toString('utf8'));
    }
  }
  return texts;
}

/** Every text a reply shows its caller: each header as `name: value`, and the body. */
export function replyTexts(reply: ProbeReply): string[] {
  return [...Object.entries(reply.headers).map(([name, value]) => `${name}: ${value}`), reply.text].flatMap(
    revealed,
  );
}

/**
 * The labels of the secrets that `texts` show, leaving out those the caller already knew (`known`: what it sent,
 * or was given earlier). [] when nothing leaked.
 */
export function leaksIn(texts: readonly string[], secrets: readonly Secret[], known: string): string[] {
  const knownTexts = revealed(known).join('\n');
  return secrets
    .filter((secret) => !knownTexts.includes(secret.value))
    .filter((secret) => texts.some((text) => text.includes(secret.value)))
    .map((secret) => `${secret.label} (${secret.value})`);
}
