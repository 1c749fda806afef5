/**
 * Where the CLI finds the endpoint and token: flags, then CHATBOOKS_ENDPOINT / CHATBOOKS_TOKEN, then the config
 * file that `chatbooks configure` writes (`<config dir>/chatbooks/config.json`, or CHATBOOKS_CONFIG), then the
 * local cloud's address.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UsageError } from './exit-codes';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4510';

const storedConfigSchema = z.object({
  endpoint: z.string().optional(),
  token: z.string().optional(),
});
export type StoredConfig = z.infer<typeof storedConfigSchema>;

export type SettingSource = 'flag' | 'env' | 'config' | 'default' | 'none';

export interface Settings {
  endpoint: string;
  endpointSource: SettingSource;
  token: string | undefined;
  tokenSource: SettingSource;
  configPath: string;
}

/** The user's config directory: %APPDATA% on Windows, $XDG_CONFIG_HOME or ~/.config elsewhere. */
function configDirectory(env: NodeJS.ProcessEnv): string {
  if (process.platform === 'win32') return env.APPDATA ?? join(homedir(), 'AppData', 'Roaming');
  return env.XDG_CONFIG_HOME || join(env.HOME ?? homedir(), '.config');
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHATBOOKS_CONFIG || join(configDirectory(env), 'chatbooks', 'config.json');
}

export async function loadConfig(path: string): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(
      `The config file ${path} is not valid JSON. Fix it, or delete it and run chatbooks configure.`,
    );
  }
  const config = storedConfigSchema.safeParse(parsed);
  if (!config.success) {
    throw new UsageError(
      `The config file ${path} is not a chatbooks config. Delete it and run chatbooks configure.`,
    );
  }
  return config.data;
}

/** Writes the config readable by its owner only (it holds a token), replacing the file in one step. */
export async function saveConfig(path: string, config: StoredConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
}

/** An http(s) origin, without a trailing slash. */
export function normalizeEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `The endpoint ${JSON.stringify(value)} is not a URL. Give one such as ${DEFAULT_ENDPOINT}.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`The endpoint must be an http or https URL, not ${url.protocol}`);
  }
  return url.toString().replace(/\/+$/, '');
}

export async function resolveSettings(
  flags: { endpoint?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Settings> {
  const path = configPath(env);
  const stored = await loadConfig(path);
  const [endpoint, endpointSource]: [string, SettingSource] = flags.endpoint
    ? [flags.endpoint, 'flag']
    : env.CHATBOOKS_ENDPOINT
      ? [env.CHATBOOKS_ENDPOINT, 'env']
      : stored.endpoint
        ? [stored.endpoint, 'config']
        : [DEFAULT_ENDPOINT, 'default'];
  const [token, tokenSource]: [string | undefined, SettingSource] = flags.token
    ? [flags.token, 'flag']
    : env.CHATBOOKS_TOKEN
      ? [env.CHATBOOKS_TOKEN, 'env']
      : stored.token
        ? [stored.token, 'config']
        : [undefined, 'none'];
  return { endpoint: normalizeEndpoint(endpoint), endpointSource, token, tokenSource, configPath: path };
}

/** A token as it may be shown: its last four characters. */
export function maskToken(token: string | undefined): string {
  if (!token) return '(none)';
  return token.length <= 8 ? '****' : `****${token.slice(-4)}`;
}
