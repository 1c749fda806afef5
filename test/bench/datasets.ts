/**
 * Deterministic benchmark datasets for the chatbook writer and reader benches (no Math.random: the same
 * name and scale always give the same bytes).
 *
 * - `text`:  20,000 text-heavy items (conversation JSON and Markdown notes, a few KB each, ~80 MB).
 * - `many`:  100,000 small items (a few hundred bytes each).
 * - `media`: 500 MiB of incompressible bytes in files of ~3-20 MB (.mp4/.jpg/.mp3), plus one JSON item
 *            per media file.
 *
 * `datasetFiles` yields the files in memory, lazily; `materialize` writes the same files to a folder so
 * that `zip`/`unzip` can be measured on them. Exports here are used by other benches: keep them stable.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { itemFilePath, mediaFilePath } from '../../shared/chatbook/layout';
import type { ContentType } from '../../shared/chatbook/layout';

export type DatasetName = 'text' | 'many' | 'media';
export const DATASET_NAMES: readonly DatasetName[] = ['text', 'many', 'media'];

/** A chatbook entry with its whole body in memory (assignable to the writer's ChatbookEntry). */
export interface DatasetFile {
  path: string;
  body: Buffer;
  contentItemIds: string[];
}

export interface DatasetOptions {
  /** Multiplies item counts and media bytes (e.g. 0.01 for a quick test run). Default 1. */
  scale?: number;
}

export interface DatasetSummary {
  name: DatasetName;
  scale: number;
  fileCount: number;
  totalBytes: number;
}

export const DATASET_DESCRIPTIONS: Readonly<Record<DatasetName, string>> = {
  text: '20,000 text items (JSON + Markdown, few KB)',
  many: '100,000 small items (few hundred B)',
  media: '500 MiB incompressible media + JSON',
};

const TEXT_ITEM_COUNT = 20_000;
const MANY_ITEM_COUNT = 100_000;
const MEDIA_TOTAL_BYTES = 500 * 1024 * 1024;
const MEDIA_MIN_FILE_BYTES = 3 * 1024 * 1024;
const MEDIA_MAX_FILE_BYTES = 20 * 1024 * 1024;
const FIXED_EPOCH_MS = Date.UTC(2025, 0, 1);

/** mulberry32: a tiny seeded PRNG, good enough for varied test data. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON_WORDS = (
  'the of and to in is that it for was on are as with be this by at from or have an they which one you ' +
  'were her all she there would their we him been has when who will more no if out so said what up its ' +
  'about into than them can only other new some could time these two may then do first any my now such ' +
  'like our over man me even most made after also did many before must through back years where much your ' +
  'way well down should because each just those people how too little state good very make world still ' +
  'model data search answer question context retrieval embedding vector summary note chapter source ' +
  'document paper result method training token prompt character story dragon castle river market'
).split(' ');

const SYLLABLES =
  'ka lo ri ten mar so vel an tis or du pre con ex ment ation ing er al ly qu ist ro na mi'.split(' ');

function buildVocabulary(random: () => number, size: number): string[] {
  const words = [...COMMON_WORDS];
  while (words.length < size) {
    const syllableCount = 1 + Math.floor(random() * 4);
    let word = '';
    for (let i = 0; i < syllableCount; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)]!;
    words.push(word);
  }
  return words;
}

/** Text generator with a Zipf-like word distribution, so deflate sees realistic (~3:1) redundancy. */
class TextSource {
  readonly random: () => number;
  private readonly vocabulary: string[];

  constructor(seed: number) {
    this.random = seededRandom(seed);
    this.vocabulary = buildVocabulary(this.random, 6000);
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)]!;
  }

  word(): string {
    const r = this.random();
    return this.vocabulary[Math.floor(r * r * r * this.vocabulary.length)]!;
  }

  sentence(): string {
    const count = this.int(5, 18);
    let text = this.word();
    text = text.charAt(0).toUpperCase() + text.slice(1);
    for (let i = 1; i < count; i++) text += (this.random() < 0.08 ? ', ' : ' ') + this.word();
    return text + this.pick(['.', '.', '.', '?', '!']);
  }

  /** Sentences until at least `bytes` characters. */
  prose(bytes: number): string {
    let text = this.sentence();
    while (text.length < bytes) text += (this.random() < 0.15 ? '\n\n' : ' ') + this.sentence();
    return text;
  }

  isoDate(): string {
    return new Date(FIXED_EPOCH_MS + Math.floor(this.random() * 365 * 86_400_000)).toISOString();
  }
}

function conversationJson(source: TextSource, id: string, targetBytes: number): string {
  const created = source.isoDate();
  const messages: Record<string, unknown>[] = [];
  let size = 0;
  let index = 0;
  while (size < targetBytes) {
    const content = source.prose(source.int(80, 700));
    size += content.length + 120;
    messages.push({
      id: `${id}-m${index}`,
      role: index % 2 === 0 ? 'user' : 'assistant',
      content,
      timestamp: created,
      attachments: [],
    });
    index++;
  }
  return JSON.stringify(
    {
      id,
      name: source.sentence().slice(0, 60),
      created_at: created,
      character_id: source.int(1, 40),
      messages,
    },
    null,
    2,
  );
}

function noteMarkdown(source: TextSource, id: string, targetBytes: number): string {
  let body = `# ${source.sentence()}\n\n`;
  while (body.length < targetBytes) {
    body += source.random() < 0.2 ? `## ${source.sentence()}\n\n` : '';
    body +=
      source.random() < 0.25
        ? `- ${source.sentence()}\n- ${source.sentence()}\n- ${source.sentence()}\n\n`
        : `${source.prose(source.int(200, 900))}\n\n`;
  }
  return `---\nid: ${id}\ntitle: "${source.sentence().slice(0, 50)}"\ncreated_at: ${source.isoDate()}\n---\n\n${body}`;
}

function smallItem(source: TextSource, type: ContentType, id: string): string {
  switch (type) {
    case 'note':
      return `---\nid: ${id}\ntitle: "${source.sentence().slice(0, 40)}"\ncreated_at: ${source.isoDate()}\n---\n\n${source.prose(source.int(100, 400))}\n`;
    case 'prompt':
      return JSON.stringify({
        id,
        name: source.sentence().slice(0, 40),
        content: source.prose(source.int(100, 350)),
      });
    default:
      return JSON.stringify({
        id,
        name: source.word(),
        description: source.prose(source.int(80, 300)),
        created_at: source.isoDate(),
      });
  }
}

function scaled(count: number, scale: number): number {
  return Math.max(1, Math.round(count * scale));
}

function* textFiles(scale: number): Generator<DatasetFile> {
  const source = new TextSource(0x7e57);
  const count = scaled(TEXT_ITEM_COUNT, scale);
  for (let i = 0; i < count; i++) {
    const id = String(i + 1);
    const isNote = source.random() < 0.4;
    const type: ContentType = isNote ? 'note' : 'conversation';
    const targetBytes = source.int(1500, 7000);
    const text = isNote ? noteMarkdown(source, id, targetBytes) : conversationJson(source, id, targetBytes);
    yield { path: itemFilePath(type, id), body: Buffer.from(text), contentItemIds: [id] };
  }
}

const SMALL_TYPES: readonly ContentType[] = ['note', 'prompt', 'character', 'dictionary', 'world_book'];

function* manyFiles(scale: number): Generator<DatasetFile> {
  const source = new TextSource(0x3a11);
  const count = scaled(MANY_ITEM_COUNT, scale);
  for (let i = 0; i < count; i++) {
    const id = String(i + 1);
    const type = SMALL_TYPES[i % SMALL_TYPES.length]!;
    yield {
      path: itemFilePath(type, id),
      body: Buffer.from(smallItem(source, type, id)),
      contentItemIds: [id],
    };
  }
}

/**
 * Incompressible bytes, fast: AES-128-CTR keystream (AES-NI) over a zero block, keyed by the seed.
 * About 1-2 GB/s, so generation is not what the media bench measures.
 */
export function pseudoRandomBytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return cipher.update(Buffer.alloc(length));
}

const MEDIA_SUFFIXES = ['.mp4', '.jpg', '.mp3'] as const;

interface MediaPlan {
  mediaId: string;
  path: string;
  bytes: number;
}

function mediaPlan(scale: number): MediaPlan[] {
  const random = seededRandom(0x3ed1a);
  const total = Math.max(1, Math.round(MEDIA_TOTAL_BYTES * scale));
  const plan: MediaPlan[] = [];
  let planned = 0;
  while (planned < total) {
    const wanted =
      MEDIA_MIN_FILE_BYTES + Math.floor(random() * (MEDIA_MAX_FILE_BYTES - MEDIA_MIN_FILE_BYTES));
    const bytes = Math.min(wanted, total - planned);
    const mediaId = String(plan.length + 1);
    const suffix = MEDIA_SUFFIXES[plan.length % MEDIA_SUFFIXES.length]!;
    plan.push({ mediaId, path: mediaFilePath(mediaId, '1', suffix), bytes });
    planned += bytes;
  }
  return plan;
}

function* mediaFiles(scale: number): Generator<DatasetFile> {
  const source = new TextSource(0x3ed1b);
  for (const media of mediaPlan(scale)) {
    const metadata = {
      id: media.mediaId,
      title: source.sentence().slice(0, 60),
      type: media.path.endsWith('.mp3') ? 'audio' : media.path.endsWith('.jpg') ? 'image' : 'video',
      content: source.prose(source.int(300, 1500)),
      stored_artifacts: [{ file_path: media.path, size_bytes: media.bytes }],
    };
    yield {
      path: itemFilePath('media', media.mediaId),
      body: Buffer.from(JSON.stringify(metadata, null, 2)),
      contentItemIds: [media.mediaId],
    };
    yield {
      path: media.path,
      body: pseudoRandomBytes(`media-${media.mediaId}`, media.bytes),
      contentItemIds: [media.mediaId],
    };
  }
}

/** The dataset's files, in archive order, generated lazily one at a time. */
export function* datasetFiles(name: DatasetName, options: DatasetOptions = {}): Generator<DatasetFile> {
  const scale = options.scale ?? 1;
  switch (name) {
    case 'text':
      yield* textFiles(scale);
      return;
    case 'many':
      yield* manyFiles(scale);
      return;
    case 'media':
      yield* mediaFiles(scale);
      return;
  }
}

/** Async-iterable form of `datasetFiles`, as the writer's `entries` option takes it. */
export async function* datasetEntries(
  name: DatasetName,
  options: DatasetOptions = {},
): AsyncGenerator<DatasetFile> {
  for (const file of datasetFiles(name, options)) yield await Promise.resolve(file);
}

/** A plain manifest (no file_inventory: the writer adds it) describing the dataset's items. */
export function datasetManifest(
  name: DatasetName,
  version: '1.0.0' | '1.1.0',
  options: DatasetOptions = {},
): Record<string, unknown> {
  function* paths(): Generator<string> {
    if (name !== 'media') for (const file of datasetFiles(name, options)) yield file.path;
  }
  return datasetManifestFromPaths(name, version, paths(), options);
}

/**
 * `datasetManifest` from the dataset's paths in order (e.g. a listing saved by `materialize`'s caller),
 * without generating the bodies again: the same manifest, built as production builds one (from rows).
 */
export function datasetManifestFromPaths(
  name: DatasetName,
  version: '1.0.0' | '1.1.0',
  paths: Iterable<string>,
  options: DatasetOptions = {},
): Record<string, unknown> {
  const contentItems: Record<string, unknown>[] = [];
  for (const path of name === 'media' ? [] : paths) {
    const match = /^content\/[a-z_]+\/([a-z_]+?)_(\d+)\.(json|md)$/.exec(path);
    if (!match) continue;
    const type = match[1] === 'document' ? 'generated_document' : match[1]!;
    contentItems.push({
      id: match[2],
      type,
      title: `${type} ${match[2]!}`,
      description: null,
      created_at: null,
      updated_at: null,
      tags: [],
      metadata: {},
      file_path: path,
      checksum: null,
    });
  }
  const now = new Date(FIXED_EPOCH_MS).toISOString();
  return {
    version,
    name: `Bench ${name}`,
    description: DATASET_DESCRIPTIONS[name],
    author: 'bench',
    created_at: now,
    updated_at: now,
    export_id: `bench-${name}`,
    content_items: name === 'media' ? mediaContentItems(options.scale ?? 1) : contentItems,
    relationships: [],
    configuration: {
      include_media: name === 'media',
      include_embeddings: false,
      include_generated_content: true,
      media_quality: 'original',
      max_file_size_mb: 100,
    },
    statistics: { total_size_bytes: 0 },
    metadata: { tags: ['bench'], categories: [], language: 'en', license: null },
    user_info: null,
  };
}

function mediaContentItems(scale: number): Record<string, unknown>[] {
  return mediaPlan(scale).map((media) => ({
    id: media.mediaId,
    type: 'media',
    title: `media ${media.mediaId}`,
    description: null,
    created_at: null,
    updated_at: null,
    tags: [],
    metadata: { stored_artifact_count: 1 },
    file_path: itemFilePath('media', media.mediaId),
    checksum: null,
  }));
}

/**
 * Writes the dataset's files under `dir` (same paths and bytes as `datasetFiles`). A marker file next to
 * `dir` (`<dir>.done.json`) lets later runs reuse the folder; a stale or partial folder is rewritten.
 */
export async function materialize(
  name: DatasetName,
  dir: string,
  options: DatasetOptions = {},
): Promise<DatasetSummary> {
  const scale = options.scale ?? 1;
  const markerPath = `${dir}.done.json`;
  if (existsSync(markerPath)) {
    const marker = JSON.parse(await readFile(markerPath, 'utf8')) as DatasetSummary;
    if (marker.name === name && marker.scale === scale && existsSync(dir)) return marker;
  }
  await rm(dir, { recursive: true, force: true });
  await rm(markerPath, { force: true });
  const createdDirs = new Set<string>();
  let fileCount = 0;
  let totalBytes = 0;
  // Several writes in flight: 100,000 small files one at a time take about a minute.
  const inFlight = new Set<Promise<void>>();
  for (const file of datasetFiles(name, { scale })) {
    const target = join(dir, file.path);
    const parent = dirname(target);
    if (!createdDirs.has(parent)) {
      await mkdir(parent, { recursive: true });
      createdDirs.add(parent);
    }
    const write = writeFile(target, file.body).finally(() => inFlight.delete(write));
    inFlight.add(write);
    if (file.body.length > 1024 * 1024) await write;
    else if (inFlight.size >= 32) await Promise.race(inFlight);
    fileCount++;
    totalBytes += file.body.length;
  }
  await Promise.all(inFlight);
  const summary: DatasetSummary = { name, scale, fileCount, totalBytes };
  await writeFile(markerPath, JSON.stringify(summary));
  return summary;
}
