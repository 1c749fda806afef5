// Random-access sources: the block cache (read counts), files, and S3 through s3rver.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3RangeSource } from '../../../../shared/aws/s3-range-source';
import {
  BlockCacheSource,
  BufferSource,
  openChatbook,
  openFileSource,
} from '../../../../shared/chatbook/reader';
import type { RandomAccessSource } from '../../../../shared/chatbook/reader';
import { zipWithManifest } from './helpers';

class CountingSource implements RandomAccessSource {
  readonly size: number;
  reads = 0;
  constructor(private readonly inner: RandomAccessSource) {
    this.size = inner.size;
  }
  read(offset: number, length: number): Promise<Buffer> {
    this.reads++;
    return this.inner.read(offset, length);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const manyEntries = zipWithManifest(
  Array.from({ length: 10_000 }, (_, i) => ({
    name: `content/notes/note_${i}.md`,
    data: `note ${i} ${'abc'.repeat(i % 7)}`,
  })),
);

describe('BlockCacheSource', () => {
  it('serves exact bytes across block boundaries, LRU-evicts, and merges neighbouring misses', async () => {
    const bytes = randomBytes(10_000);
    const counting = new CountingSource(new BufferSource(bytes));
    const cache = new BlockCacheSource(counting, { blockSize: 1024, maxBlocks: 3 });
    assert.deepEqual(await cache.read(1000, 100), bytes.subarray(1000, 1100));
    assert.equal(counting.reads, 1, 'two missing neighbouring blocks cost one inner read');
    assert.deepEqual(await cache.read(1020, 10), bytes.subarray(1020, 1030));
    assert.equal(counting.reads, 1);
    assert.deepEqual(await cache.read(9990, 10), bytes.subarray(9990, 10_000));
    assert.deepEqual(await cache.read(5000, 1), bytes.subarray(5000, 5001));
    assert.equal(counting.reads, 3);
    await cache.read(1000, 10); // block 0 was evicted by the two newer ones (3 blocks max)
    assert.equal(counting.reads, 4);
    assert.deepEqual(await cache.read(0, 5000), bytes.subarray(0, 5000), 'large reads bypass the cache');
    await assert.rejects(cache.read(9999, 2), RangeError);
  });

  it('concurrent reads of one block share one inner read', async () => {
    const counting = new CountingSource(new BufferSource(randomBytes(4096)));
    const cache = new BlockCacheSource(counting, { blockSize: 1024 });
    await Promise.all([cache.read(10, 10), cache.read(20, 10), cache.read(30, 10)]);
    assert.equal(counting.reads, 1);
  });

  it('validates a 10,000-entry archive in a few inner reads', async () => {
    const counting = new CountingSource(new BufferSource(manyEntries));
    const archive = await openChatbook(new BlockCacheSource(counting));
    assert.equal(archive.integrity.verifiedFiles, 10_001);
    assert.ok(counting.reads <= 6, `expected a few reads, got ${counting.reads}`);
  });
});

describe('openFileSource', () => {
  it('reads ranges of a file and rejects reads past the end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatbook-source-'));
    try {
      const bytes = randomBytes(5000);
      await writeFile(join(dir, 'x.bin'), bytes);
      const source = await openFileSource(join(dir, 'x.bin'));
      assert.equal(source.size, 5000);
      assert.deepEqual(await source.read(4990, 10), bytes.subarray(4990));
      await assert.rejects(source.read(4990, 11), RangeError);
      await source.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

describe('S3RangeSource against s3rver', () => {
  let server: S3rverInstance | undefined;
  let directory = '';
  let client: S3Client;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'chatbook-s3rver-'));
    // s3rver ships no types; a computed specifier keeps TypeScript from looking for them.
    const moduleName = 's3rver';
    const S3rver = ((await import(moduleName)) as { default: S3rverConstructor }).default;
    server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory,
      configureBuckets: [{ name: 'test' }],
    });
    const { port } = await server.run();
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await client.send(new PutObjectCommand({ Bucket: 'test', Key: 'many.zip', Body: manyEntries }));
    await client.send(new PutObjectCommand({ Bucket: 'test', Key: 'tiny', Body: Buffer.from('ab') }));
    await client.send(new PutObjectCommand({ Bucket: 'test', Key: 'one', Body: Buffer.from('z') }));
  });

  after(async () => {
    client.destroy();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('reads exact ranges, including one-byte reads at the start and end (never bytes=0-0)', async () => {
    const source = await S3RangeSource.open({ client, bucket: 'test', key: 'many.zip' });
    assert.equal(source.size, manyEntries.length);
    assert.deepEqual(await source.read(0, 1), manyEntries.subarray(0, 1));
    assert.deepEqual(await source.read(source.size - 1, 1), manyEntries.subarray(source.size - 1));
    assert.deepEqual(await source.read(1234, 5678), manyEntries.subarray(1234, 1234 + 5678));
    const tiny = await S3RangeSource.open({ client, bucket: 'test', key: 'tiny' });
    assert.deepEqual(await tiny.read(1, 1), Buffer.from('b'));
    const one = await S3RangeSource.open({ client, bucket: 'test', key: 'one' });
    assert.deepEqual(await one.read(0, 1), Buffer.from('z'));
  });

  it('validates a 10,000-entry archive through the block cache in a few GETs', async () => {
    const s3 = await S3RangeSource.open({ client, bucket: 'test', key: 'many.zip' });
    const archive = await openChatbook(new BlockCacheSource(s3));
    assert.equal(archive.integrity.verifiedFiles, 10_001);
    let items = 0;
    for await (const _item of archive.items()) items++;
    assert.equal(items, 0);
    assert.equal(
      (await archive.readEntry('content/notes/note_9999.md')).toString(),
      `note 9999 ${'abc'.repeat(9999 % 7)}`,
    );
    assert.ok(s3.stats.gets <= 6, `expected a few GETs, got ${s3.stats.gets}`);
  });
});
