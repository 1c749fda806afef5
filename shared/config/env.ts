import { z } from 'zod';

/**
 * Reads and validates a function's environment once, at cold start, so a misconfigured deployment fails
 * loudly on its first invocation instead of deep inside a use case.
 */
export function readEnv<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const parsed = z.object(shape).safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`Missing or invalid environment variables: ${names}`);
  }
  return parsed.data;
}

export const nonEmpty = z.string().min(1);
