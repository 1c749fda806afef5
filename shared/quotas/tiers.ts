/** What each tier may do. The tier comes from the verified token, never from the request. */
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
