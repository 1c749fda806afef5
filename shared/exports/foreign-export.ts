/**
 * Exports for other tools, built from the same plan as a chatbook: Open WebUI's chat-export JSON for conversations,
 * and SillyTavern character cards (a ZIP of PNG cards with both `chara` and `ccv3` chunks, and V3 JSON) for
 * characters with their world books. Streamed like a chatbook: items are fetched a batch at a time.
 */
import { ZipArchive } from 'archiver';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ItemByType } from '../chatbook/schema/items';
import { isPlainObject } from '../chatbook/schema/common';
import { characterToCardV3, characterToPng } from '../interop/character-card';
import { conversationToOpenWebUI } from '../interop/openwebui';
import type { LibraryItem } from '../library/library';
import { progressReporter, type BuildArchiveInput } from './archive';
import { readAll } from '../util/read-all';

export const EXPORT_TARGETS = ['chatbook', 'openwebui', 'character_cards'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** The types each foreign target takes; anything else selected is refused before a job starts. */
export const TARGET_TYPES: Readonly<Record<Exclude<ExportTarget, 'chatbook'>, readonly string[]>> = {
  openwebui: ['conversation'],
  character_cards: ['character'],
};

export const TARGET_FILES: Readonly<Record<ExportTarget, { extension: string; contentType: string }>> = {
  chatbook: { extension: '.chatbook', contentType: 'application/zip' },
  openwebui: { extension: '.json', contentType: 'application/json' },
  character_cards: { extension: '.zip', contentType: 'application/zip' },
};

const FETCH_BATCH = 50;

export interface ForeignExport {
  stream: Readable;
  result: Promise<{ archiveSha256: string; processedItems: number; warnings: string[] }>;
}

function fileSafe(name: string): string {
  const safe = name
    .replace(/[^\p{L}\p{N} ._-]/gu, '_')
    .trim()
    .slice(0, 80);
  return safe === '' ? 'character' : safe;
}

async function* libraryItems(input: BuildArchiveInput, type: 'conversation' | 'character') {
  const ids = input.plan.items.filter((item) => item.type === type).map((item) => item.id);
  for (let first = 0; first < ids.length; first += FETCH_BATCH) {
    yield* await input.store.getMany(input.userId, type, ids.slice(first, first + FETCH_BATCH));
  }
}

export function buildForeignExport(
  input: BuildArchiveInput,
  target: Exclude<ExportTarget, 'chatbook'>,
): ForeignExport {
  const hash = createHash('sha256');
  const output = new PassThrough({ highWaterMark: 1024 * 1024 });
  const warnings: string[] = [];
  let processedItems = 0;
  const books = new CharacterBooks(input);
  // A progress write per second at most, not per item; a cancel is noticed there.
  const report = progressReporter(input);
  const counted = async () => {
    processedItems += 1;
    await report({ processedItems, processedBytes: 0 });
  };

  const openWebUi = async function* (): AsyncGenerator<string> {
    yield '[';
    let first = true;
    let withFiles = 0;
    for await (const item of libraryItems(input, 'conversation')) {
      if (item.files.length > 0) withFiles += 1;
      const row = conversationToOpenWebUI(item.content as ItemByType['conversation'], {
        userId: input.userId,
      });
      yield `${first ? '\n' : ',\n'}${JSON.stringify(row)}`;
      first = false;
      await counted();
    }
    yield '\n]\n';
    if (withFiles > 0)
      warnings.push(
        `${withFiles} conversation(s) have attached files, which Open WebUI's chat JSON does not carry.`,
      );
  };

  const cards = async (zip: ZipArchive) => {
    for await (const item of libraryItems(input, 'character')) {
      const character = item.content as ItemByType['character'];
      const book = await books.of(item);
      const avatar = item.files.find((file) => file.fileId === 'avatar');
      const image =
        avatar && /png/i.test(avatar.mimeType)
          ? await readAll(await input.store.openFile(avatar))
          : undefined;
      const base = `${fileSafe(item.title)}-${item.id}`;
      zip.append(characterToPng(character, book, image), { name: `${base}.png`, store: true });
      zip.append(JSON.stringify(characterToCardV3(character, book), null, 2), { name: `${base}.json` });
      await counted();
    }
  };

  const result = (async () => {
    const hashing = new PassThrough();
    hashing.on('data', (chunk: Buffer) => hash.update(chunk));
    const piping = pipeline(hashing, output);
    if (target === 'openwebui') {
      await pipeline(Readable.from(openWebUi()), hashing);
    } else {
      const zip = new ZipArchive({ zlib: { level: 6 } });
      const zipped = pipeline(zip, hashing);
      try {
        await cards(zip);
        await zip.finalize();
      } catch (error) {
        zip.abort();
        throw error;
      }
      await zipped;
    }
    await piping;
    await report({ processedItems, processedBytes: 0 }, true);
    return { archiveSha256: hash.digest('hex'), processedItems, warnings };
  })();
  result.catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))));
  return { stream: output, result };
}

/**
 * The world book a character's card carries: one the character names (`metadata.world_book_ids`), or else one
 * that names the character (`metadata.character_ids`, what an import remaps), found by reading the user's world
 * books once.
 */
class CharacterBooks {
  private byCharacter: Map<string, ItemByType['world_book']> | undefined;

  constructor(private readonly input: BuildArchiveInput) {}

  async of(item: LibraryItem): Promise<ItemByType['world_book'] | undefined> {
    const metadata = (item.content as { metadata?: unknown }).metadata;
    const ids =
      isPlainObject(metadata) && Array.isArray(metadata.world_book_ids) ? metadata.world_book_ids : [];
    const named = ids.filter((id): id is string => typeof id === 'string').slice(0, 1);
    if (named.length > 0) {
      const [book] = await this.input.store.getMany(this.input.userId, 'world_book', named);
      if (book) return book.content;
    }
    return (await this.index()).get(item.id);
  }

  private async index(): Promise<Map<string, ItemByType['world_book']>> {
    if (this.byCharacter) return this.byCharacter;
    const found = new Map<string, ItemByType['world_book']>();
    let cursor: string | undefined;
    do {
      const page = await this.input.store.list(this.input.userId, 'world_book', { limit: 100, cursor });
      const books = await this.input.store.getMany(
        this.input.userId,
        'world_book',
        page.items.map((summary) => summary.id),
      );
      for (const book of books) {
        const metadata = (book.content as { metadata?: unknown }).metadata;
        const owners =
          isPlainObject(metadata) && Array.isArray(metadata.character_ids) ? metadata.character_ids : [];
        for (const owner of owners)
          if (typeof owner === 'string' && !found.has(owner)) found.set(owner, book.content);
      }
      cursor = page.nextCursor;
    } while (cursor);
    this.byCharacter = found;
    return found;
  }
}
