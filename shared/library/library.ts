/**
 * The user's library: content of the ten chatbook types, kept in the chatbook item shape (the normalized item
 * the format's schemas read), so an export encodes it as is and an import stores what it decodes.
 */
import type { ContentType } from '../chatbook/layout';
import type { ItemByType } from '../chatbook/schema/items';

/** A binary file that belongs to an item (a media item's stored artifact, a message's image), kept in S3. */
export interface LibraryFile {
  /** The file's id within its item: a media artifact's id, or a conversation attachment's name. */
  fileId: string;
  /** The name the user gave it (`talk.mp4`); its extension decides how the archive stores it. */
  name: string;
  mimeType: string;
  sizeBytes: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** The S3 key, under `users/<uid>/library/`. */
  key: string;
}

export interface LibraryItemSummary<T extends ContentType = ContentType> {
  userId: string;
  type: T;
  id: string;
  title: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  /** Incremented by every update; an update may require the version it read (optimistic concurrency). */
  version: number;
  /** The item's JSON plus its files. */
  sizeBytes: number;
  files: LibraryFile[];
  /** Where an imported item came from; absent for items created in the library. */
  provenance?: Provenance;
}

export interface Provenance {
  source_chatbook: string;
  export_id: string | null;
  original_id: string;
  import_job_id: string;
  imported_at: string;
}

export interface LibraryItem<T extends ContentType = ContentType> extends LibraryItemSummary<T> {
  content: ItemByType[T];
}

export interface LibraryQuery {
  limit: number;
  cursor?: string | undefined;
  /** Items carrying every one of these tags. */
  tags?: readonly string[] | undefined;
  /** Inclusive bounds on `updatedAt` (ISO 8601). */
  updatedSince?: string | undefined;
  updatedUntil?: string | undefined;
  /** Case-insensitive substring of the title. */
  titleContains?: string | undefined;
}

export interface LibraryPage<T extends ContentType = ContentType> {
  items: LibraryItemSummary<T>[];
  nextCursor?: string;
}

/** The library port. Every call is scoped to one user; the adapter builds every key from that user id. */
export interface LibraryStore {
  /** Newest update first. */
  list<T extends ContentType>(userId: string, type: T, query: LibraryQuery): Promise<LibraryPage<T>>;
  get<T extends ContentType>(userId: string, type: T, id: string): Promise<LibraryItem<T> | undefined>;
  /** The summaries (no content) of the items that exist among `ids`, in the order of `ids`. */
  getSummaries<T extends ContentType>(
    userId: string,
    type: T,
    ids: readonly string[],
  ): Promise<LibraryItemSummary<T>[]>;
  /** The items that exist among `ids`, in the order of `ids`. */
  getMany<T extends ContentType>(userId: string, type: T, ids: readonly string[]): Promise<LibraryItem<T>[]>;
  /**
   * Writes the item. `expect: 'absent'` creates only; a number replaces only the item at that version. Returns
   * false when the expectation does not hold.
   */
  put(item: LibraryItem, expect?: 'absent' | number): Promise<boolean>;
  /**
   * Writes new items many at a time, without conditions: only for ids that no one else writes (an import's own
   * ids, checked absent just before), where a rerun writes the same item again.
   */
  putNew(items: readonly LibraryItem[]): Promise<void>;
  /** Removes the item and its stored body and files; false when it did not exist. */
  delete(userId: string, type: ContentType, id: string): Promise<boolean>;
  /** Stores one file of an item (bytes in S3) and returns its record, to be listed in the item's `files`. */
  putFile(
    userId: string,
    type: ContentType,
    itemId: string,
    file: { fileId: string; name: string; mimeType: string; body: Buffer },
  ): Promise<LibraryFile>;
  /** The bytes of a stored file, streamed. */
  openFile(file: LibraryFile): Promise<AsyncIterable<Uint8Array>>;
}
