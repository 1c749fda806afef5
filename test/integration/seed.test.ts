import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CONTENT_TYPES } from '../../shared/chatbook/layout';
import type { LibraryItemView } from '../../shared/library/library-service';
import { PNG_SIGNATURE } from '../../scripts/seed/binary';
import { planSeed, SEED_COUNTS } from '../../scripts/seed/generate';
import { endpointsOf, localLibraryStore, seedLibrary } from '../../scripts/seed/seed-library';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const USER = 'seeded-user';

describe('npm run seed (seedLibrary into the local cloud)', () => {
  let cloud: TestCloud;
  let library: ReturnType<typeof localLibraryStore>;

  before(async () => {
    cloud = await startTestCloud();
    library = localLibraryStore(endpointsOf(cloud));
  });

  after(async () => {
    library.close();
    await cloud.dispose();
  });

  async function list(type: string, user = USER): Promise<LibraryItemView[]> {
    const response = await cloud.call(`/api/v1/library/${type}?limit=500`, { user });
    assert.equal(response.status, 200, type);
    const page = (await response.json()) as { items: LibraryItemView[]; next_cursor: string | null };
    assert.equal(page.next_cursor, null);
    return page.items;
  }

  it('fills every type, lists media files with sizes, and a re-run overwrites instead of duplicating', async () => {
    const progress: number[] = [];
    const result = await seedLibrary(library.store, USER, 'small', {
      onProgress: (p) => progress.push(p.items),
    });
    const plan = planSeed('small');
    assert.deepEqual(result.counts, SEED_COUNTS.small);
    assert.equal(result.files, plan.files);
    assert.equal(result.fileBytes, plan.fileBytes);
    assert.equal(result.mediaBytes, plan.mediaBytes);
    assert.equal(progress.at(-1), plan.items);

    for (const type of CONTENT_TYPES) assert.equal((await list(type)).length, SEED_COUNTS.small[type], type);

    const media = await list('media');
    const video = media.find((item) => item.id === 'seed-media-00001');
    assert.ok(video, 'the first media item is listed');
    assert.deepEqual(
      video.files.map((file) => file.mime_type),
      ['video/mp4', 'image/png'],
    );
    assert.ok(video.files.every((file) => file.size_bytes > 100_000 && /^[0-9a-f]{64}$/.test(file.sha256)));
    assert.ok(
      video.size_bytes > video.files[0]!.size_bytes + video.files[1]!.size_bytes,
      'files count in size',
    );

    const response = await cloud.call('/api/v1/library/media/seed-media-00001', { user: USER });
    const full = (await response.json()) as LibraryItemView & {
      content: { stored_artifacts: { id: string; checksum: string; file_size: number }[] };
    };
    assert.deepEqual(
      full.content.stored_artifacts.map((a) => [a.id, a.checksum, a.file_size]),
      full.files.map((f) => [f.file_id, f.sha256, f.size_bytes]),
    );

    // A conversation image's bytes as stored: a PNG whose hash is the one recorded.
    const conversation = await library.store.get(USER, 'conversation', 'seed-conversation-00001');
    const image = conversation?.files.find((file) => file.mimeType === 'image/png');
    assert.ok(image, 'the first conversation has an image');
    const chunks: Buffer[] = [];
    for await (const chunk of await library.store.openFile(image)) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), image.sha256);

    await seedLibrary(library.store, USER, 'small');
    for (const type of CONTENT_TYPES) assert.equal((await list(type)).length, SEED_COUNTS.small[type], type);
    assert.equal((await list('note', 'someone-else')).length, 0, 'only the seeded user has the content');
  });
});
