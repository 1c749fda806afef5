/**
 * Quotas: how much a user may hold and run. Admission is atomic without transactions: each limit is one
 * conditional write on the user's quota item (a set of running jobs that grows only while smaller than the
 * limit, a day's counter that grows only while below it), so concurrent requests can never pass a limit.
 * A job's slot is freed when it ends (any terminal state); the cleanup repairs what a crash left behind.
 */
import { TooManyRequestsError } from '../errors';
import type { AuthContext, Tier } from '../http/auth';
import type { Clock, Job, JobKind, JobStore } from '../jobs/job';
import { logger } from '../observability/logger';
import type { QuotaOverrides, TierQuotas } from './tiers';

/** A running job's place in the user's concurrency set: `<kind>#<job id>`. */
export function jobSlot(kind: JobKind, jobId: string): string {
  return `${kind}#${jobId}`;
}

/** The UTC day a counter belongs to, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function nextUtcMidnight(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

/** One user's quota state as stored. */
export interface QuotaState {
  overrides: QuotaOverrides;
  /** Slots of the jobs that hold a concurrency place. */
  activeJobs: string[];
  storageBytes: number;
  /** Jobs started on the day read, by kind. */
  today: Record<JobKind, number>;
}

/** The quota port: every method is one conditional or idempotent write on the user's own items. */
export interface QuotaLedger {
  read(userId: string, day: string): Promise<QuotaState>;
  /** Adds `slot` while the user holds fewer than `limit` slots; false (and nothing written) when full. */
  claimSlot(userId: string, slot: string, limit: number): Promise<boolean>;
  /** Removes slots; removing a slot that is not there is not an error (a release may run twice). */
  releaseSlots(userId: string, slots: readonly string[]): Promise<void>;
  /** Counts one job of `kind` on `day` while fewer than `limit` (`null`: always); false when at the limit. */
  countJob(userId: string, day: string, kind: JobKind, limit: number | null): Promise<boolean>;
  uncountJob(userId: string, day: string, kind: JobKind): Promise<void>;
  addStorage(userId: string, deltaBytes: number): Promise<void>;
  /** The repair's correction: sets the bytes only while they are still `expected`; false otherwise. */
  setStorage(userId: string, bytes: number, expected: number): Promise<boolean>;
  setOverrides(userId: string, overrides: QuotaOverrides): Promise<void>;
  /** Makes sure the user has a quota item, so the cleanup finds them (an upload before any job). */
  touch(userId: string): Promise<void>;
  /** Users with a quota item, a page at a time (the cleanup walks them). */
  listUsers(limit: number, cursor?: string): Promise<{ userIds: string[]; cursor?: string }>;
}

export interface QuotaView {
  tier: Tier;
  limits: {
    storage_bytes: number | null;
    exports_per_day: number | null;
    imports_per_day: number | null;
    concurrent_jobs: number;
    max_file_bytes: number;
  };
  usage: {
    storage_bytes: number;
    exports_today: number;
    imports_today: number;
    active_jobs: number;
  };
  /** When the day's counters start again (UTC midnight). */
  day_resets_at: string;
}

const CONCURRENCY_RETRY_SECONDS = 30;
const PER_DAY: Record<JobKind, 'exportsPerDay' | 'importsPerDay'> = {
  export: 'exportsPerDay',
  import: 'importsPerDay',
};

function gigabytes(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

export interface QuotaDeps {
  ledger: QuotaLedger;
  jobs: Pick<JobStore, 'list'>;
  clock: Clock;
  tiers: Readonly<Record<Tier, TierQuotas>>;
}

export class QuotaService {
  constructor(private readonly deps: QuotaDeps) {}

  /** The largest file the caller may upload; the upload makes them known to the cleanup. */
  async beforeUpload(auth: AuthContext): Promise<number> {
    const [limits] = await Promise.all([this.limitsFor(auth), this.deps.ledger.touch(auth.userId)]);
    return limits.maxFileBytes;
  }

  async maxFileBytes(auth: AuthContext): Promise<number> {
    return (await this.limitsFor(auth)).maxFileBytes;
  }

  /** The caller's quotas: their tier's, with their own override laid over. */
  async limitsFor(auth: AuthContext): Promise<TierQuotas> {
    const state = await this.deps.ledger.read(auth.userId, utcDay(this.deps.clock.now()));
    return { ...this.deps.tiers[auth.tier], ...state.overrides };
  }

  /**
   * Admits a new job or refuses with a 429 that gives the limit, the use and when it frees up. On success the
   * job holds a concurrency slot and counts for today; `undo` gives both back if the job is never created.
   */
  async admit(auth: AuthContext, kind: JobKind, jobId: string): Promise<{ undo: () => Promise<void> }> {
    const { ledger, clock } = this.deps;
    const now = clock.now();
    const day = utcDay(now);
    const state = await ledger.read(auth.userId, day);
    const limits = { ...this.deps.tiers[auth.tier], ...state.overrides };
    if (kind === 'export' && limits.storageBytes !== null && state.storageBytes >= limits.storageBytes) {
      throw await this.storageFull(auth, limits.storageBytes, state.storageBytes);
    }
    const slot = jobSlot(kind, jobId);
    if (!(await ledger.claimSlot(auth.userId, slot, limits.concurrentJobs))) {
      const latest = await ledger.read(auth.userId, day);
      throw new TooManyRequestsError(
        'concurrent_jobs_exceeded',
        `You have ${latest.activeJobs.length} exports or imports pending or running; your ${auth.tier} plan runs ${limits.concurrentJobs} at once. Wait for one to finish or cancel one (GET /export/jobs, GET /import/jobs), then try again.`,
        CONCURRENCY_RETRY_SECONDS,
        {
          details: {
            quota: 'concurrent_jobs',
            tier: auth.tier,
            limit: limits.concurrentJobs,
            used: latest.activeJobs.length,
            frees_at: null,
          },
        },
      );
    }
    const perDay = limits[PER_DAY[kind]];
    if (!(await ledger.countJob(auth.userId, day, kind, perDay))) {
      await ledger.releaseSlots(auth.userId, [slot]);
      const resets = nextUtcMidnight(now);
      throw new TooManyRequestsError(
        'daily_quota_exceeded',
        `You have started ${perDay ?? 0} ${kind}s today (UTC), the most your ${auth.tier} plan allows a day. Try again after ${resets.toISOString()}, or upgrade your plan.`,
        Math.max(1, Math.ceil((resets.getTime() - now.getTime()) / 1000)),
        {
          details: {
            quota: `${kind}s_per_day`,
            tier: auth.tier,
            limit: perDay,
            used: Math.max(state.today[kind], perDay ?? 0),
            frees_at: resets.toISOString(),
          },
        },
      );
    }
    return {
      undo: async () => {
        await ledger.releaseSlots(auth.userId, [slot]);
        await ledger.uncountJob(auth.userId, day, kind);
      },
    };
  }

  /**
   * Admits the job `jobId`, then runs `create`, which creates it (and may run it). If `create` fails before the
   * job exists, the admission is given back; once the job exists, its end gives it back.
   */
  async runAdmitted<T>(
    auth: AuthContext,
    kind: JobKind,
    jobId: string,
    jobs: Pick<JobStore, 'get'>,
    create: () => Promise<T>,
  ): Promise<T> {
    const { undo } = await this.admit(auth, kind, jobId);
    try {
      return await create();
    } catch (error) {
      const created = await jobs.get({ userId: auth.userId, kind, jobId }).catch(() => undefined);
      if (!created) {
        // The cleanup's repair releases what this cannot.
        await undo().catch((undoError: unknown) => {
          logger.error('quota admission not given back', { jobId, error: undoError });
        });
      }
      throw error;
    }
  }

  private async storageFull(auth: AuthContext, limit: number, used: number): Promise<TooManyRequestsError> {
    const now = this.deps.clock.now();
    const { jobs } = await this.deps.jobs.list(auth.userId, 'export', { limit: 100, status: 'completed' });
    const expiries = jobs
      .map((job) => job.archive?.expiresAt)
      .filter((at): at is string => typeof at === 'string' && at > now.toISOString())
      .sort();
    const freesAt = expiries[0] ?? null;
    const when = freesAt ? ` Space frees up when your oldest export expires, at ${freesAt}.` : '';
    return new TooManyRequestsError(
      'storage_quota_exceeded',
      `Your exports hold ${gigabytes(used)} of the ${gigabytes(limit)} your ${auth.tier} plan allows. Download what you need and let older exports expire (or run POST /cleanup), then try again.${when}`,
      freesAt ? Math.max(1, Math.ceil((Date.parse(freesAt) - now.getTime()) / 1000)) : 3600,
      {
        details: { quota: 'storage', tier: auth.tier, limit, used, frees_at: freesAt },
      },
    );
  }

  /** GET /quota: the caller's limits and use. */
  async view(auth: AuthContext): Promise<QuotaView> {
    const now = this.deps.clock.now();
    const state = await this.deps.ledger.read(auth.userId, utcDay(now));
    const limits = { ...this.deps.tiers[auth.tier], ...state.overrides };
    return {
      tier: auth.tier,
      limits: {
        storage_bytes: limits.storageBytes,
        exports_per_day: limits.exportsPerDay,
        imports_per_day: limits.importsPerDay,
        concurrent_jobs: limits.concurrentJobs,
        max_file_bytes: limits.maxFileBytes,
      },
      usage: {
        storage_bytes: state.storageBytes,
        exports_today: state.today.export,
        imports_today: state.today.import,
        active_jobs: state.activeJobs.length,
      },
      day_resets_at: nextUtcMidnight(now).toISOString(),
    };
  }
}

/**
 * What a job's end gives back, called once per transition into a terminal state: its slot (any end); the
 * day's count when it failed (the user got nothing); an export's archive bytes are held from completed until
 * expired.
 */
export async function settleEndedJob(ledger: QuotaLedger, job: Job): Promise<void> {
  if (job.status === 'expired') {
    const size = job.archive?.sizeBytes ?? 0;
    if (size > 0) await ledger.addStorage(job.userId, -size);
    return;
  }
  await ledger.releaseSlots(job.userId, [jobSlot(job.kind, job.jobId)]);
  if (job.status === 'failed') await ledger.uncountJob(job.userId, utcDay(new Date(job.createdAt)), job.kind);
  if (job.status === 'completed' && job.kind === 'export') {
    const size = job.archive?.sizeBytes ?? 0;
    if (size > 0) await ledger.addStorage(job.userId, size);
  }
}
