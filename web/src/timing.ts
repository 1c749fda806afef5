/** Waiting and polling that stop when the view that asked for them goes away. */

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Runs `tick` every `ms` until it answers false or the signal aborts. */
export async function every(ms: number, signal: AbortSignal, tick: () => Promise<boolean>): Promise<void> {
  while (!signal.aborted) {
    if (!(await tick())) return;
    await sleep(ms, signal);
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
