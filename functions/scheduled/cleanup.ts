// The cleanup for every user, run by the EventBridge schedule (and by the local cloud's timer).
import { z } from 'zod';
import { cleanupFromEnv } from '../../shared/cleanup/cleanup-from-env';
import { runCleanup, type CleanupResult } from '../../shared/cleanup/sweep';
import { logger } from '../../shared/observability/logger';

/** The scheduled event's time is the run's clock, so a run (or a test's) is judged at the time it was due. */
const scheduledEvent = z.looseObject({ time: z.iso.datetime().optional() });

export const handler = async (event: unknown): Promise<CleanupResult> => {
  const parsed = scheduledEvent.safeParse(event);
  const time = parsed.success && parsed.data.time ? new Date(parsed.data.time) : undefined;
  const { deps, options } = cleanupFromEnv(time ? { now: () => time } : undefined);
  const result = await runCleanup(deps, { kind: 'all' }, options);
  logger.info('cleanup done', { ...result });
  return result;
};
