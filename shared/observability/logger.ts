import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac } from 'node:crypto';
import { redactFields, redactString, serializeError } from './redact';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Hashes a user id for logs: correlatable, not identifying. */
export function hashUserId(userId: string, key: string | undefined = process.env.LOG_HASH_KEY): string {
  // Keyed (LOG_HASH_KEY), a guessable id such as an e-mail address cannot be found again by hashing guesses.
  const hash = key ? createHmac('sha256', key) : createHash('sha256');
  return hash.update(userId).digest('hex').slice(0, 16);
}

/** Where records go; tests replace it to read what would be written. */
export type LogWriter = (stream: 'stdout' | 'stderr', line: string) => void;

const processWriter: LogWriter = (stream, line) => {
  (stream === 'stdout' ? process.stdout : process.stderr).write(line);
};

/**
 * A small structured logger: one JSON line per record, with persistent keys set per invocation.
 *
 * The keys live in an async context (resetKeys starts a new one), so two invocations that overlap in one process
 * (the local cloud runs a function's invocations in one worker) never see each other's keys. Every record is
 * redacted before it is written: credentials, signed URLs and user ids in keys never reach the log.
 */
class Logger {
  private readonly context = new AsyncLocalStorage<{ keys: Record<string, unknown> }>();
  /** The keys of code that runs outside any invocation's context. */
  private readonly rootKeys: { keys: Record<string, unknown> } = { keys: {} };
  private writer: LogWriter = processWriter;
  private readonly threshold =
    (LEVELS as Partial<Record<string, number>>)[process.env.LOG_LEVEL?.toLowerCase() ?? 'info'] ?? 20;

  appendKeys(keys: Record<string, unknown>): void {
    const store = this.context.getStore() ?? this.rootKeys;
    store.keys = { ...store.keys, ...keys };
  }

  /** Starts a new set of persistent keys for the current invocation (and what it calls or awaits). */
  resetKeys(): void {
    this.context.enterWith({ keys: {} });
  }

  /** The persistent keys in effect here. */
  currentKeys(): Readonly<Record<string, unknown>> {
    return (this.context.getStore() ?? this.rootKeys).keys;
  }

  /** Replaces where records are written (tests); returns the previous writer. */
  setWriter(writer: LogWriter): LogWriter {
    const previous = this.writer;
    this.writer = writer;
    return previous;
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
      message: redactString(message),
      ...redactFields({ ...this.currentKeys(), ...rest }),
      ...(error === undefined ? {} : { error: serializeError(error) }),
    };
    this.writer(level === 'error' || level === 'warn' ? 'stderr' : 'stdout', `${JSON.stringify(record)}\n`);
  }
}

export const logger = new Logger();
