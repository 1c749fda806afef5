/**
 * Who is signed in. Locally a pasted token or the demo shortcut (the local cloud mints it); in AWS the OAuth 2.0
 * authorization-code flow with PKCE against the hosted sign-in page. The token lives in sessionStorage: it goes
 * with the tab, and the page never writes it anywhere else.
 */
import { errorFrom, networkError } from './api';
import type { OAuthConfig, WebConfig } from './config';

export interface Session {
  token: string;
  /** Who the token names, for display (the email when the token carries one). */
  user: string;
  /** Milliseconds since the epoch; undefined when the token does not say. */
  expiresAt?: number;
  via: 'token' | 'demo' | 'oauth';
}

const SESSION_KEY = 'chatbooks.session';
const PENDING_KEY = 'chatbooks.oauth';

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The claims of a JWT, read for display and expiry only: the API verifies the signature. */
export function claimsOf(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function sessionFor(token: string, via: Session['via']): Session {
  const claims = claimsOf(token) ?? {};
  const user =
    typeof claims.email === 'string'
      ? claims.email
      : typeof claims.sub === 'string'
        ? claims.sub
        : 'signed-in user';
  return {
    token,
    user,
    ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp * 1000 } : {}),
    via,
  };
}

export function loadSession(): Session | undefined {
  const stored = sessionStorage.getItem(SESSION_KEY);
  if (!stored) return undefined;
  try {
    const session = JSON.parse(stored) as Session;
    if (session.expiresAt !== undefined && session.expiresAt <= Date.now()) {
      sessionStorage.removeItem(SESSION_KEY);
      return undefined;
    }
    return session;
  } catch {
    sessionStorage.removeItem(SESSION_KEY);
    return undefined;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

/** The local cloud's demo shortcut: a token for its seeded demo user. */
export async function demoToken(config: WebConfig): Promise<string> {
  if (!config.local_token_url) throw new Error('This service has no demo sign-in.');
  let response: Response;
  try {
    response = await fetch(config.local_token_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: config.demo_user ?? 'demo' }),
    });
  } catch {
    throw networkError('The demo sign-in');
  }
  if (!response.ok) throw await errorFrom(response);
  const { token } = (await response.json()) as { token: string };
  return token;
}

/** Sends the browser to the hosted sign-in page, keeping the PKCE verifier and state for the way back. */
export async function beginOAuthSignIn(oauth: OAuthConfig): Promise<void> {
  const verifier = randomText(48);
  const state = randomText(16);
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(oauth.authorize_url);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oauth.client_id,
    redirect_uri: oauth.redirect_uri,
    scope: oauth.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/**
 * On the way back from the hosted sign-in (`?code=&state=`), exchanges the code for tokens. Returns undefined
 * when the address carries no sign-in answer. The ID token is what the page sends: it carries the user's tier
 * (`custom:tier`), which Cognito's access tokens leave out, and the API's authorizer accepts it (aud = client).
 */
export async function completeOAuthSignIn(oauth: OAuthConfig): Promise<Session | undefined> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return undefined;
  // Take the answer out of the address bar (and history) whatever happens next.
  window.history.replaceState(null, '', window.location.pathname + window.location.hash);
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (error) {
    throw new Error(`Sign-in was refused: ${params.get('error_description') ?? error}. Try again.`);
  }
  const expected = pending ? (JSON.parse(pending) as { verifier: string; state: string }) : undefined;
  if (!expected || expected.state !== params.get('state')) {
    throw new Error('This sign-in answer does not match a sign-in started here. Sign in again.');
  }
  let response: Response;
  try {
    response = await fetch(oauth.token_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: oauth.client_id,
        code: code ?? '',
        redirect_uri: oauth.redirect_uri,
        code_verifier: expected.verifier,
      }),
    });
  } catch {
    throw networkError('Signing in');
  }
  const body = (await response.json().catch(() => ({}))) as {
    id_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!response.ok || !body.id_token) {
    throw new Error(
      `Sign-in could not be completed: ${body.error_description ?? body.error ?? response.status}. Sign in again.`,
    );
  }
  return sessionFor(body.id_token, 'oauth');
}

/** Where to send the browser to end the hosted session as well (undefined: nothing to end). */
export function oauthLogoutUrl(oauth: OAuthConfig): string | undefined {
  if (!oauth.logout_url) return undefined;
  const url = new URL(oauth.logout_url);
  url.search = new URLSearchParams({ client_id: oauth.client_id, logout_uri: oauth.redirect_uri }).toString();
  return url.toString();
}
