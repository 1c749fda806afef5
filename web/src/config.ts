/**
 * What the page reads from /config.json. The local cloud serves one that says it is local; a deployment writes
 * one beside the built files (the stack's WebConfig output). Kept free of DOM types: the build reads it too.
 */

/** An OAuth 2.0 authorization-code sign-in with PKCE (Cognito's hosted UI, or another OIDC provider). */
export interface OAuthConfig {
  /** The authorization endpoint, e.g. https://<domain>.auth.<region>.amazoncognito.com/oauth2/authorize. */
  authorize_url: string;
  token_url: string;
  /** Ends the provider's session too when signing out; optional. */
  logout_url?: string;
  client_id: string;
  scopes: string[];
  /** One of the client's callback URLs: the page's own address. */
  redirect_uri: string;
}

export interface WebConfig {
  /** `local`: the local cloud (offers a demo sign-in); `aws`: a deployment. */
  environment: 'local' | 'aws';
  /** Base URL of the API; empty for the page's own origin. */
  api_url: string;
  /** Local cloud only: POST {"user"} here mints a token (as `npm run token` does). */
  local_token_url?: string;
  /** The user the demo shortcut signs in as (the one `npm start` seeds). */
  demo_user?: string;
  oauth?: OAuthConfig;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new Error(`config.json: ${field} must be a string.`);
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : text(value, field);
}

function parseOAuth(value: unknown): OAuthConfig {
  if (typeof value !== 'object' || value === null) throw new Error('config.json: oauth must be an object.');
  const record = value as Record<string, unknown>;
  const scopes = record.scopes ?? ['openid'];
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
    throw new Error('config.json: oauth.scopes must be a list of strings.');
  }
  const logout = optionalText(record.logout_url, 'oauth.logout_url');
  return {
    authorize_url: text(record.authorize_url, 'oauth.authorize_url'),
    token_url: text(record.token_url, 'oauth.token_url'),
    ...(logout ? { logout_url: logout } : {}),
    client_id: text(record.client_id, 'oauth.client_id'),
    scopes,
    redirect_uri: text(record.redirect_uri, 'oauth.redirect_uri'),
  };
}

/** Checks what /config.json holds; a clear message for the operator when it is wrong. */
export function parseWebConfig(value: unknown): WebConfig {
  if (typeof value !== 'object' || value === null) throw new Error('config.json must hold a JSON object.');
  const record = value as Record<string, unknown>;
  const environment = record.environment;
  if (environment !== 'local' && environment !== 'aws') {
    throw new Error('config.json: environment must be "local" or "aws".');
  }
  const localTokenUrl = optionalText(record.local_token_url, 'local_token_url');
  const demoUser = optionalText(record.demo_user, 'demo_user');
  return {
    environment,
    api_url: (optionalText(record.api_url, 'api_url') ?? '').replace(/\/+$/, ''),
    ...(localTokenUrl ? { local_token_url: localTokenUrl } : {}),
    ...(demoUser ? { demo_user: demoUser } : {}),
    ...(record.oauth === undefined ? {} : { oauth: parseOAuth(record.oauth) }),
  };
}
