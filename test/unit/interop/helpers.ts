// Shared by the interop tests: open a fixture, decode the virtual archive's items with the item codec, and check
// that a refusal is the typed error a person can act on.
import assert from 'node:assert/strict';
import { decodeItem } from '../../../shared/chatbook/codec';
import { isContentType } from '../../../shared/chatbook/layout';
import { BufferSource } from '../../../shared/chatbook/reader';
import type { ChatbookArchive } from '../../../shared/chatbook/reader';
import type { ItemByType } from '../../../shared/chatbook/schema/items';
import { DomainError } from '../../../shared/errors';
import { openImportSource } from '../../../shared/interop';
import type { ImportSource, OpenImportSourceOptions } from '../../../shared/interop';

export function open(bytes: Buffer, options?: OpenImportSourceOptions): Promise<ImportSource> {
  return openImportSource(new BufferSource(bytes), options);
}

export interface DecodedItems {
  conversation: ItemByType['conversation'][];
  character: ItemByType['character'][];
  world_book: ItemByType['world_book'][];
}

/** Every item of the archive, decoded exactly as the import engine decodes it. */
export async function decodeAll(archive: ChatbookArchive): Promise<DecodedItems> {
  const items: DecodedItems = { conversation: [], character: [], world_book: [] };
  for await (const { ref, path, bytes } of archive.items()) {
    assert.ok(isContentType(ref.type));
    assert.equal(ref.file_path, path);
    const result = decodeItem(ref.type, bytes, { id: ref.id, path });
    if (!result.ok) assert.fail(`${path} does not decode: ${result.message}`);
    assert.deepEqual(result.warnings, []);
    if (ref.type === 'conversation') items.conversation.push(result.item as ItemByType['conversation']);
    else if (ref.type === 'character') items.character.push(result.item as ItemByType['character']);
    else if (ref.type === 'world_book') items.world_book.push(result.item as ItemByType['world_book']);
    else assert.fail(`unexpected item type ${ref.type}`);
  }
  return items;
}

export async function openAndDecode(
  bytes: Buffer,
  options?: OpenImportSourceOptions,
): Promise<ImportSource & { items: DecodedItems }> {
  const opened = await open(bytes, options);
  return { ...opened, items: await decodeAll(opened.archive) };
}

/** Asserts a refusal of the given class and code, whose message says what to do and never quotes `hostile`. */
export async function assertRefused(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => DomainError,
  code: string,
  hostile: readonly string[] = [],
): Promise<DomainError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof errorClass, `expected ${errorClass.name}, got ${String(caught)}`);
  const error = caught;
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  assert.ok(error.message.length > 40, 'the message explains what to do');
  for (const text of hostile) assert.ok(!error.message.includes(text), 'the input is not echoed');
  return error;
}

export function byId<T extends { id?: unknown }>(items: readonly T[], id: string): T {
  const found = items.find((item) => item.id === id);
  assert.ok(found, `no item with id ${id}`);
  return found;
}
