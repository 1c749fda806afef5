/**
 * The page's shell: configuration, the session, the API client, and a hash router that renders one view at a
 * time into <main>, moves focus to its heading and stops whatever the previous view was polling.
 */
import { ApiClient } from './api';
import {
  beginOAuthSignIn,
  clearSession,
  completeOAuthSignIn,
  loadSession,
  oauthLogoutUrl,
  saveSession,
  type Session,
} from './auth';
import type { WebConfig } from './config';
import { button, errorBox, fill, h, setSignInAgain } from './dom';
import { Selection } from './selection';
import { renderExportJob } from './views/export-job';
import { renderImport } from './views/import';
import { renderImportJob } from './views/import-job';
import { renderJobs } from './views/jobs';
import { renderLibrary } from './views/library';
import { renderSignIn } from './views/sign-in';

export interface ViewContext {
  config: WebConfig;
  api: ApiClient;
  session: Session;
  selection: Selection;
  /** Aborted when the user leaves the view: polling and transfers stop. */
  signal: AbortSignal;
  navigate(hash: string): void;
  /** Says something through the polite live region (progress milestones, outcomes). */
  announce(message: string): void;
}

export type Route =
  | { view: 'library' }
  | { view: 'import' }
  | { view: 'jobs' }
  | { view: 'export-job'; id: string }
  | { view: 'import-job'; id: string };

export function parseRoute(hash: string): Route | undefined {
  const [, first, second] = hash.replace(/^#/, '').split('/');
  if (hash === '' || hash === '#' || hash === '#/') return { view: 'library' };
  if (!hash.startsWith('#/')) return undefined;
  if (first === 'library') return { view: 'library' };
  if (first === 'import') return { view: 'import' };
  if (first === 'jobs') return { view: 'jobs' };
  if (first === 'exports' && second) return { view: 'export-job', id: decodeURIComponent(second) };
  if (first === 'imports' && second) return { view: 'import-job', id: decodeURIComponent(second) };
  return { view: 'library' };
}

const TITLES: Record<Route['view'], string> = {
  library: 'Library',
  import: 'Import',
  jobs: 'Jobs',
  'export-job': 'Export',
  'import-job': 'Import job',
};

export class App {
  private session: Session | undefined;
  private readonly selection = new Selection();
  private readonly api: ApiClient;
  private current: AbortController | undefined;
  private rendered = false;
  private signInError: unknown;

  constructor(
    private readonly config: WebConfig,
    private readonly elements: {
      main: HTMLElement;
      nav: HTMLElement;
      account: HTMLElement;
      announcer: HTMLElement;
    },
  ) {
    this.api = new ApiClient({
      baseUrl: config.api_url,
      token: () => this.session?.token,
    });
    // A 401 while signed in means the session ended (expired, revoked): sign in again where the user was.
    setSignInAgain(() =>
      this.session
        ? () => {
            this.signOut(false);
          }
        : undefined,
    );
  }

  async start(): Promise<void> {
    if (this.config.oauth) {
      try {
        const session = await completeOAuthSignIn(this.config.oauth);
        if (session) saveSession(session);
      } catch (error) {
        this.signInError = error;
      }
    }
    this.session = loadSession();
    window.addEventListener('hashchange', () => {
      this.render();
    });
    this.render();
  }

  announce(message: string): void {
    const { announcer } = this.elements;
    // Cleared first, so the same words said twice are announced twice.
    announcer.textContent = '';
    window.setTimeout(() => {
      announcer.textContent = message;
    }, 50);
  }

  signIn(session: Session): void {
    saveSession(session);
    this.session = session;
    this.announce(`Signed in as ${session.user}.`);
    this.render();
  }

  /** Ends the session; `everywhere` also ends the hosted sign-in's session (AWS). */
  signOut(everywhere: boolean): void {
    const via = this.session?.via;
    clearSession();
    this.session = undefined;
    this.selection.clear();
    const logout =
      everywhere && via === 'oauth' && this.config.oauth ? oauthLogoutUrl(this.config.oauth) : '';
    if (logout) {
      window.location.assign(logout);
      return;
    }
    this.announce('Signed out.');
    this.render();
  }

  private renderAccount(): void {
    const { account, nav } = this.elements;
    nav.hidden = !this.session;
    if (!this.session) {
      fill(account);
      return;
    }
    fill(
      account,
      h('span', { class: 'account-user' }, 'Signed in as ', h('strong', {}, this.session.user)),
      button('Sign out', () => {
        // The next person to sign in starts from the library, not from this user's job.
        window.history.replaceState(null, '', '#/library');
        this.signOut(true);
      }),
    );
  }

  private markCurrentLink(route: Route | undefined): void {
    const section = route?.view === 'export-job' || route?.view === 'import-job' ? 'jobs' : route?.view;
    for (const link of this.elements.nav.querySelectorAll('a')) {
      if (link.getAttribute('href') === `#/${section ?? ''}`) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  render(): void {
    const route = parseRoute(window.location.hash);
    // A fragment that is not a route (the skip link's #main) leaves the current view alone.
    if (!route && this.rendered) return;
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    this.renderAccount();
    this.markCurrentLink(route);

    const { main } = this.elements;
    let view: HTMLElement;
    if (!this.session) {
      document.title = 'Sign in · Chatbooks';
      view = renderSignIn({
        config: this.config,
        api: this.api,
        signal: controller.signal,
        error: this.signInError,
        onSignedIn: (session) => {
          this.signIn(session);
        },
        beginOAuth: (oauth) => beginOAuthSignIn(oauth),
      });
      this.signInError = undefined;
    } else {
      const context: ViewContext = {
        config: this.config,
        api: this.api,
        session: this.session,
        selection: this.selection,
        signal: controller.signal,
        navigate: (hash) => {
          window.location.hash = hash;
        },
        announce: (message) => {
          this.announce(message);
        },
      };
      const current = route ?? { view: 'library' };
      document.title = `${TITLES[current.view]} · Chatbooks`;
      try {
        view = this.viewFor(current, context);
      } catch (error) {
        view = errorBox(error);
      }
    }
    fill(main, view);
    // Focus follows navigation to the new view's heading, so keyboard and screen reader users start there.
    if (this.rendered) main.querySelector<HTMLElement>('h1')?.focus();
    this.rendered = true;
  }

  private viewFor(route: Route, context: ViewContext): HTMLElement {
    switch (route.view) {
      case 'library':
        return renderLibrary(context);
      case 'import':
        return renderImport(context);
      case 'jobs':
        return renderJobs(context);
      case 'export-job':
        return renderExportJob(context, route.id);
      case 'import-job':
        return renderImportJob(context, route.id);
    }
  }
}
