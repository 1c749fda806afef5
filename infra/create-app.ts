import { App, RemovalPolicy, Validations, type AppProps } from 'aws-cdk-lib';
import { parseAuditRetentionDays } from '../shared/audit/audit';
import { parseRateLimits } from '../shared/quotas/rate-limits';
import { parseTierQuotas } from '../shared/quotas/tiers';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatbooksStack } from './stack';

export const STACK_NAME = 'ChatbooksCloud';

export interface CreateAppOptions extends AppProps {
  /** Run cdk-nag's AwsSolutions checks at synth (on unless CDK_NAG=0). */
  nag?: boolean;
}

function contextString(app: App, name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The CDK app. Context: `jwtIssuer` and `jwtAudience` (comma separated) to bring your own identity provider;
 * `exportRetentionDays` (lifecycle), `exportExpiryHours` (download expiry), `logHashKey` (keys the user-id hashes in logs, at least 32 characters), `shareLinkSecret` (HMAC share links,
 * at least 32 characters); `rateLimitsPerMinute` (e.g. `export=5,preview=10`); `tierQuotas` (JSON over the tiers' defaults, e.g.
 * `{"free":{"concurrentJobs":3}}`); `auditRetentionDays` (how long
 * audit events are kept, default 90); `ephemeral=true` for a stack whose
 * data is destroyed with it.
 */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: ChatbooksStack } {
  const { nag = process.env.CDK_NAG !== '0', ...appProps } = options;
  const app = new App(appProps);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const issuer = contextString(app, 'jwtIssuer');
  const audience = contextString(app, 'jwtAudience');
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new Error(
      'Give both jwtIssuer and jwtAudience context values, or neither (to use a Cognito user pool).',
    );
  }
  const retention = contextString(app, 'exportRetentionDays');
  const expiryHours = contextString(app, 'exportExpiryHours');
  const shareLinkSecret = contextString(app, 'shareLinkSecret');
  const logHashKey = contextString(app, 'logHashKey');
  if (logHashKey !== undefined && logHashKey.length < 32) {
    throw new Error('logHashKey must be at least 32 characters: it keys the user ids in logs.');
  }
  const rateLimits = contextString(app, 'rateLimitsPerMinute');
  const tierQuotas = contextString(app, 'tierQuotas');
  // Checked here so a typo fails the synth, not the first request.
  if (rateLimits) parseRateLimits(rateLimits);
  if (tierQuotas) parseTierQuotas(tierQuotas);
  const auditRetention: unknown = app.node.tryGetContext('auditRetentionDays');
  const auditRetentionDays =
    typeof auditRetention === 'string' || typeof auditRetention === 'number'
      ? parseAuditRetentionDays(String(auditRetention))
      : undefined;
  const stack = new ChatbooksStack(app, STACK_NAME, {
    description: 'Chatbooks Cloud: export, preview and import chatbooks',
    ...(issuer && audience
      ? { identity: { issuer, audience: audience.split(',').map((a) => a.trim()) } }
      : {}),
    ...(retention ? { exportRetentionDays: Number(retention) } : {}),
    ...(expiryHours ? { exportExpiryHours: Number(expiryHours) } : {}),
    ...(shareLinkSecret ? { shareLinkSecret } : {}),
    ...(logHashKey ? { logHashKey } : {}),
    ...(rateLimits ? { rateLimitsPerMinute: rateLimits } : {}),
    ...(tierQuotas ? { tierQuotas } : {}),
    ...(auditRetentionDays ? { auditRetentionDays } : {}),
    ...(contextString(app, 'ephemeral') === 'true' ? { removalPolicy: RemovalPolicy.DESTROY } : {}),
  });
  return { app, stack };
}
