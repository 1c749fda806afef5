/**
 * Signing in. Locally: the demo shortcut or a pasted token (`npm run token -- --user <id>`). In AWS: the hosted
 * sign-in page (OAuth code flow with PKCE), with a pasted token as the fallback for other identity providers.
 * A token is tried against the API before it is kept, so a bad one shows the API's own message.
 */
import { errorFrom, type ApiClient } from '../api';
import { demoToken, sessionFor, type Session } from '../auth';
import type { OAuthConfig, WebConfig } from '../config';
import { button, field, fill, h, on, showError } from '../dom';

export interface SignInOptions {
  config: WebConfig;
  api: ApiClient;
  signal: AbortSignal;
  /** An error from the way back from the hosted sign-in, to show first. */
  error: unknown;
  onSignedIn(session: Session): void;
  beginOAuth(oauth: OAuthConfig): Promise<void>;
}

/** One cheap authorized call: the token works if the API takes it. */
async function tryToken(api: ApiClient, token: string, signal: AbortSignal): Promise<void> {
  const response = await api.send('/api/v1/chatbooks/export/jobs?limit=1', {
    headers: { authorization: `Bearer ${token}` },
    signal,
  });
  if (!response.ok) throw await errorFrom(response);
}

export function renderSignIn(options: SignInOptions): HTMLElement {
  const { config, api, signal } = options;
  const errorSlot = h('div', { class: 'error-slot' });
  const busy = h('p', { class: 'busy', 'aria-live': 'polite' });

  const signInWith = async (token: string, via: Session['via']) => {
    showError(errorSlot, undefined);
    fill(busy, 'Checking the token…');
    try {
      await tryToken(api, token, signal);
      options.onSignedIn(sessionFor(token, via));
    } catch (error) {
      fill(busy);
      showError(errorSlot, error);
      errorSlot.querySelector<HTMLElement>('[role="alert"]')?.focus();
    }
  };

  const tokenInput = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    required: true,
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const tokenForm = on(
    h(
      'form',
      { class: 'token-form' },
      field(
        'Access token',
        tokenInput,
        config.environment === 'local'
          ? 'Paste a bearer token. Get one with: npm run token -- --user alice'
          : 'Paste a bearer token from your identity provider.',
      ),
      h('button', { type: 'submit' }, 'Sign in with this token'),
    ),
    'submit',
    (event) => {
      event.preventDefault();
      void signInWith(tokenInput.value.trim(), 'token');
    },
  );

  const section = h(
    'section',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title', tabindex: -1 }, 'Sign in'),
    errorSlot,
  );

  if (config.environment === 'local') {
    section.append(
      h(
        'p',
        {},
        'This is the local cloud: sign in as the seeded demo user, or with a token for any user id.',
      ),
    );
    if (config.local_token_url) {
      section.append(
        button(
          `Sign in as ${config.demo_user ?? 'demo'}`,
          () => {
            showError(errorSlot, undefined);
            void demoToken(config).then(
              (token) => signInWith(token, 'demo'),
              (error: unknown) => {
                showError(errorSlot, error);
              },
            );
          },
          { class: 'primary', id: 'demo-sign-in' },
        ),
      );
    }
    section.append(h('h2', {}, 'Sign in with a token'), tokenForm);
  } else {
    const oauth = config.oauth;
    if (oauth) {
      section.append(
        h('p', {}, 'Sign in with your Chatbooks account.'),
        button(
          'Sign in',
          () => {
            void options.beginOAuth(oauth).catch((error: unknown) => {
              showError(errorSlot, error);
            });
          },
          { class: 'primary' },
        ),
        h('details', {}, h('summary', {}, 'Use an access token instead'), tokenForm),
      );
    } else {
      section.append(tokenForm);
    }
  }
  section.append(busy);
  if (options.error) showError(errorSlot, options.error);
  return section;
}
