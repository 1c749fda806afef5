/**
 * The `chatbooks` command line: the commands, and how every error becomes a message and an exit code (see
 * exit-codes.ts). Exported as a function of its streams and environment, so it runs the same in a terminal and
 * in tests.
 */
import { Command, CommanderError, Option } from 'commander';
import {
  ChatbooksApiError,
  ChatbooksConnectionError,
  ChatbooksError,
  ChatbooksIntegrityError,
  ChatbooksJobError,
  ChatbooksResponseError,
  SDK_VERSION,
} from '../sdk/src';
import { registerAccountCommands } from './commands/account';
import { registerAuditCommands } from './commands/audit';
import { registerConfigureCommands } from './commands/configure';
import { registerExportCommands } from './commands/exports';
import { registerImportCommands } from './commands/imports';
import { registerJobCommands } from './commands/jobs';
import { registerLibraryCommands } from './commands/library';
import type { CliIo } from './context';
import { EXIT, InterruptedError, UsageError, type ExitCode } from './exit-codes';

export function createProgram(io: CliIo): Command {
  const program = new Command('chatbooks')
    .description('Back up, move and share your AI-assistant knowledge as chatbooks (Chatbooks Cloud).')
    .version(SDK_VERSION)
    .addOption(
      new Option('--endpoint <url>', 'the API (default: saved, CHATBOOKS_ENDPOINT, or the local cloud)'),
    )
    .addOption(new Option('--token <token>', 'a bearer token (default: saved, or CHATBOOKS_TOKEN)'))
    .option('--json', 'print results as JSON on stdout (errors as JSON on stderr)')
    .option('--no-progress', 'no progress bars (drawn only on a terminal anyway)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 unexpected, 2 usage, 3 the API refused (4xx), 4 the API failed or is unreachable (5xx,
network), 5 a job failed or was cancelled, 130 interrupted.`,
    );
  registerConfigureCommands(program, io);
  registerExportCommands(program, io);
  registerImportCommands(program, io);
  registerJobCommands(program, io);
  registerLibraryCommands(program, io);
  registerAccountCommands(program, io);
  registerAuditCommands(program, io);
  return program;
}

interface ErrorReport {
  exitCode: ExitCode;
  code: string;
  message: string;
  status?: number;
  requestId?: string | undefined;
  details?: Record<string, unknown> | undefined;
  hint?: string;
}

/** What an error means for the person (message, hint) and for a script (exit code, code). */
export function reportOf(error: unknown, endpoint: string | undefined): ErrorReport {
  if (error instanceof UsageError) return { exitCode: EXIT.usage, code: 'usage', message: error.message };
  if (error instanceof ChatbooksApiError) {
    return {
      exitCode: error.status >= 500 ? EXIT.apiUnavailable : EXIT.apiRefused,
      code: error.code,
      message: error.message,
      status: error.status,
      requestId: error.requestId,
      details: error.details,
      ...(error.status === 401
        ? { hint: 'Check the token: chatbooks configure --token <token>, CHATBOOKS_TOKEN or --token.' }
        : {}),
    };
  }
  if (error instanceof ChatbooksConnectionError) {
    return {
      exitCode: EXIT.apiUnavailable,
      code: 'connection_failed',
      message: error.message,
      hint: `Is the service running at ${endpoint ?? 'the endpoint'}? Locally, npm start runs it; chatbooks configure --endpoint <url> points elsewhere.`,
    };
  }
  if (error instanceof ChatbooksJobError) {
    return {
      exitCode: EXIT.jobFailed,
      code: error.job.error?.code ?? `job_${error.job.status}`,
      message: error.message,
    };
  }
  if (error instanceof ChatbooksIntegrityError) {
    return { exitCode: EXIT.apiUnavailable, code: 'integrity_failed', message: error.message };
  }
  if (error instanceof ChatbooksResponseError) {
    return {
      exitCode: EXIT.unexpected,
      code: 'unexpected_response',
      message: error.message,
      status: error.status,
    };
  }
  if (error instanceof InterruptedError) {
    return { exitCode: EXIT.interrupted, code: 'interrupted', message: error.message };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return {
      exitCode: EXIT.interrupted,
      code: 'interrupted',
      message:
        'Interrupted. A job keeps running on the service: follow it with chatbooks jobs wait <job_id>.',
    };
  }
  if (error instanceof ChatbooksError)
    return { exitCode: EXIT.unexpected, code: 'error', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.unexpected, code: 'unexpected', message: `Unexpected error: ${message}` };
}

function humanReport(report: ErrorReport): string {
  const lines = [`Error: ${report.message}`];
  const facts = [
    report.code === 'usage' ? undefined : `code ${report.code}`,
    report.status ? `HTTP ${report.status}` : undefined,
    report.requestId ? `request id ${report.requestId}` : undefined,
  ].filter(Boolean);
  if (facts.length > 0) lines.push(`  (${facts.join(', ')})`);
  const issues = report.details?.issues;
  if (Array.isArray(issues)) {
    for (const issue of issues as unknown[]) {
      if (typeof issue === 'string') lines.push(`  - ${issue}`);
      else if (issue && typeof issue === 'object') {
        const { path, message } = issue as { path?: unknown; message?: unknown };
        lines.push(`  - ${typeof path === 'string' && path ? `${path}: ` : ''}${String(message)}`);
      }
    }
  }
  if (report.hint) lines.push(report.hint);
  return lines.join('\n');
}

/** Runs the CLI and returns its exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exit code 0; every other commander error is about how it was called.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const options = program.opts<{ json?: boolean; endpoint?: string }>();
    const endpoint = options.endpoint ?? io.env.CHATBOOKS_ENDPOINT;
    const report = reportOf(error, endpoint);
    if (options.json) {
      io.stderr.write(
        `${JSON.stringify({
          error: {
            code: report.code,
            message: report.message,
            exit_code: report.exitCode,
            ...(report.status ? { status: report.status } : {}),
            ...(report.requestId ? { request_id: report.requestId } : {}),
            ...(report.details ? { details: report.details } : {}),
          },
        })}\n`,
      );
    } else {
      io.stderr.write(`${humanReport(report)}\n`);
      if (report.exitCode === EXIT.unexpected && io.env.CHATBOOKS_DEBUG && error instanceof Error) {
        io.stderr.write(`${error.stack ?? ''}\n`);
      }
    }
    return report.exitCode;
  }
}
