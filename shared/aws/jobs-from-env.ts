/**
 * The jobs table as every function uses it: the job store, wrapped so that each job's end gives back its quota
 * (and is audited and counted), the quota ledger beside it, and the quota use case over both.
 */
import { z } from 'zod';
import { readEnv, nonEmpty } from '../config/env';
import { auditJobEnded } from '../audit/audit';
import { auditLogFromEnv } from '../audit/audit-from-env';
import { JobEndNotifier } from '../jobs/job-ended';
import { recordJobEndedMetrics } from '../observability/metrics';
import { systemClock, type JobStore } from '../jobs/job';
import { QuotaService, settleEndedJob } from '../quotas/quotas';
import { parseTierQuotas } from '../quotas/tiers';
import { documentClient } from './clients';
import { DynamoJobStore } from './dynamo-job-store';
import { DynamoQuotaLedger } from './dynamo-quota-ledger';

export interface JobsTable {
  /** Jobs, with the job-ended listeners: use it for every transition. */
  jobs: JobStore;
  /** The raw store, for the cleanup's cross-user indexes. */
  store: DynamoJobStore;
  ledger: DynamoQuotaLedger;
}

let table: JobsTable | undefined;

export function jobsTableFromEnv(): JobsTable {
  if (!table) {
    const env = readEnv({ JOBS_TABLE: nonEmpty });
    const store = new DynamoJobStore(documentClient(), env.JOBS_TABLE);
    const ledger = new DynamoQuotaLedger(documentClient(), env.JOBS_TABLE);
    const audit = auditLogFromEnv();
    const jobs = new JobEndNotifier(store, [
      (job) => settleEndedJob(ledger, job),
      (job) => auditJobEnded(audit, job),
      recordJobEndedMetrics,
    ]);
    table = { jobs, store, ledger };
  }
  return table;
}

/** The quota use case: tiers from TIER_QUOTAS (JSON over the defaults), overrides from the ledger. */
export function quotaServiceFromEnv(): QuotaService {
  const env = readEnv({ TIER_QUOTAS: z.string().optional() });
  const { jobs, ledger } = jobsTableFromEnv();
  return new QuotaService({ ledger, jobs, clock: systemClock, tiers: parseTierQuotas(env.TIER_QUOTAS) });
}
