/**
 * What each tier may do. The tier comes from the verified token, never from the request; an operator can
 * change a tier's numbers (`TIER_QUOTAS`) and give one user other numbers (an override in the jobs table).
 */
import { z } from 'zod';
import type { ChatbookLimits } from '../chatbook/reader';
import { TIERS, type Tier } from '../http/auth';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** A tier's quotas; `null` is unlimited. */
export interface TierQuotas {
  /** Bytes of chatbooks (finished exports not yet expired) a user may hold. */
  storageBytes: number | null;
  exportsPerDay: number | null;
  importsPerDay: number | null;
  /** Exports and imports pending or running at once. */
  concurrentJobs: number;
  /** Largest chatbook a user may upload, preview or import. */
  maxFileBytes: number;
}

export const DEFAULT_TIER_QUOTAS: Readonly<Record<Tier, TierQuotas>> = {
  free: { storageBytes: GB, exportsPerDay: 10, importsPerDay: 10, concurrentJobs: 2, maxFileBytes: 100 * MB },
  premium: {
    storageBytes: 5 * GB,
    exportsPerDay: 50,
    importsPerDay: 50,
    concurrentJobs: 5,
    maxFileBytes: 500 * MB,
  },
  enterprise: {
    storageBytes: null,
    exportsPerDay: null,
    importsPerDay: null,
    concurrentJobs: 10,
    maxFileBytes: GB,
  },
};

const count = z.number().int().min(0);
/** Any subset of a tier's quotas: what a `TIER_QUOTAS` entry or a per-user override may set. */
export const quotaOverridesSchema = z
  .object({
    storageBytes: count.nullable(),
    exportsPerDay: count.nullable(),
    importsPerDay: count.nullable(),
    concurrentJobs: z.number().int().min(1),
    maxFileBytes: z.number().int().min(1),
  })
  .partial()
  .strict();
export type QuotaOverrides = z.infer<typeof quotaOverridesSchema>;

const tierQuotasConfigSchema = z.partialRecord(z.enum(TIERS), quotaOverridesSchema);

/**
 * The tiers' quotas: the defaults with `config` (JSON such as `{"free":{"concurrentJobs":3}}`) laid over them.
 * A bad value throws, so the synth or the function's start fails rather than a request.
 */
export function parseTierQuotas(config: string | undefined): Record<Tier, TierQuotas> {
  const result = { ...DEFAULT_TIER_QUOTAS };
  if (!config) return result;
  let raw: unknown;
  try {
    raw = JSON.parse(config);
  } catch {
    throw new Error('Tier quotas must be JSON, e.g. {"free":{"concurrentJobs":3,"exportsPerDay":20}}.');
  }
  const parsed = tierQuotasConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`Tier quotas are invalid: ${z.prettifyError(parsed.error)}`);
  for (const tier of TIERS) result[tier] = { ...result[tier], ...parsed.data[tier] };
  return result;
}

/** Manifests a tier may bring: tldw_server's own 10 MiB for free users; more (100,000-item chatbooks) above it. */
const MAX_MANIFEST_BYTES: Readonly<Record<Tier, number>> = {
  free: 10 * MB,
  premium: 32 * MB,
  enterprise: 64 * MB,
};

/** The validator's limits for a chatbook this tier uploads, previews or imports, up to `maxFileBytes`. */
export function chatbookLimitsFor(
  tier: Tier,
  maxFileBytes = DEFAULT_TIER_QUOTAS[tier].maxFileBytes,
): Partial<ChatbookLimits> {
  return {
    maxArchiveBytes: maxFileBytes,
    // Media does not compress: an archive at the size cap must fit whole once inflated, and text twice over.
    maxUncompressedBytes: Math.max(500 * MB, 2 * maxFileBytes),
    maxManifestBytes: MAX_MANIFEST_BYTES[tier],
  };
}
