// SillyTavern character cards (PNG, JSON V1/V2/V3, CHARX) into character and world book items, and back out as
// V2/V3 JSON and PNG cards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { planImport } from '../../../shared/imports/import-items';
import {
  cardItemIds,
  characterToCardV2,
  characterToCardV3,
  characterToPng,
  embedCardChunks,
  placeholderPng,
} from '../../../shared/interop';
import {
  CARD_IMAGE,
  cardV1,
  cardV3,
  cardWithNullBook,
  charx,
  jsonBytes,
  pngCard,
  pngTextChunk,
  withChunksAfterHeader,
} from '../../support/interop-fixtures';
import { openAndDecode } from './helpers';

interface Chunk {
  type: string;
  keyword?: string;
  text?: string;
}

/** The chunks of a PNG, each CRC checked. */
function chunksOf(png: Buffer): Chunk[] {
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
  const chunks: Chunk[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const crc = png.readUInt32BE(offset + 8 + length);
    assert.equal(crc, crc32(png.subarray(offset + 4, offset + 8 + length)), `CRC of ${type}`);
    const chunk: Chunk = { type };
    if (type === 'tEXt') {
      const data = png.subarray(offset + 8, offset + 8 + length);
      const nul = data.indexOf(0);
      chunk.keyword = data.toString('latin1', 0, nul);
      chunk.text = data.toString('latin1', nul + 1);
    }
    chunks.push(chunk);
    offset += 12 + length;
  }
  return chunks;
}

const ARIA = cardItemIds('Aria');

describe('PNG cards', () => {
  it('prefers ccv3 over chara, undisturbed by another tEXt chunk before them', async () => {
    const { format, items, failures, archive } = await openAndDecode(pngCard());
    assert.equal(format, 'character_png');
    assert.deepEqual(failures, []);
    assert.equal(archive.manifest.name, 'Character card: Aria');
    const [character] = items.character;
    assert.ok(character);
    assert.equal(character.description, '{{char}} guides travellers.', 'the V3 text, not the V2 one');
    assert.equal(character.nickname, 'Ari');
  });

  it('maps the card to tldw’s character columns, keeping extensions, V3 fields and unknown keys', async () => {
    const { items } = await openAndDecode(pngCard());
    const character = items.character[0]!;
    const avatarPath = `content/characters/character_${ARIA.characterId}_assets/avatar.png`;
    const card = cardV3().data as Record<string, unknown>;
    assert.deepEqual(character, {
      id: ARIA.characterId,
      name: 'Aria',
      description: '{{char}} guides travellers.',
      personality: 'calm',
      scenario: 'A mountain pass.',
      first_message: 'Welcome, traveller.',
      message_example: '<START>\n{{user}}: Hi\n{{char}}: Hello.',
      creator_notes: 'Made for tests.',
      system_prompt: 'Stay in character.',
      post_history_instructions: 'Be brief.',
      creator: 'tester',
      character_version: '1.2',
      alternate_greetings: ['Ah, a visitor.'],
      tags: ['guide', 'fantasy'],
      extensions: card.extensions,
      nickname: 'Ari',
      creator_notes_multilingual: { fr: 'Pour les tests.' },
      source: ['https://example.com/aria'],
      group_only_greetings: ['Hello, everyone.'],
      creation_date: 1_700_000_000,
      modification_date: 1_700_000_500,
      assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }],
      metadata: {
        source_format: 'character_png',
        card: {
          spec: 'chara_card_v3',
          spec_version: '3.0',
          data_extra: { x_custom_field: { kept: true } },
          extra: { x_top_level: 'kept too' },
        },
        world_book_ids: [ARIA.worldBookId],
        avatar: {
          file_path: avatarPath,
          mime_type: 'image/png',
          // The image keeps its other text chunk (12 bytes of framing and `Software\0test-suite`).
          size_bytes: CARD_IMAGE.length + 12 + 19,
          bundled: true,
        },
      },
    });
  });

  it('keeps the image without its card chunks as the avatar, with no warning about it', async () => {
    const { archive, items } = await openAndDecode(pngCard());
    const avatar = (items.character[0]!.metadata as { avatar: { file_path: string } }).avatar;
    const bytes = await archive.readEntry(avatar.file_path);
    assert.deepEqual(
      chunksOf(bytes).map((c) => c.keyword ?? c.type),
      ['IHDR', 'Software', 'IDAT', 'IEND'],
    );
    assert.equal(bytes.length, CARD_IMAGE.length + 12 + 'Software\0test-suite'.length);
    assert.ok(!archive.warnings.some((w) => w.includes('its image')));
  });

  it('turns the embedded character_book into a world book linked to the character', async () => {
    const { items, archive } = await openAndDecode(pngCard());
    const book = items.world_book[0]!;
    assert.equal(book.id, ARIA.worldBookId);
    assert.equal(book.name, 'Pass lore');
    assert.equal(book.description, 'Places on the pass');
    assert.equal(book.scan_depth, 4);
    assert.equal(book.token_budget, 512);
    assert.equal(book.recursive_scanning, false);
    assert.deepEqual(book.metadata, {
      source_format: 'character_png',
      lorebook: { extensions: { chub: { id: 5 } } },
      character_ids: [ARIA.characterId],
    });
    assert.deepEqual(book.entries[0], {
      keywords: ['bridge'],
      content: 'An old rope bridge.',
      priority: 50,
      enabled: true,
      regex_match: false,
      metadata: {
        lorebook: {
          extensions: { position: 0, probability: 100, scan_depth: null },
          case_sensitive: null,
          id: 1,
          comment: 'bridge',
          name: 'Bridge',
          priority: 10,
          selective: true,
          secondary_keys: ['rope'],
          constant: false,
          position: 'before_char',
        },
      },
    });
    assert.deepEqual(book.entries[1], {
      keywords: ['inn'],
      content: '@@depth 2\nA warm inn.',
      priority: 120,
      enabled: false,
      case_sensitive: true,
      regex_match: true,
      metadata: { lorebook: { extensions: {}, id: 2 } },
    });
    assert.deepEqual(archive.manifest.relationships, [
      {
        source_id: ARIA.characterId,
        target_id: ARIA.worldBookId,
        relationship_type: 'uses_world_book',
        metadata: { source_type: 'character', target_type: 'world_book' },
      },
    ]);
    // The import engine takes the character first, then its book.
    const { items: plan } = planImport(archive, {
      strategy: 'skip',
      includeMedia: true,
      includeEmbeddings: true,
    });
    assert.deepEqual(
      plan.map((item) => item.type),
      ['character', 'world_book'],
    );
  });

  it('falls back to chara when ccv3 is damaged', async () => {
    const png = withChunksAfterHeader(CARD_IMAGE, [
      pngTextChunk('chara', jsonBytes(cardWithNullBook()).toString('base64')),
      pngTextChunk('ccv3', Buffer.from('{"spec": "chara_card_v3", "data": {').toString('base64')),
    ]);
    const { items, archive } = await openAndDecode(png);
    assert.equal(items.character[0]?.name, 'Bram');
    assert.ok(archive.warnings.some((w) => w.includes('ccv3 text could not be read')));
  });
});

describe('JSON cards', () => {
  it('reads character_book: null as no book', async () => {
    const { items, failures } = await openAndDecode(jsonBytes(cardWithNullBook()));
    assert.deepEqual(failures, []);
    assert.equal(items.world_book.length, 0);
    const character = items.character[0]!;
    assert.equal(character.first_message, 'Need a blade?');
    assert.deepEqual(character.metadata, {
      source_format: 'character_json',
      card: { spec: 'chara_card_v2', spec_version: '2.0' },
    });
  });

  it('reads a V1 card, keeping its unknown keys', async () => {
    const { items } = await openAndDecode(jsonBytes(cardV1()));
    const character = items.character[0]!;
    assert.equal(character.name, 'Cora');
    assert.equal(character.first_message, 'Where to?');
    assert.equal(character.personality, 'precise');
    assert.deepEqual((character.metadata as { card: unknown }).card, { data_extra: { avatar: 'none' } });
  });

  it('reports a card without a name and imports nothing', async () => {
    const card = cardWithNullBook();
    (card.data as Record<string, unknown>).name = '   ';
    const { items, failures, archive } = await openAndDecode(jsonBytes(card));
    assert.equal(items.character.length, 0);
    assert.deepEqual(failures, [{ sourceId: 'card', title: '', reason: 'the card has no name' }]);
    assert.deepEqual(archive.warnings, ['Skipped item card: the card has no name.']);
  });
});

describe('CHARX', () => {
  it('reads card.json and takes the main icon from the ZIP as the avatar; other assets are noted', async () => {
    const { format, items, archive } = await openAndDecode(charx());
    assert.equal(format, 'charx');
    const character = items.character[0]!;
    assert.equal(character.name, 'Aria');
    assert.equal(items.world_book.length, 1);
    const avatar = (character.metadata as { avatar: { file_path: string; size_bytes: number } }).avatar;
    assert.equal(avatar.file_path, `content/characters/character_${ARIA.characterId}_assets/avatar.png`);
    assert.equal(avatar.size_bytes, CARD_IMAGE.length);
    assert.ok((await archive.readEntry(avatar.file_path)).equals(CARD_IMAGE));
    assert.ok(archive.warnings.some((w) => w.startsWith('1 asset of the CHARX besides the main icon')));
  });
});

describe('card export', () => {
  it('writes V3 and V2 cards with the book, the extensions and every kept key', async () => {
    const { items } = await openAndDecode(pngCard());
    const character = items.character[0]!;
    const book = items.world_book[0]!;
    const v3 = characterToCardV3(character, book);
    assert.deepEqual(v3, cardV3(), 'the V3 card we were given, key for key');
    const v2 = characterToCardV2(character, book);
    assert.equal(v2.spec, 'chara_card_v2');
    assert.equal(v2.spec_version, '2.0');
    assert.equal(v2.data.first_mes, 'Welcome, traveller.');
    assert.equal(v2.data.nickname, undefined, 'V3-only fields stay out of V2');
    assert.deepEqual(v2.data.character_book, (cardV3().data as Record<string, unknown>).character_book);
    assert.deepEqual(v2.data.x_custom_field, { kept: true });
    assert.equal(v2.x_top_level, 'kept too');
  });

  it('writes a PNG with chara and ccv3 before IEND, old card chunks removed, CRCs right', () => {
    const png = characterToPng({ id: 'c', name: 'Dana', first_message: 'Hi' }, undefined, pngCard());
    const chunks = chunksOf(png);
    assert.deepEqual(
      chunks.map((c) => c.keyword ?? c.type),
      ['IHDR', 'Software', 'IDAT', 'chara', 'ccv3', 'IEND'],
    );
    const v2 = JSON.parse(Buffer.from(chunks[3]!.text!, 'base64').toString('utf8')) as Record<
      string,
      unknown
    >;
    const v3 = JSON.parse(Buffer.from(chunks[4]!.text!, 'base64').toString('utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(v2.spec, 'chara_card_v2');
    assert.equal(v3.spec, 'chara_card_v3');
    assert.equal((v3.data as Record<string, unknown>).first_mes, 'Hi');
  });

  it('generates a placeholder PNG when the character has no image', () => {
    const png = characterToPng({ id: 'c', name: 'Eve' });
    assert.deepEqual(
      chunksOf(png).map((c) => c.keyword ?? c.type),
      ['IHDR', 'IDAT', 'chara', 'ccv3', 'IEND'],
    );
    assert.equal(png.readUInt32BE(16), 64, 'width');
    assert.ok(embedCardChunks(placeholderPng('x'), { chara: '{}', ccv3: '{}' }).length > 0);
  });

  it('round trips: character → PNG → detect and convert → the same character and world book', async () => {
    const first = await openAndDecode(pngCard());
    const character = first.items.character[0]!;
    const book = first.items.world_book[0]!;
    const avatar = (character.metadata as { avatar: { file_path: string } }).avatar;
    const png = characterToPng(character, book, await first.archive.readEntry(avatar.file_path));
    const second = await openAndDecode(png);
    assert.equal(second.format, 'character_png');
    assert.deepEqual(second.items.character, [character]);
    assert.deepEqual(second.items.world_book, [book]);
  });
});
