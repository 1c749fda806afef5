// How S3 judges a browser-based upload (POST Object with a Signature Version 4 policy), written from the S3 docs
// for the tests: the local S3 emulator (s3rver) stores whatever a POST carries and checks neither the signature
// nor the policy, so what S3 would refuse is decided here instead.
import { createHmac } from 'node:crypto';

export interface PostAttempt {
  /** The form fields as the browser sends them (not the file). */
  fields: Record<string, string>;
  fileSize: number;
  /** The bucket the form is posted to. */
  bucket: string;
  /** The secret key of the credential the form names. */
  secretAccessKey: string;
  now: Date;
}

type Condition = Record<string, unknown> | unknown[];

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Fields S3 does not require the policy to name. */
function exempt(name: string): boolean {
  return ['policy', 'x-amz-signature', 'file'].includes(name) || name.startsWith('x-ignore-');
}

/** Why S3 would refuse this upload; undefined when it would store it. */
export function postRefusal(attempt: PostAttempt): string | undefined {
  const fields = Object.fromEntries(
    Object.entries(attempt.fields).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const policy = fields.policy;
  const signature = fields['x-amz-signature'];
  const credential = fields['x-amz-credential'];
  if (!policy || !signature || !credential)
    return 'the form lacks policy, x-amz-signature or x-amz-credential';
  if (fields['x-amz-algorithm'] !== 'AWS4-HMAC-SHA256') return 'the algorithm is not AWS4-HMAC-SHA256';
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[3] !== 's3' || scope[4] !== 'aws4_request')
    return 'malformed credential scope';
  const [, date, region] = scope as [string, string, string, string, string];
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${attempt.secretAccessKey}`, date), region), 's3'),
    'aws4_request',
  );
  if (createHmac('sha256', signingKey).update(policy, 'utf8').digest('hex') !== signature) {
    return 'the signature does not match the policy';
  }
  let document: { expiration?: unknown; conditions?: unknown };
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as typeof document;
  } catch {
    return 'the policy is not JSON';
  }
  if (typeof document.expiration !== 'string' || Date.parse(document.expiration) <= attempt.now.getTime()) {
    return 'the policy has expired';
  }
  if (!Array.isArray(document.conditions)) return 'the policy has no conditions';
  const valueOf = (name: string): string | undefined =>
    name === 'bucket' ? attempt.bucket : fields[name.toLowerCase()];
  const named = new Set<string>();
  for (const condition of document.conditions as Condition[]) {
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition as [unknown, unknown, unknown];
      if (operator === 'content-length-range') {
        if (attempt.fileSize < Number(first) || attempt.fileSize > Number(second)) {
          return `the file's ${attempt.fileSize} bytes are outside ${String(first)}-${String(second)}`;
        }
        continue;
      }
      if (typeof first !== 'string' || !first.startsWith('$') || typeof second !== 'string') {
        return `unsupported condition ${JSON.stringify(condition)}`;
      }
      const name = first.slice(1).toLowerCase();
      named.add(name);
      const value = valueOf(name) ?? '';
      if (operator === 'eq' && value !== second) return `${name} is not ${second}`;
      if (operator === 'starts-with' && !value.startsWith(second))
        return `${name} does not start with ${second}`;
      if (operator !== 'eq' && operator !== 'starts-with') return `unsupported operator ${String(operator)}`;
    } else {
      for (const [name, expected] of Object.entries(condition)) {
        named.add(name.toLowerCase());
        if (valueOf(name) !== expected) return `${name} is not ${String(expected)}`;
      }
    }
  }
  const unnamed = Object.keys(fields).filter((name) => !exempt(name) && !named.has(name));
  if (unnamed.length > 0) return `the policy does not name the fields ${unnamed.join(', ')}`;
  return undefined;
}

/** The conditions of a form's policy, decoded. */
export function policyConditions(fields: Record<string, string>): Condition[] {
  const document = JSON.parse(Buffer.from(fields.policy ?? '', 'base64').toString('utf8')) as {
    conditions?: Condition[];
  };
  return document.conditions ?? [];
}
