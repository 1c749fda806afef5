// Foreign formats through the local cloud over HTTP: a ChatGPT export, Open WebUI exports before and after the
// wrapper change, SillyTavern cards (PNG with both chunks, JSON with `character_book: null`, CHARX) and World Info
// files are uploaded, previewed and imported like chatbooks, then checked item by item in the library.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContentType } from '../../shared/chatbook/layout';
import { BufferSource, openZipArchive } from '../../shared/chatbook/reader';
import type { ImportJobView } from '../../shared/imports/import-service';
import type { PreviewReport } from '../../shared/imports/preview';
import type { LibraryItem, LibraryStore } from '../../shared/library/library';
import { endpointsOf, localLibraryStore } from '../../scripts/seed/seed-library';
import { startTestCloud, type TestCloud } from '../support/local-cloud';
import {
  CARD_IMAGE,
  CHATGPT_IMAGE,
  cardWithNullBook,
  charx,
  chatGptExportZip,
  jsonBytes,
  openWebUIExport,
  pngCard,
  pngTextChunk,
  withChunksAfterHeader,
  worldInfoArrayForm,
  worldInfoObjectForm,
} from '../support/interop-fixtures';

let cloud: TestCloud;
let library: LibraryStore;
let closeLibrary: () => void;

function post(path: string, user: string, body: unknown) {
  return cloud.post(path, user, body);
}

function upload(user: string, bytes: Buffer): Promise<string> {
  return cloud.upload(user, bytes);
}

async function previewAndImport(user: string, bytes: Buffer, options: Record<string, unknown> = {}) {
  const uploadId = await upload(user, bytes);
  const previewResponse = await post('/api/v1/chatbooks/preview', user, { upload_id: uploadId });
  const preview = (await previewResponse.json()) as PreviewReport;
  assert.equal(previewResponse.status, 200, JSON.stringify(preview));
  const response = await post('/api/v1/chatbooks/import', user, { upload_id: uploadId, ...options });
  const job = (await response.json()) as ImportJobView;
  assert.equal(response.status, 201, JSON.stringify(job));
  assert.equal(job.status, 'completed');
  return { preview, job };
}

async function items(user: string, type: ContentType): Promise<LibraryItem[]> {
  const page = await library.list(user, type, { limit: 100 });
  return library.getMany(
    user,
    type,
    page.items.map((item) => item.id),
  );
}

async function fileBytes(item: LibraryItem, fileId: string): Promise<Buffer> {
  const file = item.files.find((candidate) => candidate.fileId === fileId);
  assert.ok(file, `${item.id} has file ${fileId}`);
  const chunks: Buffer[] = [];
  for await (const chunk of await library.openFile(file)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Exports `selection` as `target` (sync) and downloads it: parsed JSON for Open WebUI, bytes otherwise. */
async function exportAs(user: string, selection: Record<string, string>, target: string): Promise<unknown> {
  const response = await post('/api/v1/chatbooks/export', user, {
    name: `${user} ${target}`,
    selection,
    target,
  });
  const job = (await response.json()) as { download_url: string | null; status: string };
  assert.equal(response.status, 201, JSON.stringify(job));
  const redirect = await cloud.call(job.download_url ?? '', { user, redirect: 'manual' });
  assert.equal(redirect.status, 302);
  const bytes = Buffer.from(await (await fetch(redirect.headers.get('location') ?? '')).arrayBuffer());
  return target === 'openwebui' ? (JSON.parse(bytes.toString('utf8')) as unknown) : bytes;
}

type Message = {
  id: string;
  parent_id: string | null;
  role: string;
  content: string;
  attachments?: unknown[];
};

before(async () => {
  cloud = await startTestCloud();
  const opened = localLibraryStore(endpointsOf(cloud));
  library = opened.store;
  closeLibrary = opened.close;
});

after(async () => {
  closeLibrary();
  await cloud.dispose();
});

describe('foreign formats through upload, preview and import', () => {
  it('a ChatGPT export: every branch kept, the active one marked, the image attached byte for byte', async () => {
    const user = 'gpt-user';
    const { preview, job } = await previewAndImport(user, chatGptExportZip());
    assert.equal(preview.source_format, 'chatgpt_zip');
    assert.equal(preview.counts.conversation, 2);
    assert.equal(job.counts.imported, 2);
    const conversations = await items(user, 'conversation');
    const branched = conversations.find((item) => item.title === 'Photo question');
    assert.ok(branched);
    const messages = (branched.content as { messages: Message[] }).messages;
    const roles = messages.map((message) => message.role);
    assert.ok(roles.includes('system'));
    // Two answers to the same question: a regeneration is a second child of the same parent.
    const children = new Map<string, number>();
    for (const message of messages)
      if (message.parent_id) children.set(message.parent_id, (children.get(message.parent_id) ?? 0) + 1);
    assert.ok(
      [...children.values()].some((count) => count >= 2),
      'a branch point',
    );
    const withImage = messages.find((message) => (message.attachments ?? []).length > 0);
    assert.ok(withImage, 'a message with the image');
    assert.equal(branched.files.length, 1);
    assert.deepEqual(await fileBytes(branched, branched.files[0]!.fileId), CHATGPT_IMAGE);
    assert.equal(branched.provenance?.import_job_id, job.job_id);
  });

  it('Open WebUI exports from before and after the wrapper change import the same conversation', async () => {
    for (const wrapped of [false, true]) {
      const user = `owui-${wrapped ? 'wrapped' : 'bare'}`;
      const { preview } = await previewAndImport(user, openWebUIExport({ wrapped }));
      assert.equal(preview.source_format, 'openwebui_json');
      assert.equal((await items(user, 'conversation')).length, 1);
    }
    const [bare, wrapped] = [
      (await items('owui-bare', 'conversation'))[0]!,
      (await items('owui-wrapped', 'conversation'))[0]!,
    ];
    const shape = (item: LibraryItem) =>
      (item.content as { messages: Message[] }).messages.map((m) => [m.id, m.parent_id, m.role, m.content]);
    assert.deepEqual(shape(wrapped), shape(bare));
    assert.ok(shape(bare).length >= 2);
  });

  it('a PNG card with both chunks: the character, its world book linked to it, and its image', async () => {
    const user = 'card-user';
    const { preview, job } = await previewAndImport(user, pngCard());
    assert.equal(preview.source_format, 'character_png');
    assert.equal(job.counts.imported, 2);
    const [character] = await items(user, 'character');
    const [book] = await items(user, 'world_book');
    assert.ok(character && book);
    assert.equal(character.title, 'Aria');
    const metadata = (book.content as { metadata?: { character_ids?: string[] } }).metadata;
    assert.deepEqual(metadata?.character_ids, [character.id]);
    const avatar = await fileBytes(character, 'avatar');
    // The image as uploaded, less the two card chunks (other chunks stay).
    assert.deepEqual(avatar, withChunksAfterHeader(CARD_IMAGE, [pngTextChunk('Software', 'test-suite')]));
    assert.equal((book.content as { entries: unknown[] }).entries.length, 2);
  });

  it('a JSON card with character_book: null, a CHARX, and World Info in both entry forms', async () => {
    const user = 'cards-user';
    await previewAndImport(user, jsonBytes(cardWithNullBook()));
    const charxResult = await previewAndImport(user, charx());
    assert.equal(charxResult.preview.source_format, 'charx');
    const objectForm = await previewAndImport(user, worldInfoObjectForm());
    assert.equal(objectForm.preview.source_format, 'lorebook_json');
    await previewAndImport(user, worldInfoArrayForm());
    const books = await items(user, 'world_book');
    const entryCounts = books.map((book) => (book.content as { entries: unknown[] }).entries.length).sort();
    assert.ok(entryCounts.includes(2), JSON.stringify(entryCounts));
    assert.ok((await items(user, 'character')).length >= 2);
  });

  it('exports conversations back as Open WebUI JSON, with their history trees', async () => {
    const user = 'owui-bare';
    const [conversation] = await items(user, 'conversation');
    assert.ok(conversation);
    const rows = (await exportAs(user, { conversation: 'all' }, 'openwebui')) as {
      chat: { history: { messages: Record<string, { parentId: string | null }>; currentId: string } };
    }[];
    assert.equal(rows.length, 1);
    const history = rows[0]!.chat.history;
    const messages = (conversation.content as { messages: Message[] }).messages;
    assert.deepEqual(Object.keys(history.messages).sort(), messages.map((m) => m.id).sort());
    for (const message of messages)
      assert.equal(history.messages[message.id]?.parentId ?? null, message.parent_id);
    assert.ok(history.messages[history.currentId]);
    // And back in: the same tree.
    const again = await previewAndImport('owui-again', Buffer.from(JSON.stringify(rows)));
    assert.equal(again.preview.source_format, 'openwebui_json');
    const [reimported] = await items('owui-again', 'conversation');
    const shape = (item: LibraryItem) =>
      (item.content as { messages: Message[] }).messages.map((m) => [m.id, m.parent_id, m.role, m.content]);
    assert.deepEqual(shape(reimported!), shape(conversation));
  });

  it('exports characters back as PNG cards (both chunks) and V3 JSON, with their world book', async () => {
    const user = 'card-user';
    const zip = (await exportAs(user, { character: 'all' }, 'character_cards')) as Buffer;
    const archive = await openZipArchive(new BufferSource(zip));
    const names = archive.entries.map((entry) => entry.name);
    const png = names.find((name) => name.endsWith('.png'));
    const json = names.find((name) => name.endsWith('.json'));
    assert.ok(png && json, names.join(', '));
    const card = JSON.parse((await archive.readEntry(json)).toString('utf8')) as {
      spec: string;
      data: { name: string; character_book?: { entries: unknown[] } };
    };
    assert.equal(card.spec, 'chara_card_v3');
    assert.equal(card.data.name, 'Aria');
    assert.equal(card.data.character_book?.entries.length, 2);
    // The PNG reads back as the same character and book.
    const back = await previewAndImport('card-again', await archive.readEntry(png));
    assert.equal(back.preview.source_format, 'character_png');
    assert.equal((await items('card-again', 'character'))[0]?.title, 'Aria');
    assert.equal(
      ((await items('card-again', 'world_book'))[0]?.content as { entries: unknown[] }).entries.length,
      2,
    );
    await archive.close();
  });

  it('refuses what it cannot read, and a forced source_format that does not match, writing nothing', async () => {
    const user = 'refused-user';
    const text = await upload(user, Buffer.from('just some text, not a chatbook'));
    const refused = await post('/api/v1/chatbooks/import', user, { upload_id: text });
    assert.equal(refused.status, 422);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unknown_source_format');
    const card = await upload(user, jsonBytes(cardWithNullBook()));
    const mismatch = await post('/api/v1/chatbooks/import', user, {
      upload_id: card,
      source_format: 'chatgpt_zip',
    });
    assert.equal(mismatch.status, 422);
    assert.equal(
      ((await mismatch.json()) as { error: { code: string } }).error.code,
      'source_format_mismatch',
    );
    assert.equal((await items(user, 'character')).length, 0);
    const wrongTypes = await post('/api/v1/chatbooks/export', user, {
      name: 'notes',
      selection: { note: 'all' },
      target: 'openwebui',
    });
    assert.equal(wrongTypes.status, 400);
    assert.match(
      JSON.stringify(((await wrongTypes.json()) as { error: { details: unknown } }).error.details),
      /conversation only/,
    );
    const jobs = (await (await cloud.call('/api/v1/chatbooks/import/jobs', { user })).json()) as {
      jobs: unknown[];
    };
    assert.equal(jobs.jobs.length, 0);
  });
});
