// tldw_server's rules for a chatbook, as ../shared/reference/tldw-chatbooks.md states them (sections 1.2, 1.3,
// 1.5, 1.6): layout and names, manifest fields and types, the v1.1 pre-validation. Returns every violation.
import { createHash } from 'node:crypto';
import type { ChatbookArchive } from '../../shared/chatbook/reader';

const CONTENT_TYPES = [
  'conversation',
  'note',
  'character',
  'media',
  'embedding',
  'prompt',
  'evaluation',
  'world_book',
  'dictionary',
  'generated_document',
];
const V1_TOP_LEVEL = [
  'version',
  'name',
  'description',
  'author',
  'created_at',
  'updated_at',
  'export_id',
  'content_items',
  'relationships',
  'configuration',
  'statistics',
  'metadata',
  'user_info',
];
const V1_1_ONLY = ['features_used', 'producer', 'source_instance', 'compatibility', 'file_inventory'];
const ITEM_KEYS = [
  'id',
  'type',
  'title',
  'description',
  'created_at',
  'updated_at',
  'tags',
  'metadata',
  'file_path',
  'checksum',
];
const STATISTICS = [
  'total_conversations',
  'total_notes',
  'total_characters',
  'total_media_items',
  'total_prompts',
  'total_evaluations',
  'total_embeddings',
  'total_world_books',
  'total_dictionaries',
  'total_documents',
  'total_size_bytes',
];
/** The file each type is written to (section 1.2). */
const FILE_PATTERNS: Record<string, RegExp> = {
  conversation: /^content\/conversations\/conversation_[^/]+\.json$/,
  note: /^content\/notes\/note_[^/]+\.md$/,
  character: /^content\/characters\/character_[^/]+\.json$/,
  world_book: /^content\/world_books\/world_book_[^/]+\.json$/,
  dictionary: /^content\/dictionaries\/dictionary_[^/]+\.json$/,
  prompt: /^content\/prompts\/prompt_[^/]+\.json$/,
  evaluation: /^content\/evaluations\/evaluation_[^/]+\.json$/,
  media: /^content\/media\/media_[^/]+\.json$/,
  embedding: /^content\/embeddings\/(embedding_media_[^/]+|collection_[^/]+|embedding_[^/]+)\.json$/,
  generated_document: /^content\/generated_documents\/document_[^/]+\.json$/,
};
const INVENTORIED_PAYLOADS = new Set([
  'note',
  'conversation',
  'character',
  'world_book',
  'dictionary',
  'generated_document',
]);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown) =>
  value === null || (typeof value === 'string' && !Number.isNaN(Date.parse(value)));
const safePath = (path: string) =>
  path !== '' &&
  !path.startsWith('/') &&
  !path.includes('\\') &&
  !path.split('/').some((p) => p === '..' || p === '.' || p === '');

export async function tldwProblems(archive: ChatbookArchive): Promise<string[]> {
  const problems: string[] = [];
  const manifest = archive.manifest as Json;
  const version = manifest.version;
  const entries = new Map(archive.entries.map((entry) => [entry.name, entry]));

  const manifestEntry = entries.get('manifest.json');
  if (!manifestEntry) problems.push('manifest.json missing');
  else if (manifestEntry.method !== 'stored') problems.push('manifest.json is not stored');
  if (!entries.has('README.md')) problems.push('README.md missing');

  for (const key of V1_TOP_LEVEL) if (!(key in manifest)) problems.push(`manifest lacks ${key}`);
  if (version === '1.0.0') {
    for (const key of V1_1_ONLY) if (key in manifest) problems.push(`1.0.0 manifest carries ${key}`);
  } else if (version === '1.1.0') {
    for (const key of ['features_used', 'file_inventory'])
      if (!Array.isArray(manifest[key])) problems.push(`1.1.0 manifest lacks the list ${key}`);
  } else {
    problems.push(`version ${String(version)} is not 1.0.0 or 1.1.0`);
  }
  if (typeof manifest.name !== 'string' || manifest.name === '')
    problems.push('name is not a non-empty string');
  if (typeof manifest.description !== 'string') problems.push('description is not a string');
  if (!(manifest.author === null || typeof manifest.author === 'string'))
    problems.push('author is not string|null');
  if (!isTime(manifest.created_at) || !isTime(manifest.updated_at))
    problems.push('created_at/updated_at not ISO');
  if (!Array.isArray(manifest.relationships)) problems.push('relationships is not a list');
  for (const relationship of Array.isArray(manifest.relationships) ? manifest.relationships : []) {
    if (!isObject(relationship)) problems.push('a relationship is not an object');
    else
      for (const key of ['source_id', 'target_id', 'relationship_type', 'metadata'])
        if (!(key in relationship)) problems.push(`a relationship lacks ${key}`);
  }
  const configuration = manifest.configuration;
  if (!isObject(configuration)) problems.push('configuration is not an object');
  else {
    for (const key of ['include_media', 'include_embeddings', 'include_generated_content'])
      if (typeof configuration[key] !== 'boolean') problems.push(`configuration.${key} is not a boolean`);
    if (!['thumbnail', 'compressed', 'original'].includes(String(configuration.media_quality)))
      problems.push('configuration.media_quality is not thumbnail|compressed|original');
    if (!Number.isInteger(configuration.max_file_size_mb))
      problems.push('configuration.max_file_size_mb not int');
  }
  const statistics = manifest.statistics;
  if (!isObject(statistics)) problems.push('statistics is not an object');
  else
    for (const key of STATISTICS)
      if (!Number.isInteger(statistics[key]) || (statistics[key] as number) < 0)
        problems.push(`statistics.${key} is not an int >= 0`);
  const metadata = manifest.metadata;
  if (!isObject(metadata)) problems.push('metadata is not an object');
  else {
    if (!Array.isArray(metadata.tags) || !Array.isArray(metadata.categories))
      problems.push('metadata.tags/categories are not lists');
    if (typeof metadata.language !== 'string') problems.push('metadata.language is not a string');
    if (!(metadata.license === null || typeof metadata.license === 'string'))
      problems.push('metadata.license');
  }
  const userInfo = manifest.user_info;
  if (!(userInfo === null || (isObject(userInfo) && /^[0-9a-f]{16}$/.test(String(userInfo.user_id)))))
    problems.push('user_info is not null or {user_id: 16 hex}');

  const inventory = new Map<string, Json>();
  if (version === '1.1.0') {
    for (const record of manifest.file_inventory as unknown[]) {
      if (!isObject(record) || typeof record.path !== 'string') {
        problems.push('an inventory entry has no path');
        continue;
      }
      inventory.set(record.path, record);
      const integrity = record.integrity;
      const value = isObject(integrity) ? integrity.value : undefined;
      if (!safePath(record.path)) problems.push(`inventory path unsafe: ${record.path}`);
      else if (!entries.has(record.path)) problems.push(`inventory names a missing file: ${record.path}`);
      else if (typeof value !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(value))
        problems.push(`inventory integrity is not sha256:<hex> for ${record.path}`);
      else {
        const digest = createHash('sha256')
          .update(await archive.readEntry(record.path))
          .digest('hex');
        if (value !== `sha256:${digest}`)
          problems.push(`Checksum validation failed for ${record.path}: hash mismatch`);
        if (record.size_bytes !== entries.get(record.path)?.uncompressedSize)
          problems.push(`inventory size wrong for ${record.path}`);
      }
    }
    if (inventory.has('manifest.json')) problems.push('inventory lists manifest.json');
  }

  const items = Array.isArray(manifest.content_items) ? manifest.content_items : [];
  for (const item of items) {
    if (!isObject(item)) {
      problems.push('a content item is not an object');
      continue;
    }
    for (const key of ITEM_KEYS)
      if (!(key in item)) problems.push(`content item ${String(item.id)} lacks ${key}`);
    const type = String(item.type);
    if (!CONTENT_TYPES.includes(type)) problems.push(`content item type ${type} unknown`);
    if (typeof item.id !== 'string' || typeof item.title !== 'string') problems.push('content item id/title');
    if (!Array.isArray(item.tags) || !isObject(item.metadata))
      problems.push(`content item ${String(item.id)} tags/metadata`);
    if (!isTime(item.created_at) || !isTime(item.updated_at))
      problems.push(`content item ${String(item.id)} times`);
    const path = item.file_path;
    if (typeof path !== 'string') {
      problems.push(`content item ${String(item.id)} has no file_path`);
      continue;
    }
    if (!safePath(path) || !entries.has(path)) problems.push(`file_path points at nothing: ${path}`);
    if (!FILE_PATTERNS[type]?.test(path)) problems.push(`file_path ${path} is not tldw's name for a ${type}`);
    if (version === '1.1.0' && INVENTORIED_PAYLOADS.has(type) && !inventory.has(path))
      problems.push(`missing inventory entry for ${path}`);
    if (type === 'conversation' && entries.has(path)) {
      const conversation = JSON.parse((await archive.readEntry(path)).toString('utf8')) as Json;
      for (const message of (conversation.messages as Json[] | undefined) ?? []) {
        for (const attachment of (message.attachments as Json[] | undefined) ?? []) {
          const file = attachment.file_path;
          if (typeof file !== 'string') continue;
          if (
            !file.startsWith(`content/conversations/conversation_${String(item.id)}_assets/`) ||
            !entries.has(file)
          )
            problems.push(`attachment ${file} is not bundled in the conversation's assets`);
          if (version === '1.1.0' && !inventory.has(file))
            problems.push(`attachment ${file} not inventoried`);
        }
      }
    }
    if (type === 'media' && entries.has(path)) {
      const media = JSON.parse((await archive.readEntry(path)).toString('utf8')) as Json;
      for (const artifact of (media.stored_artifacts as Json[] | undefined) ?? []) {
        if (artifact.bundled !== true) continue;
        const file = String(artifact.archive_path);
        if (
          !new RegExp(`^content/media/files/media_${String(item.id)}/file_[^/]+$`).test(file) ||
          !entries.has(file)
        )
          problems.push(`media artifact ${file} is not bundled where tldw looks`);
      }
    }
  }
  return problems;
}
