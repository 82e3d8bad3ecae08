import { describe, expect, test } from "bun:test";
import { isRetryable, retryAfterMs, retryDelay, type CallFailure, type RetrySettings } from "./retry.ts";

const http = (
  status: number,
  extra: { retryAfter?: string | null; retryAfterMs?: string | null } = {},
): CallFailure => ({ kind: "http", status, ...extra });
const NOW = Date.parse("2025-01-01T12:00:00Z");
const SETTINGS: RetrySettings = { maxRetries: 3, retryBaseMs: 500, retryMaxMs: 8_000 };

describe("isRetryable", () => {
  test.each([
    [{ kind: "timeout" }, true],
    [{ kind: "connection" }, true],
    [{ kind: "aborted" }, false],
    [http(408), true],
    [http(409), true],
    [http(429), true],
    [http(500), true],
    [http(502), true],
    [http(503), true],
    [http(400), false],
    [http(401), false],
    [http(403), false],
    [http(404), false],
    [http(422), false],
  ] as [CallFailure, boolean][])("%o → %p", (failure, expected) => {
    expect(isRetryable(failure)).toBe(expected);
  });
});

describe("retryAfterMs", () => {
  test("retry-after in seconds", () => {
    expect(retryAfterMs(http(429, { retryAfter: "3" }), NOW)).toBe(3000);
    expect(retryAfterMs(http(429, { retryAfter: "0" }), NOW)).toBe(0);
  });

  test("retry-after as an HTTP date, relative to now", () => {
    const date = new Date(NOW + 7_000).toUTCString();
    expect(date).toMatch(/GMT$/);
    expect(retryAfterMs(http(503, { retryAfter: date }), NOW)).toBe(7000);
  });

  test("an HTTP date in the past means no wait", () => {
    expect(retryAfterMs(http(503, { retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" }), NOW)).toBe(0);
  });

  test("retry-after-ms wins over retry-after", () => {
    expect(retryAfterMs(http(429, { retryAfter: "10", retryAfterMs: "250" }), NOW)).toBe(250);
  });

  test("garbage retry-after-ms falls back to retry-after", () => {
    expect(retryAfterMs(http(429, { retryAfter: "2", retryAfterMs: "soon" }), NOW)).toBe(2000);
  });

  test.each([["soon"], ["12abc"], ["Infinity"], [""]])("garbage retry-after %p → null", (value) => {
    expect(retryAfterMs(http(429, { retryAfter: value }), NOW)).toBeNull();
  });

  // Retry-After is delay-seconds (digits) or an HTTP date; "-5" is neither. Date.parse reads it as a date in 2001,
  // which would give 0 (retry at once) instead of null (fall back to backoff).
  test("a negative retry-after is garbage, not a date", () => {
    expect(retryAfterMs(http(429, { retryAfter: "-5" }), NOW)).toBeNull();
    expect(retryDelay(http(429, { retryAfter: "-5" }), 2, SETTINGS, NOW)).toBe(1000);
  });

  test("no headers → null", () => {
    expect(retryAfterMs(http(429), NOW)).toBeNull();
    expect(retryAfterMs(http(429, { retryAfter: null, retryAfterMs: null }), NOW)).toBeNull();
  });

  test("non-http failures → null", () => {
    expect(retryAfterMs({ kind: "timeout" }, NOW)).toBeNull();
    expect(retryAfterMs({ kind: "connection" }, NOW)).toBeNull();
  });
});

describe("retryDelay", () => {
  test("exponential backoff from retryBaseMs", () => {
    expect([1, 2, 3].map((retry) => retryDelay({ kind: "timeout" }, retry, SETTINGS, NOW))).toEqual([500, 1000, 2000]);
  });

  test("backoff is capped at retryMaxMs", () => {
    const settings = { maxRetries: 10, retryBaseMs: 1000, retryMaxMs: 5000 };
    expect([1, 2, 3, 4, 5, 10].map((retry) => retryDelay(http(503), retry, settings, NOW))).toEqual([
      1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });

  test("null after maxRetries", () => {
    expect(retryDelay({ kind: "connection" }, 3, SETTINGS, NOW)).toBe(2000);
    expect(retryDelay({ kind: "connection" }, 4, SETTINGS, NOW)).toBeNull();
    expect(retryDelay({ kind: "connection" }, 1, { ...SETTINGS, maxRetries: 0 }, NOW)).toBeNull();
  });

  test.each([[http(400)], [http(401)], [http(404)], [{ kind: "aborted" } as CallFailure]])(
    "never retries %o",
    (failure) => {
      expect(retryDelay(failure, 1, SETTINGS, NOW)).toBeNull();
    },
  );

  test("server hint wins over backoff", () => {
    expect(retryDelay(http(429, { retryAfter: "3" }), 1, SETTINGS, NOW)).toBe(3000);
    expect(retryDelay(http(429, { retryAfterMs: "10" }), 3, SETTINGS, NOW)).toBe(10);
  });

  test("server hint is capped at retryMaxMs", () => {
    expect(retryDelay(http(429, { retryAfter: "120" }), 1, SETTINGS, NOW)).toBe(8000);
  });

  test("garbage hint falls back to backoff", () => {
    expect(retryDelay(http(429, { retryAfter: "later" }), 2, SETTINGS, NOW)).toBe(1000);
  });
});
