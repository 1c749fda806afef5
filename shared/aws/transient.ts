const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'SlowDown',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionConflictException',
]);

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Whether an AWS SDK or network error is worth retrying (throttling, 5xx, a dropped connection). */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const shaped = error as Error & {
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: unknown;
  };
  if (shaped.$retryable) return true;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  if ((shaped.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return typeof shaped.code === 'string' && TRANSIENT_NETWORK_CODES.has(shaped.code);
}
