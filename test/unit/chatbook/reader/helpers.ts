import assert from 'node:assert/strict';
import { BufferSource, isArchiveRejection, openChatbook } from '../../../../shared/chatbook/reader';
import type {
  ArchiveRejectionCode,
  ChatbookArchive,
  OpenChatbookOptions,
} from '../../../../shared/chatbook/reader';
import { chatbookEntries, forgeZip, tldwManifest } from './zip-forge';
import type { ForgeEntry, ForgeOptions } from './zip-forge';

/** An archive with a valid, item-less manifest first, then `entries`: only the rule under test can fire. */
export function zipWithManifest(entries: readonly ForgeEntry[], options: ForgeOptions = {}): Buffer {
  return forgeZip([...chatbookEntries(tldwManifest('1.0.0', []), []), ...entries], options);
}

export function open(zip: Buffer, options?: OpenChatbookOptions): Promise<ChatbookArchive> {
  return openChatbook(new BufferSource(zip), options);
}

/**
 * Asserts that opening `zip` fails with exactly `code`, and that neither the message nor the details echo
 * a hostile name or an absolute path.
 */
export async function assertRejected(
  zip: Buffer,
  code: ArchiveRejectionCode,
  options: OpenChatbookOptions & { hostile?: readonly string[] } = {},
): Promise<void> {
  await assert.rejects(open(zip, options), (error: unknown) => {
    assert.ok(isArchiveRejection(error), `expected an ArchiveRejectedError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    const shown = `${error.message} ${JSON.stringify(error.details ?? {})}`;
    assert.doesNotMatch(shown, /(^|[\s"'(])\/[A-Za-z]/, 'no absolute path in the message or details');
    assert.doesNotMatch(shown, /[A-Za-z]:\\/, 'no Windows path in the message or details');
    for (const name of options.hostile ?? [])
      assert.ok(!shown.includes(name), 'the hostile name is not echoed');
    assert.ok(error.message.length > 40, 'the message explains what to do');
    return true;
  });
}
