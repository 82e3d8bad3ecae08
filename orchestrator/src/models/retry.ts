// Pure retry decision for model calls: which failures are worth another try, and after how long.

export type CallFailure =
  | { kind: "timeout" }
  | { kind: "connection" }
  | { kind: "aborted" }
  | { kind: "http"; status: number; retryAfter?: string | null; retryAfterMs?: string | null };

export type RetrySettings = { maxRetries: number; retryBaseMs: number; retryMaxMs: number };

export function isRetryable(failure: CallFailure): boolean {
  switch (failure.kind) {
    case "timeout":
    case "connection":
      return true;
    case "aborted":
      return false;
    case "http":
      return failure.status === 408 || failure.status === 409 || failure.status === 429 || failure.status >= 500;
  }
}

/** Parses `retry-after-ms`, then `retry-after` (seconds or an HTTP date). Returns ms or null. */
export function retryAfterMs(failure: CallFailure, now: number): number | null {
  if (failure.kind !== "http") return null;
  const ms = Number(failure.retryAfterMs);
  if (failure.retryAfterMs && Number.isFinite(ms) && ms >= 0) return ms;
  if (!failure.retryAfter) return null;
  const seconds = Number(failure.retryAfter);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(failure.retryAfter);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Delay before retry number `retry` (1-based), or null when the call must not be retried.
 * The server's retry-after wins when given; both are capped at retryMaxMs.
 */
export function retryDelay(
  failure: CallFailure,
  retry: number,
  settings: RetrySettings,
  now = Date.now(),
): number | null {
  if (!isRetryable(failure) || retry > settings.maxRetries) return null;
  const hinted = retryAfterMs(failure, now);
  const backoff = settings.retryBaseMs * 2 ** (retry - 1);
  return Math.min(hinted ?? backoff, settings.retryMaxMs);
}
