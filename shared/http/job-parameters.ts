/** The query and path parameters every job route takes (export and import jobs alike). */
import { z } from 'zod';
import { JOB_STATUSES } from '../jobs/job';

export const jobListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(2048).optional(),
  status: z.enum(JOB_STATUSES, { error: `status must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
});

export const jobPathSchema = z.object({ job_id: z.string().min(1).max(200) });
