import { describe, expect, test } from "bun:test";
import { isContextOverflow, MAX_CHARS_PER_TOKEN, promptChars, truncation } from "./context.ts";

describe("truncation", () => {
  test("a prompt counted at a plausible rate, well inside the context, was seen whole", () => {
    expect(truncation({ promptChars: 12_000, tokensIn: 3_100, contextTokens: 16_384 })).toBeNull();
  });

  test("no usage reported: nothing can be concluded", () => {
    expect(truncation({ promptChars: 90_000, tokensIn: 0, contextTokens: 2048 })).toBeNull();
  });

  test("a context filled to the brim means Ollama cut the prompt to fit", () => {
    expect(truncation({ promptChars: 60_000, tokensIn: 2048, contextTokens: 2048 })).toBe(
      "the prompt filled the context window (2048 of 2048 tokens)",
    );
    expect(truncation({ promptChars: 8_000, tokensIn: 2010, contextTokens: 2048 })).toContain(
      "filled the context window",
    );
  });

  test("too few tokens for the characters sent: part of the prompt was dropped (no context size needed)", () => {
    const reason = truncation({ promptChars: 40_000, tokensIn: 1_200, contextTokens: null });
    expect(reason).toBe(
      "the backend counted 1200 prompt tokens for 40000 characters, so it dropped part of the prompt",
    );
  });

  test("the rate bound is generous: dense whitespace-heavy code at the bound is not flagged", () => {
    expect(truncation({ promptChars: 1_000 * MAX_CHARS_PER_TOKEN, tokensIn: 1_000, contextTokens: null })).toBeNull();
    expect(
      truncation({ promptChars: 1_000 * MAX_CHARS_PER_TOKEN + 1, tokensIn: 1_000, contextTokens: null }),
    ).not.toBeNull();
  });

  test("frontier models (no context size) are only judged by the rate", () => {
    expect(truncation({ promptChars: 400_000, tokensIn: 100_000, contextTokens: null })).toBeNull();
  });
});

describe("isContextOverflow", () => {
  test.each([
    "Requested tokens (9000) exceed context window of 8192",
    "litellm.ContextWindowExceededError: litellm.BadRequestError: prompt is too long",
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
    "prompt is too long: 210000 tokens > 200000 maximum",
    "context_length_exceeded",
  ])("a 400 saying %p", (message) => {
    expect(isContextOverflow(400, message)).toBe(true);
  });

  test("other refusals and other statuses are not overflow", () => {
    expect(isContextOverflow(400, "Invalid model name passed in model=nope")).toBe(false);
    expect(isContextOverflow(401, "context window")).toBe(false);
    expect(isContextOverflow(500, "maximum context length")).toBe(false);
  });
});

test("promptChars sums every message", () => {
  expect(
    promptChars([
      { role: "system", content: "abc" },
      { role: "user", content: "de" },
    ]),
  ).toBe(5);
});
