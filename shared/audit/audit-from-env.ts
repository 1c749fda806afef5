/** The audit log of a function, from its environment: JOBS_TABLE and AUDIT_RETENTION_DAYS (default 90). */
import { z } from 'zod';
import { documentClient } from '../aws/clients';
import { DynamoAuditLog } from '../aws/dynamo-audit-log';
import { nonEmpty, readEnv } from '../config/env';
import { systemClock } from '../jobs/job';
import { parseAuditRetentionDays, type AuditLog } from './audit';

export function auditLogFromEnv(env: NodeJS.ProcessEnv = process.env): AuditLog {
  const values = readEnv({ JOBS_TABLE: nonEmpty, AUDIT_RETENTION_DAYS: z.string().optional() }, env);
  return new DynamoAuditLog(
    documentClient(),
    values.JOBS_TABLE,
    parseAuditRetentionDays(values.AUDIT_RETENTION_DAYS),
    systemClock,
  );
}
