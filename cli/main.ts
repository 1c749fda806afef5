// The `chatbooks` CLI's entry point: `npm run chatbooks -- <command>`, or the `chatbooks` bin.
import { runCli } from './program';

const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
});

process.exitCode = await runCli(process.argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: interrupt.signal,
});
