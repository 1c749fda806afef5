// The QuotaLedger port in memory, with the DynamoDB adapter's conditional semantics, for unit tests.
import type { JobKind } from '../../shared/jobs/job';
import type { QuotaLedger, QuotaState } from '../../shared/quotas/quotas';
import type { QuotaOverrides } from '../../shared/quotas/tiers';

interface UserQuota {
  slots: Set<string>;
  storageBytes: number;
  overrides: QuotaOverrides;
}

export class MemoryQuotaLedger implements QuotaLedger {
  readonly users = new Map<string, UserQuota>();
  readonly days = new Map<string, number>();

  private user(userId: string): UserQuota {
    let quota = this.users.get(userId);
    if (!quota) {
      quota = { slots: new Set(), storageBytes: 0, overrides: {} };
      this.users.set(userId, quota);
    }
    return quota;
  }

  read(userId: string, day: string): Promise<QuotaState> {
    const quota = this.users.get(userId);
    return Promise.resolve({
      overrides: { ...quota?.overrides },
      activeJobs: [...(quota?.slots ?? [])],
      storageBytes: quota?.storageBytes ?? 0,
      today: {
        export: this.days.get(`${userId}/${day}/export`) ?? 0,
        import: this.days.get(`${userId}/${day}/import`) ?? 0,
      },
    });
  }

  claimSlot(userId: string, slot: string, limit: number): Promise<boolean> {
    const quota = this.user(userId);
    if (quota.slots.size >= limit && !quota.slots.has(slot)) return Promise.resolve(false);
    quota.slots.add(slot);
    return Promise.resolve(true);
  }

  releaseSlots(userId: string, slots: readonly string[]): Promise<void> {
    for (const slot of slots) this.users.get(userId)?.slots.delete(slot);
    return Promise.resolve();
  }

  countJob(userId: string, day: string, kind: JobKind, limit: number | null): Promise<boolean> {
    const key = `${userId}/${day}/${kind}`;
    const count = this.days.get(key) ?? 0;
    if (limit !== null && count >= limit) return Promise.resolve(false);
    this.days.set(key, count + 1);
    return Promise.resolve(true);
  }

  uncountJob(userId: string, day: string, kind: JobKind): Promise<void> {
    const key = `${userId}/${day}/${kind}`;
    const count = this.days.get(key) ?? 0;
    if (count > 0) this.days.set(key, count - 1);
    return Promise.resolve();
  }

  addStorage(userId: string, deltaBytes: number): Promise<void> {
    this.user(userId).storageBytes += deltaBytes;
    return Promise.resolve();
  }

  setStorage(userId: string, bytes: number, expected: number): Promise<boolean> {
    const quota = this.user(userId);
    if (quota.storageBytes !== expected) return Promise.resolve(false);
    quota.storageBytes = bytes;
    return Promise.resolve(true);
  }

  setOverrides(userId: string, overrides: QuotaOverrides): Promise<void> {
    this.user(userId).overrides = { ...overrides };
    return Promise.resolve();
  }

  touch(userId: string): Promise<void> {
    this.user(userId);
    return Promise.resolve();
  }

  listUsers(): Promise<{ userIds: string[] }> {
    return Promise.resolve({ userIds: [...this.users.keys()].sort() });
  }
}
