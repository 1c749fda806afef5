/**
 * Interoperability with other tools: what users bring (ChatGPT exports, Open WebUI chats, SillyTavern cards and
 * lorebooks) opened as chatbooks for the import engine, and what they take away (Open WebUI JSON, V2/V3 cards,
 * PNG cards). Pure: no AWS, sources come in as RandomAccessSource.
 */
export { openImportSource, classifyJson } from './open-import-source';
export type { ImportSource, OpenImportSourceOptions } from './open-import-source';
export {
  DEFAULT_INTEROP_LIMITS,
  SOURCE_FORMATS,
  SOURCE_FORMAT_NAMES,
  isSourceFormat,
  resolveImportLimits,
} from './source-format';
export type { ImportSourceLimits, InteropLimits, SourceFormat } from './source-format';
export type { ConversionFailure } from './virtual-archive';
export { conversationToOpenWebUI, conversationsToOpenWebUI } from './openwebui';
export type { OpenWebUIChat, OpenWebUIChatRow, OpenWebUIExportOptions, OpenWebUIMessage } from './openwebui';
export { characterToCardV2, characterToCardV3, characterToPng, cardItemIds } from './character-card';
export type { CharacterCardV2, CharacterCardV3, CardDataV2, CardDataV3 } from './character-card';
export { worldBookToLorebook } from './lorebook';
export type { SpecLorebook, SpecLorebookEntry } from './lorebook';
export { embedCardChunks, placeholderPng } from './png-card';
export { jsonDepth } from './json-document';
