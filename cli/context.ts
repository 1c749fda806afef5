/** What every command works with: its output, the settings and client, progress bars, and the Ctrl-C signal. */
import type { Command } from 'commander';
import type { Readable, Writable } from 'node:stream';
import { ChatbooksClient, SDK_VERSION } from '../sdk/src';
import { resolveSettings, type Settings } from './config';
import { UsageError } from './exit-codes';
import { Output } from './output';
import { ProgressBar } from './progress';

export interface CliIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: waits and transfers stop, jobs keep running on the service. */
  signal: AbortSignal;
}

export interface GlobalOptions {
  endpoint?: string;
  token?: string;
  json?: boolean;
  progress: boolean;
}

export class CliContext {
  readonly output: Output;
  private settingsPromise: Promise<Settings> | undefined;

  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions,
  ) {
    this.output = new Output(options.json === true, io);
  }

  get signal(): AbortSignal {
    return this.io.signal;
  }

  settings(): Promise<Settings> {
    this.settingsPromise ??= resolveSettings(
      { endpoint: this.options.endpoint, token: this.options.token },
      this.io.env,
    );
    return this.settingsPromise;
  }

  /** A client for the configured endpoint; a route that needs a token refuses early without one. */
  async client(options: { needsToken?: boolean } = {}): Promise<ChatbooksClient> {
    const settings = await this.settings();
    if (options.needsToken !== false && !settings.token) {
      throw new UsageError(
        'No token. Run `chatbooks configure --token <token>`, set CHATBOOKS_TOKEN, or pass --token. Locally: npm run -s token -- --user <id>',
      );
    }
    return new ChatbooksClient({
      baseUrl: settings.endpoint,
      token: settings.token,
      userAgent: `chatbooks-cli/${SDK_VERSION}`,
    });
  }

  /** A progress bar on stderr: drawn only on a terminal, and not with --no-progress. */
  bar(label: string): ProgressBar {
    return new ProgressBar(this.io.stderr, label, this.options.progress && this.io.stderr.isTTY === true);
  }
}

export function contextOf(command: Command, io: CliIo): CliContext {
  return new CliContext(io, command.optsWithGlobals<GlobalOptions>());
}
