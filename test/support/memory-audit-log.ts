// The AuditLog port in memory, with the DynamoDB adapter's keys, order, sanitizing and cursors, for unit tests.
import {
  auditSortKey,
  decodeAuditCursor,
  encodeAuditCursor,
  sanitizeAuditEvent,
  type AuditEvent,
  type AuditLog,
  type AuditPage,
  type AuditQuery,
} from '../../shared/audit/audit';

interface Stored {
  sortKey: string;
  event: AuditEvent;
}

export class MemoryAuditLog implements AuditLog {
  private readonly trails = new Map<string, Stored[]>();

  record(userId: string, event: AuditEvent): Promise<void> {
    return Promise.resolve().then(() => {
      const clean = sanitizeAuditEvent(event);
      const trail = this.trails.get(userId) ?? [];
      trail.push({ sortKey: auditSortKey(clean.at), event: structuredClone(clean) });
      this.trails.set(userId, trail);
    });
  }

  list(userId: string, query: AuditQuery): Promise<AuditPage> {
    // A bad cursor is a rejection (as from the adapter), even for an empty trail.
    return Promise.resolve().then(() => this.page(userId, query));
  }

  private page(userId: string, query: AuditQuery): AuditPage {
    const after = query.cursor === undefined ? undefined : decodeAuditCursor(query.cursor);
    const matching = [...(this.trails.get(userId) ?? [])]
      .sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0))
      .filter((stored) => after === undefined || stored.sortKey < after)
      .filter((stored) => query.action === undefined || stored.event.action === query.action);
    const page = matching.slice(0, query.limit);
    const last = page.at(-1);
    return {
      events: page.map((stored) => structuredClone(stored.event)),
      ...(matching.length > page.length && last ? { nextCursor: encodeAuditCursor(last.sortKey) } : {}),
    };
  }

  /** Every event of a user, newest first (for assertions). */
  all(userId: string): AuditEvent[] {
    return [...(this.trails.get(userId) ?? [])]
      .sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0))
      .map((stored) => structuredClone(stored.event));
  }
}
