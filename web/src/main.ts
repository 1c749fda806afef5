/** The page's entry: read /config.json, then start the shell. */
import { App } from './app';
import { parseWebConfig, type WebConfig } from './config';
import { errorBox, fill, h } from './dom';

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page is missing #${id}.`);
  return found;
}

async function boot(): Promise<void> {
  const main = element('main');
  // The skip link moves focus without touching the hash, which the router owns.
  element('skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  let config: WebConfig;
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`/config.json answered ${response.status}.`);
    config = parseWebConfig(await response.json());
  } catch (error) {
    fill(
      main,
      h('h1', {}, 'Chatbooks cannot start'),
      errorBox(
        new Error(
          `The page could not read its configuration: ${error instanceof Error ? error.message : String(error)} The deployment writes config.json beside the page.`,
        ),
      ),
    );
    return;
  }
  const app = new App(config, {
    main,
    nav: element('nav'),
    account: element('account'),
    announcer: element('announcer'),
  });
  await app.start();
}

void boot();
