import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LocalFunction } from './assembly';
import { functionArn } from './cfn';

const WORKER_FILE = fileURLToPath(new URL('./lambda-worker.mjs', import.meta.url));

/** A failed invocation, shaped like Lambda's: the error's type and message, as Step Functions sees them. */
export class LambdaInvokeError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    super(errorMessage);
    this.name = errorType;
  }
}

/** Where a line of output came from: the function (its logical id) and the stream it wrote to. */
export interface LogOrigin {
  source: string;
  stream: 'stdout' | 'stderr';
}

/** Receives every line the functions write (their logs and EMF metrics), instead of the host's own output. */
export type LogSink = (line: string, origin: LogOrigin) => void;

/** Hands each line of a worker's stream to the sink (a last line without a newline too). */
function forwardLines(stream: Readable, sink: LogSink, origin: LogOrigin): void {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => {
    try {
      sink(line, origin);
    } catch {
      // A sink that throws must not take the local cloud down with it.
    }
  });
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

type WorkerReply =
  | { id: string; ok: true; result: unknown }
  | { id: string; ok: false; errorType: string; errorMessage: string };

/** One function: a worker started on first use, restarted after a crash or a timeout. */
class FunctionRunner {
  private worker: Worker | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly fn: LocalFunction,
    private readonly bundle: string,
    private readonly env: Record<string, string>,
    private readonly onLog: LogSink | undefined,
  ) {}

  invoke(event: unknown): Promise<unknown> {
    const worker = this.ensureWorker();
    const id = randomUUID();
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new LambdaInvokeError('Sandbox.Timedout', `Task timed out after ${this.fn.timeoutSeconds} seconds`),
        );
        // A timed-out handler may still be running: start the next invocation in a fresh worker.
        void this.reset();
      }, timeoutMs);
      this.pending.set(id, { resolve: resolvePromise, reject, timer });
      worker.postMessage({ id, event, deadline: Date.now() + timeoutMs, requestId: id });
    });
  }

  async reset(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_FILE, {
      workerData: {
        bundle: this.bundle,
        handler: this.fn.handler,
        functionName: this.fn.logicalId,
        functionArn: functionArn(this.fn.logicalId),
      },
      env: { ...this.env, ...this.fn.environment, AWS_LAMBDA_FUNCTION_NAME: this.fn.logicalId },
      // With a sink, the worker's output is read here line by line; without, it goes to this process's output.
      ...(this.onLog ? { stdout: true, stderr: true } : {}),
    });
    if (this.onLog) {
      forwardLines(worker.stdout, this.onLog, { source: this.fn.logicalId, stream: 'stdout' });
      forwardLines(worker.stderr, this.onLog, { source: this.fn.logicalId, stream: 'stderr' });
    }
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      clearTimeout(pending.timer);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new LambdaInvokeError(reply.errorType, reply.errorMessage));
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.reject(new LambdaInvokeError('Runtime.ExitError', error.message));
        this.pending.delete(id);
      }
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      failAll(new Error(`The function's runtime exited (code ${code}).`));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/** Runs the stack's Lambda functions from their bundles, each in its own worker with its own environment. */
export class LambdaHost {
  private readonly runners = new Map<string, FunctionRunner>();

  constructor(
    functions: Iterable<LocalFunction>,
    bundles: Map<string, string>,
    env: Record<string, string>,
    options: { onLog?: LogSink | undefined } = {},
  ) {
    for (const fn of functions) {
      const bundle = bundles.get(fn.entry);
      if (!bundle) throw new Error(`No bundle for ${fn.entry}`);
      this.runners.set(fn.logicalId, new FunctionRunner(fn, bundle, env, options.onLog));
    }
  }

  invoke(functionId: string, event: unknown): Promise<unknown> {
    const runner = this.runners.get(functionId);
    if (!runner)
      return Promise.reject(new LambdaInvokeError('ResourceNotFoundException', `No function ${functionId}`));
    return runner.invoke(event);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.reset()));
  }
}
