/**
 * The chatbook ZIP layout shared with tldw_server: content types, where each item's file lives, and which
 * files are already compressed. Writer, reader, validator and converters all take these from here.
 */
export const CONTENT_TYPES = [
  'conversation',
  'note',
  'character',
  'world_book',
  'dictionary',
  'prompt',
  'media',
  'embedding',
  'generated_document',
  'evaluation',
] as const;

export type ContentType = (typeof CONTENT_TYPES)[number];

export function isContentType(value: unknown): value is ContentType {
  return typeof value === 'string' && (CONTENT_TYPES as readonly string[]).includes(value);
}

export const MANIFEST_PATH = 'manifest.json';
export const README_PATH = 'README.md';

/** Folder under `content/` for each type (tldw's names). */
export const CONTENT_FOLDERS: Readonly<Record<ContentType, string>> = {
  conversation: 'content/conversations',
  note: 'content/notes',
  character: 'content/characters',
  world_book: 'content/world_books',
  dictionary: 'content/dictionaries',
  prompt: 'content/prompts',
  media: 'content/media',
  embedding: 'content/embeddings',
  generated_document: 'content/generated_documents',
  evaluation: 'content/evaluations',
};

/** The path tldw writes for an item, and the fallback its importer uses when a manifest item has no file_path. */
export function itemFilePath(type: ContentType, id: string): string {
  const folder = CONTENT_FOLDERS[type];
  switch (type) {
    case 'note':
      return `${folder}/note_${id}.md`;
    case 'generated_document':
      return `${folder}/document_${id}.json`;
    default:
      return `${folder}/${type}_${id}.json`;
  }
}

/** Where a media item's stored file is bundled (tldw: content/media/files/media_<media_id>/file_<file_id><suffix>). */
export function mediaFilePath(mediaId: string, fileId: string, suffix: string): string {
  return `${CONTENT_FOLDERS.media}/files/media_${mediaId}/file_${fileId}${suffix}`;
}

/** Where a conversation's message attachment is bundled. */
export function conversationAssetPath(conversationId: string, fileName: string): string {
  return `${CONTENT_FOLDERS.conversation}/conversation_${conversationId}_assets/${fileName}`;
}

/** Where a character's own files (its avatar) sit, beside its item file, as a conversation keeps its attachments. */
export function characterAssetPath(characterId: string, fileName: string): string {
  return `${CONTENT_FOLDERS.character}/character_${characterId}_assets/${fileName}`;
}

/** Extensions whose content is already compressed: stored, not deflated, in the archive. */
export const STORED_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg',
  'jpeg',
  'png',
  'gif',
  'webp',
  'avif',
  'heic',
  'mp4',
  'm4a',
  'm4v',
  'mov',
  'webm',
  'mkv',
  'mp3',
  'ogg',
  'opus',
  'aac',
  'flac',
  'zip',
  'gz',
  'tgz',
  'bz2',
  'xz',
  'zst',
  '7z',
  'rar',
  'pdf',
  'docx',
  'xlsx',
  'pptx',
  'epub',
]);

export function isAlreadyCompressed(path: string): boolean {
  const dot = path.lastIndexOf('.');
  return dot >= 0 && STORED_EXTENSIONS.has(path.slice(dot + 1).toLowerCase());
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  json: 'application/json',
  md: 'text/markdown',
  markdown: 'text/markdown',
  txt: 'text/plain',
  html: 'text/html',
  csv: 'text/csv',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  pdf: 'application/pdf',
  zip: 'application/zip',
  bin: 'application/octet-stream',
};

/** A file's media type from its extension, as tldw's inventory records it. */
export function mediaTypeOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return (dot >= 0 && MEDIA_TYPES[path.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}
