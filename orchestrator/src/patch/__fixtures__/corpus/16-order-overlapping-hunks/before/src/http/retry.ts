export type RetryOptions = {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
};

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryable(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

export function backoffDelay(attempt: number, options: RetryOptions = DEFAULT_RETRY): number {
  const exponential = options.baseDelayMs * 2 ** attempt;
  return Math.min(exponential, options.maxDelayMs);
}

export async function withRetry<T>(
  run: () => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    try {
      return await run();
    } catch (error) {
      lastError = error;
      if (attempt + 1 < options.attempts) await sleep(backoffDelay(attempt, options));
    }
  }
  throw lastError;
}
