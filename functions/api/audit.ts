// GET /audit: the caller's own audit trail, newest first, paged, optionally of one action.
import { toAuditPageView } from '../../shared/audit/audit';
import { auditLogFromEnv } from '../../shared/audit/audit-from-env';
import { auditQuerySchema } from '../../shared/http/api-parameters';
import { httpRoute, json, parseParameters } from '../../shared/http/handler';

const audit = auditLogFromEnv();

export const handler = httpRoute({}, async ({ auth, query }) => {
  const { limit, cursor, action } = parseParameters(auditQuerySchema, query, 'query');
  return json(200, toAuditPageView(await audit.list(auth.userId, { limit, cursor, action })));
});
