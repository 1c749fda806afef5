/**
 * Seed content for a user's library: realistic items of all ten chatbook types, as lazy specs. Pure (no AWS):
 * every choice comes from a PRNG keyed by the seed, the type and the item's index, so the same seed gives the same
 * items in any order, cross references (a conversation's character, a document's conversation, an embedding's
 * media) are computed rather than looked up, and a file's bytes are made only when `body()` is called.
 */
import { createHash } from 'node:crypto';
import { CONTENT_TYPES, type ContentType } from '../../shared/chatbook/layout';
import { ITEM_SCHEMAS, type ItemByType } from '../../shared/chatbook/schema/items';
import { encodeBase64Vector } from '../../shared/chatbook/schema/embedding';
import { jpegBlob, mp3Blob, mp4Blob, pdf, png, pngSize, Rng } from './binary';
import {
  ARCHETYPES,
  ASSISTANT_OPENERS,
  AUTHORS,
  DOCUMENT_TYPES,
  EVAL_TYPES,
  FIRST_NAMES,
  FOLLOW_UPS,
  GENERIC_SENTENCES,
  LAST_NAMES,
  MODELS,
  PROMPT_TEMPLATES,
  REPHRASE_PREFIXES,
  SETTINGS,
  TOPICS,
  WHISPER_MODELS,
  type Topic,
} from './corpus';

export const SEED_SIZES = ['small', 'large'] as const;
export type SeedSize = (typeof SEED_SIZES)[number];

export function isSeedSize(value: unknown): value is SeedSize {
  return typeof value === 'string' && (SEED_SIZES as readonly string[]).includes(value);
}

/** Items per type. small: what `npm start` and tests seed; large: ≥ 10,000 items and ≥ 500 MB of media. */
export const SEED_COUNTS: Readonly<Record<SeedSize, Readonly<Record<ContentType, number>>>> = {
  small: {
    conversation: 12,
    note: 12,
    character: 6,
    world_book: 5,
    dictionary: 5,
    prompt: 10,
    media: 10,
    embedding: 7,
    generated_document: 8,
    evaluation: 5,
  },
  large: {
    conversation: 3500,
    note: 3000,
    character: 200,
    world_book: 120,
    dictionary: 100,
    prompt: 800,
    media: 600,
    embedding: 450,
    generated_document: 1500,
    evaluation: 150,
  },
};

export const DEFAULT_SEED = 'chatbooks';

export interface SeedOptions {
  /** Same seed, same content. */
  seed?: string;
  /** Timestamps fall in the two years before this (default: today, 00:00 UTC, so a day's re-runs agree). */
  now?: Date;
}

/** A binary file of an item; its bytes are made on demand. */
export interface SeedFile {
  fileId: string;
  name: string;
  mimeType: string;
  /** Exact: `body().length`. */
  sizeBytes: number;
  body(): Buffer;
}

/** What storing a file reported (a LibraryFile has these). */
export interface StoredFileInfo {
  fileId: string;
  sha256: string;
  sizeBytes: number;
}

export interface SeedItem<T extends ContentType = ContentType> {
  type: T;
  id: string;
  createdAt: string;
  updatedAt: string;
  /** Library tags when better than the content's own (`tagsOf`). */
  tags?: string[];
  files: readonly SeedFile[];
  /** The item's content, parsed by its schema; media checksums come from the stored files. */
  content(stored: readonly StoredFileInfo[]): ItemByType[T];
}

/** The SHA-256 and size of a file's bytes, as storing it would report (for tests and dry runs). */
export function describeFile(file: SeedFile): StoredFileInfo {
  const body = file.body();
  return {
    fileId: file.fileId,
    sha256: createHash('sha256').update(body).digest('hex'),
    sizeBytes: body.length,
  };
}

const DAY = 86_400_000;
const KB = 1024;
const MB = 1024 * 1024;
/** Longer than any seeded conversation's messages take: ≤ 24 messages, ≤ 400 s apart. */
const CONVERSATION_SPAN = 3 * 3_600_000;

interface Context {
  seed: string;
  size: SeedSize;
  now: number;
  counts: Readonly<Record<ContentType, number>>;
}

function rngFor(ctx: Context, ...parts: (string | number)[]): Rng {
  return new Rng([ctx.seed, ...parts].join('/'));
}

export function seedItemId(type: ContentType, index: number): string {
  return `seed-${type.replace(/_/g, '-')}-${String(index).padStart(5, '0')}`;
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 48) || 'file'
  );
}

/** Created in the two years before now (at least a day ago); updated later for most items. */
function datesFor(ctx: Context, type: ContentType, index: number): { created: number; updated: number } {
  const r = rngFor(ctx, type, index, 'dates');
  const created = ctx.now - DAY - Math.floor(r.next() * 729 * DAY);
  let updated = r.chance(0.35)
    ? created
    : created + Math.floor(r.next() * Math.min(120 * DAY, ctx.now - created));
  // A conversation's messages (at most ~3 hours of them) all come before its update time.
  if (type === 'conversation') updated = Math.max(updated, created + CONVERSATION_SPAN);
  // An evaluation's runs happen between its creation and its last update.
  if (type === 'evaluation')
    updated = Math.max(updated, created + Math.min(30 * DAY, (ctx.now - created) / 2));
  return { created, updated };
}

function topicFor(ctx: Context, type: ContentType, index: number): Topic {
  return rngFor(ctx, type, index, 'topic').pick(TOPICS);
}

function paragraph(r: Rng, topic: Topic, sentences: number): string {
  const facts = r.sample(topic.facts, sentences);
  if (r.chance(0.4)) facts.splice(r.int(0, facts.length), 0, r.pick(GENERIC_SENTENCES));
  return facts.join(' ');
}

// ---- heads: the few fields other items refer to, computable from an index alone ----

interface CharacterHead {
  id: string;
  name: string;
  archetype: (typeof ARCHETYPES)[number];
}

function characterHead(index: number): CharacterHead {
  const n = index - 1;
  const first = FIRST_NAMES[n % FIRST_NAMES.length]!;
  const last = LAST_NAMES[(n + Math.floor(n / FIRST_NAMES.length)) % LAST_NAMES.length]!;
  return {
    id: seedItemId('character', index),
    name: `${first} ${last}`,
    archetype: ARCHETYPES[n % ARCHETYPES.length]!,
  };
}

type MediaKind = 'video' | 'audio' | 'document' | 'image';
const SMALL_MEDIA_KINDS: readonly MediaKind[] = [
  'video',
  'audio',
  'document',
  'image',
  'video',
  'document',
  'audio',
  'image',
  'document',
  'video',
];

function mediaKind(ctx: Context, index: number): MediaKind {
  if (ctx.size === 'small') return SMALL_MEDIA_KINDS[(index - 1) % SMALL_MEDIA_KINDS.length]!;
  // Of every 60: 6 videos and 5 recordings (1-8 MB each), 18 images, 31 documents.
  const slot = (index - 1) % 60;
  return slot < 6 ? 'video' : slot < 11 ? 'audio' : slot < 29 ? 'image' : 'document';
}

interface MediaHead {
  id: string;
  uuid: string;
  kind: MediaKind;
  topic: Topic;
  title: string;
  author: string;
  url: string;
}

function mediaHead(ctx: Context, index: number): MediaHead {
  const r = rngFor(ctx, 'media', index, 'head');
  const topic = topicFor(ctx, 'media', index);
  const kind = mediaKind(ctx, index);
  const author = r.pick(AUTHORS);
  const videoId = Buffer.from(r.uuid().replace(/-/g, ''), 'hex').toString('base64url').slice(0, 11);
  const title = {
    video: () => r.pick([`Lecture: ${topic.title}`, `${topic.title} explained`, `Workshop — ${topic.title}`]),
    audio: () =>
      r.pick([`Podcast: ${topic.title}`, `Interview on ${topic.keywords[0]!}`, `${topic.title} (talk)`]),
    document: () =>
      r.pick([`${topic.title}: a practical guide`, `Notes on ${topic.keywords[1]!}`, `${topic.title} FAQ`]),
    image: () =>
      r.pick([
        `Diagram: ${topic.keywords[0]!}`,
        `Whiteboard photo — ${topic.title}`,
        `Chart: ${topic.keywords[2]!}`,
      ]),
  }[kind]();
  const url = {
    video: `https://www.youtube.com/watch?v=${videoId}`,
    audio: `https://podcasts.example.com/episodes/${slug(title)}`,
    document: `https://docs.example.org/${topic.tag}/${slug(title)}.pdf`,
    image: `https://images.example.net/${topic.tag}/${videoId}.png`,
  }[kind];
  return {
    id: seedItemId('media', index),
    uuid: r.uuid(),
    kind,
    topic,
    title: `${title} #${index}`,
    author,
    url,
  };
}

interface ConversationHead {
  id: string;
  name: string;
  topic: Topic;
  character?: CharacterHead;
}

function conversationHead(ctx: Context, index: number): ConversationHead {
  const r = rngFor(ctx, 'conversation', index, 'head');
  const topic = topicFor(ctx, 'conversation', index);
  const characters = ctx.counts.character;
  const character =
    characters > 0 && [1, 2, 4].includes(index % 5)
      ? characterHead(((index * 3) % characters) + 1)
      : undefined;
  const question = r.pick(topic.questions);
  const name = character
    ? r.pick([`Chat with ${character.name}`, `${character.name}: ${topic.title}`])
    : r.pick([
        question.length > 60 ? `${question.slice(0, 57).trimEnd()}…` : question,
        `${topic.title} questions`,
        `Help with ${topic.keywords[0]!}`,
      ]);
  return { id: seedItemId('conversation', index), name, topic, ...(character ? { character } : {}) };
}

// ---- files ----

function pngFile(key: string, fileId: string, name: string, width: number, height: number): SeedFile {
  return {
    fileId,
    name,
    mimeType: 'image/png',
    sizeBytes: pngSize(width, height),
    body: () => png(key, width, height),
  };
}

function mediaFiles(ctx: Context, head: MediaHead, index: number): SeedFile[] {
  const r = rngFor(ctx, 'media', index, 'files');
  const key = `${ctx.seed}/${head.id}`;
  const base = slug(head.title);
  const big = (smallMin: number, smallMax: number) =>
    ctx.size === 'small' ? r.int(Math.round(smallMin), Math.round(smallMax)) : r.int(1 * MB, 8 * MB);
  switch (head.kind) {
    case 'video': {
      const size = big(1.2 * MB, 2 * MB);
      return [
        {
          fileId: `${head.id}-f1`,
          name: `${base}.mp4`,
          mimeType: 'video/mp4',
          sizeBytes: size,
          body: () => mp4Blob(`${key}/f1`, size),
        },
        pngFile(`${key}/f2`, `${head.id}-f2`, `${base}-thumbnail.png`, 320, 180),
      ];
    }
    case 'audio': {
      const size = big(0.6 * MB, 1.2 * MB);
      return [
        {
          fileId: `${head.id}-f1`,
          name: `${base}.mp3`,
          mimeType: 'audio/mpeg',
          sizeBytes: size,
          body: () => mp3Blob(`${key}/f1`, size, head.title, head.author),
        },
      ];
    }
    case 'document': {
      const size = r.int(40 * KB, ctx.size === 'small' ? 200 * KB : 400 * KB);
      const lines = [head.title, `by ${head.author}`, '', ...head.topic.facts, ...head.topic.questions];
      return [
        {
          fileId: `${head.id}-f1`,
          name: `${base}.pdf`,
          mimeType: 'application/pdf',
          sizeBytes: size,
          body: () => pdf(size, head.title, lines),
        },
      ];
    }
    case 'image': {
      const width = r.int(40, 80) * 8;
      return [pngFile(`${key}/f1`, `${head.id}-f1`, `${base}.png`, width, (width * 3) / 4)];
    }
  }
}

/** Which conversations carry images, and which of those also an extra JPEG. */
function conversationImages(ctx: Context, index: number): { primary: boolean; extra: boolean } {
  if (ctx.size === 'small') return { primary: index <= 3, extra: index === 2 };
  return { primary: index % 12 === 1, extra: index % 36 === 1 };
}

function messageId(conversationId: string, n: number): string {
  return `${conversationId}-m${String(n).padStart(3, '0')}`;
}

function conversationFiles(ctx: Context, head: ConversationHead, index: number): SeedFile[] {
  const images = conversationImages(ctx, index);
  if (!images.primary) return [];
  const r = rngFor(ctx, 'conversation', index, 'files');
  const first = messageId(head.id, 1);
  const width = r.int(20, 50) * 8;
  const files = [
    pngFile(
      `${ctx.seed}/${head.id}/primary`,
      `${first}_image_primary.png`,
      `${first}_image_primary.png`,
      width,
      (width * 3) / 4,
    ),
  ];
  if (images.extra) {
    const size = r.int(20 * KB, 90 * KB);
    const fileId = `${first}_image_1.jpg`;
    files.push({
      fileId,
      name: fileId,
      mimeType: 'image/jpeg',
      sizeBytes: size,
      body: () => jpegBlob(`${ctx.seed}/${head.id}/extra`, size),
    });
  }
  return files;
}

// ---- content ----

function parsed<T extends ContentType>(type: T, raw: unknown): ItemByType[T] {
  return ITEM_SCHEMAS[type].parse(raw);
}

interface RawMessage {
  id: string;
  parent_id: string | null;
  role: string;
  content: string;
  timestamp: string;
  [key: string]: unknown;
}

function answer(r: Rng, topic: Topic): string {
  const parts = [r.pick(ASSISTANT_OPENERS), paragraph(r, topic, r.int(2, 3))];
  if (r.chance(0.5))
    parts.push(
      r
        .sample(topic.facts, r.int(2, 4))
        .map((fact) => `- ${fact}`)
        .join('\n'),
    );
  if (topic.snippet && r.chance(0.4))
    parts.push(`\`\`\`${topic.snippet.language}\n${topic.snippet.code}\n\`\`\``);
  if (r.chance(0.3)) parts.push(r.pick(GENERIC_SENTENCES));
  return parts.join('\n\n');
}

function citations(ctx: Context, r: Rng): Record<string, unknown>[] {
  return Array.from({ length: r.int(1, 3) }, (_, n) => {
    const media = mediaHead(ctx, r.int(1, ctx.counts.media));
    const chunk = r.int(1, 3);
    return {
      id: `${media.id}-c${chunk}-${n + 1}`,
      source_type: 'media',
      title: media.title,
      score: Math.round((0.55 + r.next() * 0.43) * 1000) / 1000,
      excerpt: r.pick(media.topic.facts),
      url: media.url,
      page_number: media.kind === 'document' ? r.int(1, 12) : null,
      chunk_id: `${media.id}-c${chunk}`,
    };
  });
}

function conversationContent(
  ctx: Context,
  index: number,
  files: readonly SeedFile[],
): ItemByType['conversation'] {
  const head = conversationHead(ctx, index);
  const r = rngFor(ctx, 'conversation', index, 'content');
  const { created, updated } = datesFor(ctx, 'conversation', index);
  const messages: RawMessage[] = [];
  let clock = created;
  let n = 0;
  const add = (role: string, content: string, parent: string | null, extra: Record<string, unknown> = {}) => {
    clock += r.int(20, 400) * 1000;
    const message: RawMessage = {
      id: messageId(head.id, n++),
      parent_id: parent,
      role,
      content,
      timestamp: iso(clock),
      ...extra,
    };
    messages.push(message);
    return message;
  };
  const system = head.character
    ? `You are ${head.character.name}, ${head.character.archetype.role}. Stay in character.`
    : r.chance(0.5)
      ? `You are a helpful assistant. Answer concisely and say when you are unsure.`
      : undefined;
  let parent: string | null = null;
  if (system) parent = add('system', system, null).id;
  else n = 1;
  const research = ctx.counts.media > 0 && r.chance(0.5);
  const turns = ctx.size === 'small' ? r.int(2, 6) : r.int(2, 10);
  const branchAt = r.chance(0.8) ? r.int(0, turns - 1) : -1;
  const questions = r.sample(head.topic.questions, head.topic.questions.length);
  for (let turn = 0; turn < turns; turn++) {
    const question =
      turn === 0
        ? questions[0]!
        : turn < questions.length && r.chance(0.5)
          ? questions[turn]!
          : r.pick(FOLLOW_UPS);
    const attachments =
      turn === 0 && files.length > 0
        ? files.map((file, i) => ({
            type: 'image',
            mime_type: file.mimeType,
            file_id: file.fileId,
            primary: i === 0,
          }))
        : undefined;
    const user = add('user', question, parent, attachments ? { attachments } : {});
    const cite = research && r.chance(0.6);
    const reply = add(
      'assistant',
      answer(r, head.topic),
      user.id,
      cite ? { citations: citations(ctx, r), rag_search_query: question } : {},
    );
    parent = reply.id;
    if (turn === branchAt) {
      // A regeneration: a second answer to the same message; the user may carry on from either.
      const again = add('assistant', answer(r, head.topic), user.id, { regenerated: true });
      if (r.chance(0.5)) parent = again.id;
      if (r.chance(0.5)) {
        // An edited question: a sibling of the user message, with its own answer (a side branch).
        const edited = add(
          'user',
          `${r.pick(REPHRASE_PREFIXES)}${question.charAt(0).toLowerCase()}${question.slice(1)}`,
          user.parent_id,
        );
        add('assistant', answer(r, head.topic), edited.id);
      }
    }
  }
  return parsed('conversation', {
    id: head.id,
    name: head.name,
    created_at: iso(created),
    updated_at: iso(updated),
    ...(head.character ? { character_id: head.character.id } : {}),
    messages,
  });
}

function noteContent(ctx: Context, index: number): ItemByType['note'] {
  const r = rngFor(ctx, 'note', index, 'content');
  const topic = topicFor(ctx, 'note', index);
  const { created, updated } = datesFor(ctx, 'note', index);
  const title = r.pick([
    `${topic.title} — notes`,
    `Reading notes: ${topic.keywords[1]!}`,
    `Questions about ${topic.keywords[0]!}`,
    `${topic.title}: what I learned`,
    `Cheat sheet: ${topic.keywords[r.int(0, topic.keywords.length - 1)]!}`,
  ]);
  const sections = [`# ${title}`, paragraph(r, topic, r.int(2, 4))];
  sections.push(
    `## Key points\n\n${r
      .sample(topic.facts, r.int(3, 5))
      .map((f) => `- ${f}`)
      .join('\n')}`,
  );
  if (topic.snippet && r.chance(0.6))
    sections.push(`## Example\n\n\`\`\`${topic.snippet.language}\n${topic.snippet.code}\n\`\`\``);
  for (let extra = r.int(0, 3); extra > 0; extra--)
    sections.push(
      `## ${r.pick(['Details', 'Background', 'Why it matters', 'Caveats'])}\n\n${paragraph(r, topic, r.int(3, 5))}`,
    );
  sections.push(
    `## Open questions\n\n${r
      .sample(topic.questions, r.int(1, 3))
      .map((q) => `- [ ] ${q}`)
      .join('\n')}`,
  );
  const tags = [
    topic.tag,
    ...r.sample(topic.keywords.slice(1), r.int(0, 2)),
    ...(r.chance(0.2) ? ['inbox'] : []),
  ];
  return parsed('note', {
    id: seedItemId('note', index),
    title: `${title} (${index})`,
    created_at: iso(created),
    updated_at: iso(updated),
    tags: [...new Set(tags)],
    content: `${sections.join('\n\n')}\n`,
  });
}

function characterContent(ctx: Context, index: number): ItemByType['character'] {
  const head = characterHead(index);
  const r = rngFor(ctx, 'character', index, 'content');
  const { created, updated } = datesFor(ctx, 'character', index);
  const { archetype } = head;
  const first = head.name.split(' ')[0]!;
  return parsed('character', {
    id: head.id,
    name: head.name,
    description: `${head.name} is ${archetype.role}. ${first} has a knack for noticing what others miss.`,
    personality: archetype.personality,
    scenario: archetype.scenario,
    first_mes: archetype.greeting,
    mes_example: `<START>\n{{user}}: Can you help me with something?\n{{char}}: ${archetype.greeting}\n<START>\n{{user}}: I am not sure where to begin.\n{{char}}: Then we begin with what you want by the end of today.`,
    alternate_greetings: [
      `*${first} looks up* Oh, {{user}}! I was hoping you would come by.`,
      `Back again, {{user}}? Good. I have been thinking about last time.`,
    ],
    tags: [...archetype.tags],
    creator: 'seed',
    creator_notes: `Works best with a temperature around ${(0.6 + r.next() * 0.5).toFixed(1)}.`,
    system_prompt: `Write ${first}'s next reply. Stay in character as ${archetype.role}.`,
    post_history_instructions: '',
    character_version: `1.${r.int(0, 9)}`,
    extensions: {
      talkativeness: Math.round(r.next() * 100) / 100,
      fav: r.chance(0.2),
      world: null,
      depth_prompt: { depth: 4, prompt: '', role: 'system' },
    },
    image: null,
    created_at: iso(created),
    last_modified: iso(updated),
    version: 1,
  });
}

function worldBookContent(ctx: Context, index: number): ItemByType['world_book'] {
  const r = rngFor(ctx, 'world_book', index, 'content');
  const setting = SETTINGS[(index - 1) % SETTINGS.length]!;
  const { created, updated } = datesFor(ctx, 'world_book', index);
  const id = seedItemId('world_book', index);
  const name = `${setting.name} lore (${index})`;
  const entries = Array.from({ length: ctx.size === 'small' ? r.int(5, 15) : r.int(5, 60) }, (_, n) => {
    const place = r.pick(setting.places);
    const faction = r.pick(setting.factions);
    return {
      id: `${id}-e${n + 1}`,
      keywords: r.chance(0.5) ? [place, faction] : [place],
      content: `${place.charAt(0).toUpperCase()}${place.slice(1)} is held by ${faction}. ${r.pick([
        'Travellers pay a toll in salt or silver.',
        'Its gates close at dusk and open only for those who know the old password.',
        'Rumour says a relic lies beneath it, guarded by something older than the town.',
        'Its markets trade in maps that are wrong on purpose.',
        'The locals distrust anyone who arrives by the north road.',
      ])}`,
      priority: r.pick([0, 10, 50, 100]),
      enabled: r.chance(0.9),
      case_sensitive: false,
      regex_match: false,
      whole_word_match: true,
      metadata: { category: r.pick(['location', 'faction', 'history']) },
    };
  });
  const book = {
    id,
    name,
    description: `Places and factions of ${setting.name}.`,
    scan_depth: r.int(2, 6),
    token_budget: r.pick([400, 500, 800, 1200]),
    recursive_scanning: r.chance(0.3),
    enabled: true,
  };
  return parsed('world_book', {
    ...book,
    created_at: iso(created),
    updated_at: iso(updated),
    entries,
    world_book: book,
  });
}

function dictionaryContent(ctx: Context, index: number): ItemByType['dictionary'] {
  const r = rngFor(ctx, 'dictionary', index, 'content');
  const { created, updated } = datesFor(ctx, 'dictionary', index);
  const literal: [string, string][] = [
    ['brb', 'be right back'],
    ['imo', 'in my opinion'],
    ['afaik', 'as far as I know'],
    ['tbh', 'to be honest'],
    ['k8s', 'Kubernetes'],
    ['pg', 'PostgreSQL'],
    ['w/', 'with'],
    ['btw', 'by the way'],
  ];
  const regex: [string, string][] = [
    ['/\\bcolou?r\\b/i', 'colour'],
    ['/\\b(\\d+)\\s?km\\b/', '$1 kilometres'],
    ['/\\bgonna\\b/i', 'going to'],
    ['/\\s{2,}/', ' '],
  ];
  const entries = [
    ...r
      .sample(literal, r.int(3, literal.length))
      .map(([key, value]) => ({ key_pattern: key, replacement: value, type: 'literal' })),
    ...r
      .sample(regex, r.int(1, regex.length))
      .map(([key, value]) => ({ key_pattern: key, replacement: value, type: 'regex' })),
  ].map((entry, n) => ({
    id: `${seedItemId('dictionary', index)}-e${n + 1}`,
    ...entry,
    probability: r.pick([1, 1, 0.5, 0.25]),
    max_replacements: r.pick([0, 0, 1, 3]),
    group: r.pick(['chat', 'style', 'tech']),
    timed_effects: { sticky: 0, cooldown: 0, delay: 0 },
    enabled: r.chance(0.9),
    case_sensitive: false,
  }));
  return parsed('dictionary', {
    id: seedItemId('dictionary', index),
    name: `${r.pick(['Chat shorthand', 'House style', 'Tech abbreviations', 'Spelling fixes'])} ${index}`,
    description: 'Replacements applied to messages before they reach the model.',
    is_active: r.chance(0.8),
    created_at: iso(created),
    updated_at: iso(updated),
    entries,
  });
}

function promptContent(ctx: Context, index: number): ItemByType['prompt'] {
  const r = rngFor(ctx, 'prompt', index, 'content');
  const template = PROMPT_TEMPLATES[(index - 1) % PROMPT_TEMPLATES.length]!;
  const { created, updated } = datesFor(ctx, 'prompt', index);
  return parsed('prompt', {
    id: seedItemId('prompt', index),
    uuid: r.uuid(),
    name:
      index <= PROMPT_TEMPLATES.length
        ? template.name
        : `${template.name} v${Math.ceil(index / PROMPT_TEMPLATES.length)}`,
    author: r.pick(['me', 'seed', 'team']),
    details: template.details,
    system_prompt: template.system,
    user_prompt: template.user,
    prompt_format: 'legacy',
    keywords: [...template.keywords],
    created_at: iso(created),
    updated_at: iso(updated),
  });
}

/** Splits text into chunks of about `target` characters at sentence ends, with their offsets. */
function chunkText(text: string, target: number): { text: string; start: number; end: number }[] {
  const chunks: { text: string; start: number; end: number }[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + target);
    if (end < text.length) {
      const stop = text.indexOf('. ', end);
      end = stop === -1 ? text.length : stop + 1;
    }
    chunks.push({ text: text.slice(start, end), start, end });
    start = end;
    while (text[start] === ' ' || text[start] === '\n') start++;
  }
  return chunks;
}

function mediaContent(
  ctx: Context,
  index: number,
  files: readonly SeedFile[],
  stored: readonly StoredFileInfo[],
): ItemByType['media'] {
  const head = mediaHead(ctx, index);
  const r = rngFor(ctx, 'media', index, 'content');
  const { created, updated } = datesFor(ctx, 'media', index);
  const paragraphs: string[] = [];
  let length = 0;
  const wanted = r.int(1800, 6000);
  while (length < wanted) {
    const next = paragraph(r, head.topic, r.int(3, 6));
    paragraphs.push(next);
    length += next.length + 2;
  }
  const text = paragraphs.join('\n\n');
  const spoken = head.kind === 'video' || head.kind === 'audio';
  const checksums = new Map(stored.map((file) => [file.fileId, file.sha256]));
  return parsed('media', {
    id: head.id,
    uuid: head.uuid,
    title: head.title,
    type: head.kind,
    url: head.url,
    content: text,
    author: head.author,
    keywords: [head.topic.tag, ...r.sample(head.topic.keywords.slice(1), r.int(1, 3))],
    ingestion_date: iso(created),
    transcripts: spoken
      ? [
          {
            id: `${head.id}-t1`,
            media_id: head.id,
            transcription: text,
            whisper_model: r.pick(WHISPER_MODELS),
            language: 'en',
            created_at: iso(created),
          },
        ]
      : [],
    chunks: chunkText(text, 500).map((chunk, n) => ({
      id: `${head.id}-c${n + 1}`,
      text: chunk.text,
      start_char: chunk.start,
      end_char: chunk.end,
      chunk_type: spoken ? 'transcript' : 'text',
      metadata: { chunk_index: n, ...(head.kind === 'document' ? { page: Math.floor(n / 3) + 1 } : {}) },
    })),
    stored_artifacts: files.map((file, n) => ({
      id: file.fileId,
      uuid: rngFor(ctx, 'media', index, 'artifact', n).uuid(),
      file_type: n === 0 ? 'original' : 'thumbnail',
      original_filename: file.name,
      file_size: file.sizeBytes,
      mime_type: file.mimeType,
      checksum: checksums.get(file.fileId),
      created_at: iso(created),
      last_modified: iso(updated),
    })),
  });
}

const EMBEDDING_DIMENSIONS = [384, 512, 768, 1024, 1536];

function embeddingMediaIndex(ctx: Context, index: number): number {
  return Math.floor(((index - 1) * ctx.counts.media) / ctx.counts.embedding) + 1;
}

function embeddingContent(ctx: Context, index: number): ItemByType['embedding'] {
  const r = rngFor(ctx, 'embedding', index, 'content');
  const media = mediaHead(ctx, embeddingMediaIndex(ctx, index));
  const dimensions = r.pick(EMBEDDING_DIMENSIONS);
  const values = Array.from({ length: dimensions }, () => r.normal());
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return parsed('embedding', {
    id: `media:${media.id}`,
    source: { media_id: media.id, media_uuid: media.uuid },
    encoding: 'base64',
    vector: encodeBase64Vector(values.map((v) => v / norm)),
    model: 'text-embedding-3-small',
    dimensions,
  });
}

function generatedDocumentContent(ctx: Context, index: number): ItemByType['generated_document'] {
  const r = rngFor(ctx, 'generated_document', index, 'content');
  const conversationIndex = (((index - 1) * 7) % ctx.counts.conversation) + 1;
  const conversation = conversationHead(ctx, conversationIndex);
  const { created, updated } = datesFor(ctx, 'generated_document', index);
  const type = r.pick(DOCUMENT_TYPES);
  const { provider, model } = r.pick(MODELS);
  const topic = conversation.topic;
  const label = type.replace('_', ' ');
  const body = {
    summary: () =>
      `${paragraph(r, topic, 3)}\n\n${r
        .sample(topic.facts, 3)
        .map((f) => `- ${f}`)
        .join('\n')}`,
    timeline: () =>
      r
        .sample(topic.facts, 4)
        .map((f, n) => `${n + 1}. **Step ${n + 1}.** ${f}`)
        .join('\n'),
    study_guide: () =>
      r
        .sample(topic.questions, 3)
        .map((q) => `### ${q}\n\n${r.pick(topic.facts)}`)
        .join('\n\n'),
    briefing: () => `**Bottom line:** ${r.pick(topic.facts)}\n\n${paragraph(r, topic, 4)}`,
    faq: () =>
      r
        .sample(topic.questions, 3)
        .map((q) => `**Q: ${q}**\n\nA: ${r.pick(topic.facts)}`)
        .join('\n\n'),
    outline: () =>
      r
        .sample(topic.keywords, 3)
        .map((k) => `- ${k}\n  - ${r.pick(topic.facts)}`)
        .join('\n'),
  }[type]!();
  const content = `# ${label.charAt(0).toUpperCase()}${label.slice(1)}: ${conversation.name}\n\n${body}\n`;
  return parsed('generated_document', {
    id: seedItemId('generated_document', index),
    title: `${label.charAt(0).toUpperCase()}${label.slice(1)} of “${conversation.name}” (${index})`,
    document_type: type,
    content,
    provider,
    model,
    generation_time_ms: r.int(800, 45_000),
    token_count: Math.ceil(content.length / 4) + r.int(0, 40),
    conversation_id: conversation.id,
    metadata: { source: 'conversation', topic: topic.tag, temperature: r.pick([0, 0.3, 0.7]) },
    created_at: iso(created),
    updated_at: iso(updated),
  });
}

function evaluationContent(ctx: Context, index: number): ItemByType['evaluation'] {
  const r = rngFor(ctx, 'evaluation', index, 'content');
  const topic = topicFor(ctx, 'evaluation', index);
  const { created, updated } = datesFor(ctx, 'evaluation', index);
  const id = seedItemId('evaluation', index);
  const evalType = r.pick(EVAL_TYPES);
  const metric =
    {
      model_graded: 'score',
      exact_match: 'accuracy',
      rag_faithfulness: 'faithfulness',
      g_eval: 'coherence',
      pairwise: 'win_rate',
    }[evalType] ?? 'score';
  const runCount = ctx.size === 'small' ? r.int(20, 40) : r.int(20, 300);
  const quality = 0.55 + r.next() * 0.3;
  const step = (updated - created) / runCount;
  const runs = Array.from({ length: runCount }, (_, n) => {
    const clock = created + Math.floor(step * (n + r.next() * 0.4));
    const status = r.chance(0.88) ? 'completed' : r.chance(0.6) ? 'failed' : 'cancelled';
    const { provider, model } = r.pick(MODELS);
    const samples = r.pick([50, 100, 200]);
    const value = Math.min(1, Math.max(0, quality + r.normal() * 0.06 + n * 0.0005));
    const runId = `${id}-run-${String(n + 1).padStart(4, '0')}`;
    return {
      id: runId,
      run_id: runId,
      evaluation_id: id,
      status,
      config: {
        provider,
        model,
        temperature: r.pick([0, 0.2, 0.7]),
        max_tokens: r.pick([256, 512, 1024]),
        seed: r.int(1, 10_000),
      },
      ...(status === 'completed'
        ? {
            results: {
              metrics: {
                [metric]: Math.round(value * 1000) / 1000,
                latency_ms_p50: r.int(300, 4000),
                cost_usd: Math.round(r.next() * 300) / 100,
              },
              samples_evaluated: samples,
              passed: Math.round(samples * value),
            },
          }
        : status === 'failed'
          ? {
              error_message: r.pick([
                'Rate limited by provider after 3 retries',
                'Judge model returned malformed JSON',
                'Dataset row 17 has no reference answer',
              ]),
            }
          : {}),
      created_at: iso(clock),
      started_at: iso(clock + 2000),
      completed_at: status === 'cancelled' ? null : iso(clock + Math.floor(step * (0.05 + r.next() * 0.5))),
    };
  });
  return parsed('evaluation', {
    id,
    name: `${topic.title} — ${evalType.replace('_', ' ')} (${index})`,
    description: `Checks answers about ${topic.title.toLowerCase()} against reference answers.`,
    eval_type: evalType,
    eval_spec: {
      metric,
      threshold: Math.round((0.6 + r.next() * 0.3) * 100) / 100,
      judge_model: 'gpt-4o-mini',
      dataset: `${topic.tag}-qa-v${r.int(1, 4)}`,
    },
    dataset_id: `${topic.tag}-qa`,
    metadata: { owner: 'seed', suite: topic.tag },
    created_at: iso(created),
    updated_at: iso(updated),
    runs,
  });
}

// ---- items ----

function itemFor(ctx: Context, type: ContentType, index: number): SeedItem {
  const { created, updated } = datesFor(ctx, type, index);
  const base = { createdAt: iso(created), updatedAt: iso(updated), files: [] as SeedFile[] };
  switch (type) {
    case 'conversation': {
      const head = conversationHead(ctx, index);
      const files = conversationFiles(ctx, head, index);
      return {
        ...base,
        type,
        id: head.id,
        tags: [head.topic.tag],
        files,
        content: () => conversationContent(ctx, index, files),
      };
    }
    case 'media': {
      const head = mediaHead(ctx, index);
      const files = mediaFiles(ctx, head, index);
      return {
        ...base,
        type,
        id: head.id,
        files,
        content: (stored) => mediaContent(ctx, index, files, stored),
      };
    }
    case 'embedding': {
      const media = datesFor(ctx, 'media', embeddingMediaIndex(ctx, index));
      const at = iso(
        media.created + Math.floor((ctx.now - media.created) * rngFor(ctx, type, index, 'at').next() * 0.1),
      );
      return {
        ...base,
        type,
        id: `media:${seedItemId('media', embeddingMediaIndex(ctx, index))}`,
        createdAt: at,
        updatedAt: at,
        content: () => embeddingContent(ctx, index),
      };
    }
    case 'generated_document':
      return {
        ...base,
        type,
        id: seedItemId(type, index),
        content: () => generatedDocumentContent(ctx, index),
        tags: [conversationHead(ctx, (((index - 1) * 7) % ctx.counts.conversation) + 1).topic.tag],
      };
    case 'evaluation':
      return {
        ...base,
        type,
        id: seedItemId(type, index),
        tags: [topicFor(ctx, type, index).tag],
        content: () => evaluationContent(ctx, index),
      };
    case 'world_book':
      return {
        ...base,
        type,
        id: seedItemId(type, index),
        tags: ['worldbuilding'],
        content: () => worldBookContent(ctx, index),
      };
    case 'note':
      return { ...base, type, id: seedItemId(type, index), content: () => noteContent(ctx, index) };
    case 'character':
      return { ...base, type, id: seedItemId(type, index), content: () => characterContent(ctx, index) };
    case 'dictionary':
      return { ...base, type, id: seedItemId(type, index), content: () => dictionaryContent(ctx, index) };
    case 'prompt':
      return { ...base, type, id: seedItemId(type, index), content: () => promptContent(ctx, index) };
  }
}

function contextFor(size: SeedSize, options: SeedOptions): Context {
  const today = new Date();
  const now =
    options.now?.getTime() ?? Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return { seed: options.seed ?? DEFAULT_SEED, size, now, counts: SEED_COUNTS[size] };
}

/**
 * The seed's items, all types interleaved in proportion (so progress and concurrency stay even), each with its
 * files' names and sizes; content and bytes are made when asked for.
 */
export function* generateSeed(size: SeedSize, options: SeedOptions = {}): Generator<SeedItem> {
  const ctx = contextFor(size, options);
  const emitted = Object.fromEntries(CONTENT_TYPES.map((type) => [type, 0])) as Record<ContentType, number>;
  const total = CONTENT_TYPES.reduce((sum, type) => sum + ctx.counts[type], 0);
  for (let step = 0; step < total; step++) {
    let next: ContentType | undefined;
    let lowest = Infinity;
    for (const type of CONTENT_TYPES) {
      const count = ctx.counts[type];
      if (emitted[type] >= count) continue;
      const progress = emitted[type] / count;
      if (progress < lowest) {
        lowest = progress;
        next = type;
      }
    }
    const type = next!;
    emitted[type] += 1;
    yield itemFor(ctx, type, emitted[type]);
  }
}

export interface SeedPlan {
  counts: Record<ContentType, number>;
  items: number;
  files: number;
  fileBytes: number;
  /** Bytes of media items' files (their stored artifacts). */
  mediaBytes: number;
}

/** What a seed would write, from the specs alone (no content, no bytes). */
export function planSeed(size: SeedSize, options: SeedOptions = {}): SeedPlan {
  const plan: SeedPlan = {
    counts: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 0])) as Record<ContentType, number>,
    items: 0,
    files: 0,
    fileBytes: 0,
    mediaBytes: 0,
  };
  for (const item of generateSeed(size, options)) {
    plan.counts[item.type] += 1;
    plan.items += 1;
    for (const file of item.files) {
      plan.files += 1;
      plan.fileBytes += file.sizeBytes;
      if (item.type === 'media') plan.mediaBytes += file.sizeBytes;
    }
  }
  return plan;
}
