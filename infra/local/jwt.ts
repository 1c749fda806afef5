import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The local stand-in for the identity provider: its issuer and audience, as the JWT authorizer checks them. */
export const LOCAL_ISSUER = 'https://issuer.chatbooks.local';
export const LOCAL_AUDIENCE = 'chatbooks-local';

export interface LocalIssuer {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Loads the signing key from the data folder, creating it on first use, so tokens outlive a restart. */
export function loadIssuer(dataDir: string): LocalIssuer {
  const dir = join(dataDir, 'jwt');
  const file = join(dir, 'signing-key.pem');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(readFileSync(file));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export interface TokenOptions {
  userId: string;
  tier?: 'free' | 'premium' | 'enterprise';
  ttlSeconds?: number;
  now?: Date;
}

/** Signs an RS256 access token with the claims the Cognito authorizer path provides. */
export function issueToken(issuer: LocalIssuer, options: TokenOptions): string {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: 'local' };
  const claims = {
    iss: LOCAL_ISSUER,
    aud: LOCAL_AUDIENCE,
    sub: options.userId,
    iat: now,
    nbf: now,
    exp: now + (options.ttlSeconds ?? 12 * 3600),
    token_use: 'access',
    'custom:tier': options.tier ?? 'free',
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('RSA-SHA256', Buffer.from(signingInput), issuer.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

export type Claims = Record<string, string | number | boolean | string[]>;

/** Why a token was refused; the HTTP front turns it into a 401 a person can act on. */
export class TokenRejected extends Error {}

/**
 * Verifies a bearer token the way API Gateway's JWT authorizer does: RS256 signature, issuer, audience,
 * expiry and not-before (a little clock skew allowed).
 */
export function verifyToken(issuer: LocalIssuer, token: string, now = new Date()): Claims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenRejected('The token is not a JWT.');
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: unknown };
  let claims: Claims;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8')) as Claims;
  } catch {
    throw new TokenRejected('The token is not a JWT.');
  }
  if (header.alg !== 'RS256') throw new TokenRejected('The token must be signed with RS256.');
  const valid = verify(
    'RSA-SHA256',
    Buffer.from(`${headerPart}.${claimsPart}`),
    issuer.publicKey,
    Buffer.from(signaturePart, 'base64url'),
  );
  if (!valid) throw new TokenRejected('The token signature is invalid.');
  if (claims.iss !== LOCAL_ISSUER) throw new TokenRejected('The token was issued by another issuer.');
  const audiences = [claims.aud, claims.client_id].flat();
  if (!audiences.includes(LOCAL_AUDIENCE)) throw new TokenRejected('The token is for another audience.');
  const seconds = now.getTime() / 1000;
  const skew = 60;
  if (typeof claims.exp !== 'number' || claims.exp + skew < seconds)
    throw new TokenRejected('The token has expired.');
  if (typeof claims.nbf === 'number' && claims.nbf - skew > seconds)
    throw new TokenRejected('The token is not valid yet.');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0)
    throw new TokenRejected('The token has no subject.');
  return claims;
}
