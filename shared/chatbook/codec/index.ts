export { decodeItem, encodeItem, idFromItemPath, itemPathFor } from './item-codec';
export type { DecodeItemOptions, DecodeItemResult, EncodedItem } from './item-codec';
export { parseFrontMatter, renderFrontMatter } from './front-matter';
export type { FrontMatterReading } from './front-matter';
