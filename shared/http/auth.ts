import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { z } from 'zod';
import { UnauthenticatedError } from '../errors';

export const TIERS = ['free', 'premium', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/** Who is calling, from the token the authorizer verified; never from the request body. */
export interface AuthContext {
  userId: string;
  tier: Tier;
}

// User ids go into DynamoDB keys and S3 prefixes: a conservative alphabet keeps them inert there.
const userIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/);

/** The claim that carries the tier: Cognito custom attributes are prefixed; other issuers may use `tier`. */
export const TIER_CLAIMS = ['custom:tier', 'tier'] as const;

export function authContextOf(
  event: Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'>,
): AuthContext {
  const claims = (event.requestContext as Partial<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']>)
    .authorizer?.jwt.claims;
  const subject = claims?.sub;
  const parsed = userIdSchema.safeParse(typeof subject === 'string' ? subject : undefined);
  if (!parsed.success) {
    throw new UnauthenticatedError(
      'unauthorized',
      'This route needs a valid bearer token whose subject is a user id. Send "Authorization: Bearer <token>".',
    );
  }
  const tierClaim = TIER_CLAIMS.map((name) => claims?.[name]).find((value) => typeof value === 'string');
  const tier = (TIERS as readonly unknown[]).includes(tierClaim) ? (tierClaim as Tier) : 'free';
  return { userId: parsed.data, tier };
}
