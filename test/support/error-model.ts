// The API's one error model, checked on a captured reply: {"error": {"code", "message", "details"?}}, a snake_case
// code, a message that is a sentence saying what to do next, and nothing internal (stack traces, file paths, AWS
// ARNs, exception class names, the stack's table, bucket and state machine names).
import type { ProbeReply } from './api-probe';

export interface ErrorModelOptions {
  /** Names the body must never carry: the deployment's tables, bucket, state machines. */
  internalNames: readonly string[];
}

const ERROR_KEYS = new Set(['code', 'message', 'details']);
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** Ends like a sentence: a full stop, question or exclamation mark, maybe closed by a quote or bracket. */
const SENTENCE_END = /[.!?]["')\]]?$/;

const INTERNAL_PATTERNS: readonly { what: string; pattern: RegExp }[] = [
  { what: 'an AWS ARN', pattern: /\barn:aws[a-z-]*:/i },
  {
    what: 'a stack frame',
    pattern: /\bat (?:async )?(?:[\w.$<>[\]]+ \()?(?:node:|file:|\/|[A-Za-z]:\\)[^\s()]*:\d+:\d+/,
  },
  { what: 'a source position', pattern: /\.(?:[cm]?[jt]s|mjs|cjs):\d+(?::\d+)?/ },
  { what: 'a file path', pattern: /(?:file:\/\/|node_modules|\/(?:work|home|var|tmp|opt|usr|root|Users)\/)/ },
  { what: 'a source file name', pattern: /\b[\w-]+\.(?:ts|mts|cts|mjs|cjs)\b/ },
  { what: 'an exception class', pattern: /\b(?:[A-Z][a-z0-9]+)+(?:Exception|Error)\b/ },
  { what: 'a Node.js error code', pattern: /\bE(?:CONNREFUSED|CONNRESET|NOTFOUND|TIMEDOUT|ACCES|NOENT)\b/ },
];

/** What is internal in `text` (the whole body, details included); [] when nothing is. */
export function internalsIn(text: string, options: ErrorModelOptions): string[] {
  const found = INTERNAL_PATTERNS.filter(({ pattern }) => pattern.test(text)).map(
    ({ what, pattern }) => `${what} (${pattern.exec(text)?.[0] ?? ''})`,
  );
  for (const name of options.internalNames) {
    if (name !== '' && text.includes(name)) found.push(`the resource name ${name}`);
  }
  return found;
}

/** Whether a JSON value is a plain object (not an array, not null). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Problems that keep `reply` from being the error model: its JSON shape, its code and message, and anything
 * internal in its body. [] when it is the model.
 */
export function errorModelProblems(reply: ProbeReply, options: ErrorModelOptions): string[] {
  const problems: string[] = [];
  if (!(reply.headers['content-type'] ?? '').startsWith('application/json')) {
    problems.push(`content-type is ${reply.headers['content-type'] ?? 'missing'}, not application/json`);
  }
  const body = reply.json;
  if (!isObject(body)) return [...problems, `the body is not a JSON object: ${reply.text.slice(0, 200)}`];
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error')
    problems.push(`the body's keys are [${keys.join(', ')}], not [error]`);
  const error = body.error;
  if (!isObject(error)) return [...problems, 'error is not an object'];
  for (const key of Object.keys(error)) {
    if (!ERROR_KEYS.has(key)) problems.push(`error has an unexpected key ${key}`);
  }
  const { code, message, details } = error;
  if (typeof code !== 'string' || !SNAKE_CASE.test(code)) {
    problems.push(`error.code ${JSON.stringify(code)} is not a snake_case string`);
  }
  if (typeof message !== 'string' || message.trim() === '') {
    problems.push('error.message is missing or empty');
  } else {
    if (!SENTENCE_END.test(message.trim()))
      problems.push(`error.message does not end a sentence: ${message}`);
    if (message !== message.trim()) problems.push('error.message has surrounding white space');
  }
  if (details !== undefined && !isObject(details)) problems.push('error.details is not an object');
  for (const internal of internalsIn(reply.text, options)) problems.push(`the body shows ${internal}`);
  return problems;
}

/** Verbs that open an instruction ("Send ...", "Fix ...", "POST /uploads ..."). */
const IMPERATIVES = new Set(
  `send use fix start list upload export import try retry wait ask remove choose give read leave check see make
  follow download contact get add split narrow widen pick provide include drop correct change create update upgrade
  reduce cancel sign delete post put patch call set rename select shorten keep open refresh request enable raise
  lower name write take let`.split(/\s+/),
);

/** A message's sentences and clauses: split at sentence ends, semicolons, colons, brackets and ", or". */
function clausesOf(message: string): string[] {
  return message
    .split(/[.;:!?]\s+|,\s+(?:or|and|then)\s+|\(|\u2014/)
    .map((clause) => clause.trim().replace(/^["'\u201c]/, ''))
    .filter((clause) => clause !== '');
}

/**
 * Why `message` does not say what to do next; undefined when it does: one of its clauses is an instruction (opens
 * with a verb such as Send, Use, Fix, Try), or it says what the input must be.
 */
export function nextStepProblem(message: string): string | undefined {
  const instructs = clausesOf(message).some((clause) =>
    IMPERATIVES.has((/^[A-Za-z-]+/.exec(clause)?.[0] ?? '').toLowerCase()),
  );
  if (instructs || /\b(?:must|should)\b/.test(message)) return undefined;
  return `the message does not say what to do next: ${message}`;
}

/** The error of a reply that is the model (callers check errorModelProblems first). */
export function errorOf(reply: ProbeReply): {
  code: string;
  message: string;
  details?: Record<string, unknown>;
} {
  const body = reply.json as { error?: { code: string; message: string; details?: Record<string, unknown> } };
  if (!body.error) throw new Error(`Not an error body: ${reply.text.slice(0, 200)}`);
  return body.error;
}
