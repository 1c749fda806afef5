/** What each tier may do. The tier comes from the verified token, never from the request. */
import type { ChatbookLimits } from '../chatbook/reader';
import type { Tier } from '../http/auth';

const MB = 1024 * 1024;

export interface TierLimits {
  /** Largest chatbook a user may upload, preview or import. */
  maxFileBytes: number;
}

export const TIER_LIMITS: Readonly<Record<Tier, TierLimits>> = {
  free: { maxFileBytes: 100 * MB },
  premium: { maxFileBytes: 500 * MB },
  enterprise: { maxFileBytes: 1024 * MB },
};

/** Manifests a tier may bring: tldw_server's own 10 MiB for free users; more (100,000-item chatbooks) above it. */
const MAX_MANIFEST_BYTES: Readonly<Record<Tier, number>> = {
  free: 10 * MB,
  premium: 32 * MB,
  enterprise: 64 * MB,
};

/** The validator's limits for a chatbook this tier uploads, previews or imports. */
export function chatbookLimitsFor(tier: Tier): Partial<ChatbookLimits> {
  const maxFileBytes = TIER_LIMITS[tier].maxFileBytes;
  return {
    maxArchiveBytes: maxFileBytes,
    // Media does not compress: an archive at the size cap must fit whole once inflated, and text twice over.
    maxUncompressedBytes: Math.max(500 * MB, 2 * maxFileBytes),
    maxManifestBytes: MAX_MANIFEST_BYTES[tier],
  };
}
