// Telling formats apart by content (never by file name), the sourceFormat override, and refusals of what we do
// not read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isArchiveRejection } from '../../../shared/chatbook/reader';
import { UnprocessableError } from '../../../shared/errors';
import { placeholderPng } from '../../../shared/interop';
import type { SourceFormat } from '../../../shared/interop';
import { sampleChatbook } from '../chatbook/reader/zip-forge';
import {
  buildZip,
  cardV1,
  cardWithNullBook,
  chatGptConversation,
  chatGptExportZip,
  chatGptSimpleConversation,
  chatGptSplitExportZip,
  charx,
  jsonBytes,
  openWebUIExport,
  pngCard,
  specLorebook,
  worldInfoArrayForm,
  worldInfoObjectForm,
} from '../../support/interop-fixtures';
import { assertRefused, open } from './helpers';

const CASES: [string, () => Buffer, SourceFormat][] = [
  ['our chatbook ZIP', () => sampleChatbook('1.1.0'), 'chatbook'],
  ['a ChatGPT export ZIP', () => chatGptExportZip(), 'chatgpt_zip'],
  ['a split ChatGPT export ZIP', () => chatGptSplitExportZip(), 'chatgpt_zip'],
  [
    'conversations.json alone',
    () => jsonBytes([chatGptConversation(), chatGptSimpleConversation()]),
    'chatgpt_json',
  ],
  ['one ChatGPT conversation alone', () => jsonBytes(chatGptSimpleConversation()), 'chatgpt_json'],
  ['an Open WebUI export with the wrapper', () => openWebUIExport({ wrapped: true }), 'openwebui_json'],
  ['an Open WebUI export without the wrapper', () => openWebUIExport({ wrapped: false }), 'openwebui_json'],
  ['a PNG card', () => pngCard(), 'character_png'],
  ['a CHARX', () => charx(), 'charx'],
  ['a V2 card JSON', () => jsonBytes(cardWithNullBook()), 'character_json'],
  ['a V1 card JSON', () => jsonBytes(cardV1()), 'character_json'],
  ['a World Info file (entries by uid)', () => worldInfoObjectForm(), 'lorebook_json'],
  ['a World Info file (entries as a list)', () => worldInfoArrayForm(), 'lorebook_json'],
  ['a spec lorebook', () => specLorebook(), 'lorebook_json'],
];

describe('detection by content', () => {
  for (const [what, bytes, format] of CASES) {
    it(`reads ${what} as ${format}`, async () => {
      const { format: found, archive } = await open(bytes());
      assert.equal(found, format);
      assert.ok(archive.manifest.content_items.length > 0);
      await archive.close();
    });
  }

  it('ignores the file name: a PNG card named .json is still a PNG card', async () => {
    const { format } = await open(pngCard(), { fileName: 'card.json' });
    assert.equal(format, 'character_png');
  });

  it('a chatbook opens through openChatbook itself, unchanged', async () => {
    const { archive, failures } = await open(sampleChatbook('1.1.0'));
    assert.equal(archive.version, '1.1.0');
    assert.ok(archive.integrity.inventoryVerifiedFiles > 0, 'the real validator ran (inventory digests)');
    assert.deepEqual(failures, []);
  });
});

describe('the sourceFormat option', () => {
  it('is taken when it matches', async () => {
    const { format } = await open(openWebUIExport({ wrapped: true }), { sourceFormat: 'openwebui_json' });
    assert.equal(format, 'openwebui_json');
  });

  it('refuses a file of another format, naming both', async () => {
    const error = await assertRefused(
      open(pngCard(), { sourceFormat: 'chatgpt_zip' }),
      UnprocessableError,
      'source_format_mismatch',
    );
    assert.deepEqual(error.details, { expected: 'chatgpt_zip', found: 'character_png' });
    await assertRefused(
      open(openWebUIExport({ wrapped: false }), { sourceFormat: 'character_json' }),
      UnprocessableError,
      'source_format_mismatch',
    );
  });

  it('refuses a ZIP forced to another ZIP format, naming what it is', async () => {
    const error = await assertRefused(
      open(charx(), { sourceFormat: 'chatgpt_zip' }),
      UnprocessableError,
      'source_format_mismatch',
    );
    assert.deepEqual(error.details, { expected: 'chatgpt_zip', found: 'charx' });
  });

  it('forces a ZIP to be read as a chatbook: the chatbook validator then says what is missing', async () => {
    await assert.rejects(open(chatGptExportZip(), { sourceFormat: 'chatbook' }), (error: unknown) =>
      isArchiveRejection(error, 'manifest_missing'),
    );
  });

  it('refuses a value that is not a format', async () => {
    await assert.rejects(open(pngCard(), { sourceFormat: 'docx' as SourceFormat }), /Unknown source format/);
  });
});

describe('files we do not read', () => {
  const unknown: [string, Buffer][] = [
    ['plain text', Buffer.from('just some notes about <script>')],
    ['an empty file', Buffer.alloc(0)],
    ['JSON of another kind', jsonBytes({ hello: '<script>', list: [1, 2, 3] })],
    ['a JSON list of numbers', jsonBytes([1, 2, 3])],
    ['a ZIP of other files', buildZip([{ name: 'notes/<script>.txt', data: 'x' }])],
  ];
  for (const [what, bytes] of unknown) {
    it(`refuses ${what} with unknown_source_format (422)`, async () => {
      await assertRefused(open(bytes), UnprocessableError, 'unknown_source_format', ['<script>']);
    });
  }

  it('refuses a PNG that carries no card', async () => {
    await assertRefused(open(placeholderPng('plain')), UnprocessableError, 'not_a_character_card');
  });
});
