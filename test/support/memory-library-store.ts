// The LibraryStore port in memory, for unit tests of planning and archive building.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContentType } from '../../shared/chatbook/layout';
import type {
  LibraryFile,
  LibraryItem,
  LibraryItemSummary,
  LibraryPage,
  LibraryQuery,
  LibraryStore,
} from '../../shared/library/library';

export class MemoryLibraryStore implements LibraryStore {
  readonly items = new Map<string, LibraryItem>();
  readonly blobs = new Map<string, Buffer>();

  private key(userId: string, type: string, id: string): string {
    return `${userId}/${type}/${id}`;
  }

  private summary<T extends ContentType>(item: LibraryItem): LibraryItemSummary<T> {
    const { content: _content, ...summary } = item;
    return structuredClone(summary) as LibraryItemSummary<T>;
  }

  list<T extends ContentType>(userId: string, type: T, query: LibraryQuery): Promise<LibraryPage<T>> {
    const all = [...this.items.values()]
      .filter((item) => item.userId === userId && item.type === type)
      .filter((item) => !query.tags?.some((tag) => !item.tags.includes(tag)))
      .filter((item) => !query.updatedSince || item.updatedAt >= query.updatedSince)
      .filter((item) => !query.updatedUntil || item.updatedAt <= query.updatedUntil)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id));
    const start = query.cursor ? Number(query.cursor) : 0;
    const page = all.slice(start, start + query.limit).map((item) => this.summary<T>(item));
    const next = start + query.limit;
    return Promise.resolve(next < all.length ? { items: page, nextCursor: String(next) } : { items: page });
  }

  get<T extends ContentType>(userId: string, type: T, id: string): Promise<LibraryItem<T> | undefined> {
    const item = this.items.get(this.key(userId, type, id));
    return Promise.resolve(item && (structuredClone(item) as LibraryItem<T>));
  }

  getSummaries<T extends ContentType>(userId: string, type: T, ids: readonly string[]) {
    return Promise.resolve(
      [...new Set(ids)].flatMap((id) => {
        const item = this.items.get(this.key(userId, type, id));
        return item ? [this.summary<T>(item)] : [];
      }),
    );
  }

  getMany<T extends ContentType>(userId: string, type: T, ids: readonly string[]) {
    return Promise.resolve(
      [...new Set(ids)].flatMap((id) => {
        const item = this.items.get(this.key(userId, type, id));
        return item ? [structuredClone(item) as LibraryItem<T>] : [];
      }),
    );
  }

  put(item: LibraryItem, expect?: 'absent' | number): Promise<boolean> {
    const key = this.key(item.userId, item.type, item.id);
    const current = this.items.get(key);
    if (expect === 'absent' && current) return Promise.resolve(false);
    if (typeof expect === 'number' && current?.version !== expect) return Promise.resolve(false);
    const sizeBytes =
      Buffer.byteLength(JSON.stringify(item.content)) +
      item.files.reduce((sum, file) => sum + file.sizeBytes, 0);
    this.items.set(key, structuredClone({ ...item, sizeBytes }));
    return Promise.resolve(true);
  }

  async putNew(items: readonly LibraryItem[]): Promise<void> {
    for (const item of items) await this.put(item);
  }

  delete(userId: string, type: ContentType, id: string): Promise<boolean> {
    return Promise.resolve(this.items.delete(this.key(userId, type, id)));
  }

  putFile(
    userId: string,
    type: ContentType,
    itemId: string,
    file: { fileId: string; name: string; mimeType: string; body: Buffer },
  ): Promise<LibraryFile> {
    const key = `users/${userId}/library/${type}/${itemId}/files/${file.fileId}`;
    this.blobs.set(key, file.body);
    return Promise.resolve({
      fileId: file.fileId,
      name: file.name,
      mimeType: file.mimeType,
      sizeBytes: file.body.length,
      sha256: createHash('sha256').update(file.body).digest('hex'),
      key,
    });
  }

  openFile(file: LibraryFile): Promise<AsyncIterable<Uint8Array>> {
    const body = this.blobs.get(file.key);
    if (!body) return Promise.reject(new Error(`no file ${file.key}`));
    return Promise.resolve(Readable.from([body]));
  }
}
