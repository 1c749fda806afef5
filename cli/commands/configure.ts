/** `chatbooks configure`: save the endpoint and token; `chatbooks health`: is the service ready. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { ChatbooksApiError } from '../../sdk/src';
import { loadConfig, maskToken, normalizeEndpoint, saveConfig, type StoredConfig } from '../config';
import { contextOf, type CliIo } from '../context';
import { UsageError } from '../exit-codes';
import { table } from '../output';

interface ConfigureOptions {
  endpoint?: string;
  token?: string;
  show?: boolean;
  clearToken?: boolean;
}

async function ask(io: CliIo, current: StoredConfig): Promise<StoredConfig> {
  const prompt = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    const endpoint = (
      await prompt.question(`Endpoint [${current.endpoint ?? 'http://127.0.0.1:4510'}]: `)
    ).trim();
    const token = (
      await prompt.question(`Token [${current.token ? `keep ${maskToken(current.token)}` : 'none'}]: `)
    ).trim();
    return { ...(endpoint ? { endpoint } : {}), ...(token ? { token } : {}) };
  } finally {
    prompt.close();
  }
}

export function registerConfigureCommands(program: Command, io: CliIo): void {
  program
    .command('configure')
    .description('Save the endpoint and token (global --endpoint/--token) in your config file')
    .option('--show', 'show the settings in effect and where each comes from')
    .option('--clear-token', 'remove the saved token')
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const options = command.optsWithGlobals<ConfigureOptions>();
      if (options.show) {
        const settings = await context.settings();
        const shown = {
          config_path: settings.configPath,
          endpoint: settings.endpoint,
          endpoint_source: settings.endpointSource,
          token: maskToken(settings.token),
          token_source: settings.tokenSource,
        };
        context.output.result(shown, () => [
          `config:    ${shown.config_path}`,
          `endpoint:  ${shown.endpoint} (${shown.endpoint_source})`,
          `token:     ${shown.token} (${shown.token_source})`,
        ]);
        return;
      }
      const path = (await context.settings()).configPath;
      const current = await loadConfig(path);
      let changes: StoredConfig = {
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.token ? { token: options.token } : {}),
      };
      if (!options.endpoint && !options.token && !options.clearToken) {
        if (io.stdin.isTTY !== true) {
          throw new UsageError(
            'Give --endpoint <url> and/or --token <token> (or run it in a terminal to be asked).',
          );
        }
        changes = await ask(io, current);
      }
      const next: StoredConfig = { ...current, ...changes };
      if (changes.endpoint) next.endpoint = normalizeEndpoint(changes.endpoint);
      if (options.clearToken) delete next.token;
      await saveConfig(path, next);
      context.output.result(
        { config_path: path, endpoint: next.endpoint ?? null, token: maskToken(next.token) },
        () => `Saved ${path}: endpoint ${next.endpoint ?? '(default)'}, token ${maskToken(next.token)}`,
      );
    });

  program
    .command('health')
    .description('Whether the service is ready (no token needed)')
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const client = await context.client({ needsToken: false });
      const health = await client.getHealth({ signal: context.signal });
      context.output.result(health, () => [
        `${client.baseUrl}: ${health.status}`,
        ...table(
          [{ header: 'COMPONENT' }, { header: 'STATUS' }, { header: 'CHECKS' }],
          Object.entries(health.components).map(([name, component]) => [
            name,
            component.status,
            Object.entries(component.checks)
              .map(([check, status]) => `${check} ${status}`)
              .join(', '),
          ]),
        ),
      ]);
      if (health.status !== 'ok') {
        const down = Object.entries(health.components).filter(([, component]) => component.status !== 'ok');
        throw new ChatbooksApiError({
          status: 503,
          code: 'service_degraded',
          message: `The service is not ready: ${down.map(([name]) => name).join(', ')} unavailable.`,
        });
      }
    });
}
