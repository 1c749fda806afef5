/** The CLI's exit codes (documented in the README): scripts branch on them. */
export const EXIT = {
  ok: 0,
  /** A bug or something nobody planned for. */
  unexpected: 1,
  /** Bad arguments or options, a missing file, no token configured. */
  usage: 2,
  /** The API refused the request (4xx): the message says why. */
  apiRefused: 3,
  /** The API failed (5xx), could not be reached, or a transfer broke. */
  apiUnavailable: 4,
  /** A job ended failed, cancelled or expired. */
  jobFailed: 5,
  /** Interrupted (Ctrl-C); a job keeps running on the service. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Something wrong with how the CLI was called; exits 2 with the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Ctrl-C while following a job: the job goes on; the message says how to follow it again. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}
