// GET /api/v1/chatbooks/health: public; reports whether storage, tables and workflows are ready.
import { awsHealthProbes } from '../../shared/aws/health-probes';
import { nonEmpty, readEnv } from '../../shared/config/env';
import { checkHealth } from '../../shared/health/health';
import { httpRoute, json } from '../../shared/http/handler';

const env = readEnv({
  BUCKET_NAME: nonEmpty,
  JOBS_TABLE: nonEmpty,
  LIBRARY_TABLE: nonEmpty,
  EXPORT_STATE_MACHINE_ARN: nonEmpty,
  IMPORT_STATE_MACHINE_ARN: nonEmpty,
});

const probes = awsHealthProbes({
  bucketName: env.BUCKET_NAME,
  tables: { jobs: env.JOBS_TABLE, library: env.LIBRARY_TABLE },
  stateMachines: { export: env.EXPORT_STATE_MACHINE_ARN, import: env.IMPORT_STATE_MACHINE_ARN },
});

export const handler = httpRoute({ auth: false }, async () => {
  const report = await checkHealth(probes);
  return json(report.status === 'ok' ? 200 : 503, { service: 'chatbooks', ...report });
});
