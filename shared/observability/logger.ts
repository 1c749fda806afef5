import { createHash } from 'node:crypto';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Hashes a user id for logs: correlatable, not identifying. */
export function hashUserId(userId: string): string {
  return createHash('sha256').update(userId).digest('hex').slice(0, 16);
}

function serializeError(error: unknown): Record<string, unknown> {
  // Names and stacks only: messages of foreign errors may carry request data.
  if (error instanceof Error)
    return { name: error.name, stack: error.stack?.split('\n').slice(0, 6).join('\n') };
  return { name: typeof error };
}

/** A small structured logger: one JSON line per record, with persistent keys set per invocation. */
class Logger {
  private keys: Record<string, unknown> = {};
  private readonly threshold =
    (LEVELS as Partial<Record<string, number>>)[process.env.LOG_LEVEL?.toLowerCase() ?? 'info'] ?? 20;

  appendKeys(keys: Record<string, unknown>): void {
    this.keys = { ...this.keys, ...keys };
  }

  resetKeys(): void {
    this.keys = {};
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  private write(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    if (LEVELS[level] < this.threshold) return;
    const { error, ...rest } = fields;
    const record = {
      level,
      time: new Date().toISOString(),
      service: 'chatbooks',
      message,
      ...this.keys,
      ...rest,
      ...(error === undefined ? {} : { error: serializeError(error) }),
    };
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(
      `${JSON.stringify(record)}\n`,
    );
  }
}

export const logger = new Logger();
