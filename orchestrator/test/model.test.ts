// The model client against the fake server: the context size it sends, and prompts the backend cut or refused.
import { afterEach, describe, expect, test } from "bun:test";
import { EndpointUnreachable, PromptTooLong } from "../src/errors.ts";
import { createModelClient } from "../src/models/client.ts";
import { readinessGate } from "../src/models/readiness.ts";
import { startFakeModel, type FakeModel } from "./fakeModel.ts";
import type { ChatMessage } from "../src/types.ts";

let fake: FakeModel | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

const messages: ChatMessage[] = [
  { role: "system", content: "You edit code." },
  { role: "user", content: "x".repeat(20_000) },
];

/** A port nothing listens on (bound, then released). */
function closedPort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

function client(url: string, ready?: () => Promise<void>) {
  return createModelClient({
    url,
    apiKey: "k",
    timeoutMs: 5_000,
    maxRetries: 2,
    retryBaseMs: 1,
    retryMaxMs: 5,
    readiness: ready ? readinessGate(ready) : undefined,
  });
}

describe("context size", () => {
  test("num_ctx goes with every call of a tier that has one, and not otherwise", async () => {
    fake = startFakeModel({ fallback: { local: "ok", frontier: "ok" } });
    await client(fake.url).complete({ model: "local", messages, contextTokens: 16_384 });
    await client(fake.url).complete({ model: "frontier", messages, contextTokens: null });
    expect(fake.requestsFor("local")[0]?.body.num_ctx).toBe(16_384);
    expect(fake.requestsFor("frontier")[0]?.body).not.toHaveProperty("num_ctx");
  });
});

describe("sampling", () => {
  test("greedy unless a temperature is asked for; a seed goes only when given", async () => {
    fake = startFakeModel({ fallback: { local: "ok" } });
    await client(fake.url).complete({ model: "local", messages });
    await client(fake.url).complete({ model: "local", messages, temperature: 0.7, seed: 11 });
    const [greedy, sampled] = fake.requestsFor("local").map((request) => request.body);
    expect(greedy).toMatchObject({ temperature: 0 });
    expect(greedy).not.toHaveProperty("seed");
    expect(sampled).toMatchObject({ temperature: 0.7, seed: 11 });
  });
});

describe("Bun's own fetch deadline", () => {
  test("model calls go out with Bun's 5-minute idle timeout off (timeout: false), the SDK's timeout keeping the deadline", async () => {
    const { untimedFetch } = await import("../src/models/client.ts");
    const seen: RequestInit[] = [];
    const real = globalThis.fetch;
    globalThis.fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      seen.push(init ?? {});
      return new Response("{}");
    }) as typeof fetch;
    try {
      await untimedFetch("http://127.0.0.1:1/v1/chat/completions", { method: "POST", headers: { a: "b" } });
    } finally {
      globalThis.fetch = real;
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", headers: { a: "b" }, timeout: false });
  });
});

describe("the server's compute time", () => {
  test("read from llama.cpp's timings (prompt + generation), null where a backend reports none", async () => {
    fake = startFakeModel({
      replies: { local: [{ reply: "a", serverMs: { prompt: 812.4, predicted: 2_400.2 } }, { reply: "b" }] },
    });
    expect(await client(fake.url).complete({ model: "local", messages })).toMatchObject({ computeMs: 3213 });
    expect(await client(fake.url).complete({ model: "local", messages })).toMatchObject({ computeMs: null });
  });
});

describe("the prompt cache", () => {
  test("cached prompt tokens are read from usage.prompt_tokens_details, and are 0 where a backend reports none", async () => {
    fake = startFakeModel({
      replies: {
        local: [
          { reply: "a", promptTokens: 900, cachedTokens: 850 },
          { reply: "b", promptTokens: 900 },
        ],
      },
    });
    expect(await client(fake.url).complete({ model: "local", messages })).toMatchObject({
      tokensIn: 900,
      tokensCached: 850,
    });
    expect(await client(fake.url).complete({ model: "local", messages })).toMatchObject({
      tokensIn: 900,
      tokensCached: 0,
    });
  });
});

describe("prompts that did not fit", () => {
  test("a prompt cut to the context (Ollama's silent truncation) is marked truncated, and not retried", async () => {
    fake = startFakeModel({ fallback: { local: { reply: "an answer to half a prompt", promptTokens: 2048 } } });
    const completion = await client(fake.url).complete({ model: "local", messages, contextTokens: 2048 });
    expect(completion).toMatchObject({
      tokensIn: 2048,
      truncated: "the prompt filled the context window (2048 of 2048 tokens)",
    });
    expect(fake.requestsFor("local")).toHaveLength(1);
  });

  test("too few prompt tokens for the text sent is truncation even without a context size", async () => {
    fake = startFakeModel({ fallback: { local: { reply: "answer", promptTokens: 900 } } });
    const completion = await client(fake.url).complete({ model: "local", messages });
    expect(completion.truncated).toContain("900 prompt tokens for 20014 characters");
  });

  test("a 400 saying the context is exceeded is PromptTooLong, and not retried", async () => {
    fake = startFakeModel({
      fallback: { local: { status: 400, message: "Requested tokens (9000) exceed context window of 8192" } },
    });
    const error = await client(fake.url)
      .complete({ model: "local", messages, contextTokens: 8192 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PromptTooLong);
    expect((error as PromptTooLong).reason).toContain("exceed context window of 8192");
    expect(fake.requestsFor("local")).toHaveLength(1);
  });

  test("an honest count passes", async () => {
    fake = startFakeModel({ fallback: { local: "fine" } });
    const completion = await client(fake.url).complete({ model: "local", messages, contextTokens: 16_384 });
    expect(completion).toMatchObject({ text: "fine", tokensIn: Math.ceil(20_014 / 4), truncated: null });
  });
});

test("the ready hook is awaited before the request is sent", async () => {
  fake = startFakeModel({ fallback: { local: "ok" } });
  const order: string[] = [];
  const ready = async () => {
    await Bun.sleep(50);
    order.push(`ready, ${fake!.requests.length} requests so far`);
  };
  await client(fake.url, ready).complete({ model: "local", messages });
  expect(order).toEqual(["ready, 0 requests so far"]);
  expect(fake.requests).toHaveLength(1);
});

test("after a call finds the endpoint unreachable, the next call waits for readiness again", async () => {
  let checks = 0;
  const gone = createModelClient({
    url: `http://127.0.0.1:${closedPort()}/v1`,
    apiKey: "k",
    timeoutMs: 5_000,
    maxRetries: 1,
    retryBaseMs: 1,
    retryMaxMs: 1,
    readiness: readinessGate(async () => void checks++),
  });
  for (const expected of [1, 2]) {
    expect(await gone.complete({ model: "local", messages }).catch((e: unknown) => e)).toBeInstanceOf(
      EndpointUnreachable,
    );
    expect(checks).toBe(expected);
  }
});

test("Ctrl-C during a retry's backoff stops the call there", async () => {
  fake = startFakeModel({ fallback: { local: { status: 503, retryAfter: "3600" } } });
  const controller = new AbortController();
  const reason = new DOMException("interrupted", "AbortError");
  // The server asks for an hour's wait; only a backoff that honours the signal ends within the test's time.
  const slow = createModelClient({
    url: fake.url,
    apiKey: "k",
    timeoutMs: 5_000,
    maxRetries: 3,
    retryBaseMs: 1,
    retryMaxMs: 3_600_000,
  });
  const call = slow.complete({
    model: "local",
    messages,
    signal: controller.signal,
    onRetry: () => setTimeout(() => controller.abort(reason), 20),
  });
  expect(await call.catch((e: unknown) => e)).toBe(reason);
  expect(fake.requests).toHaveLength(1);
});

describe("the proxy's cost headers", () => {
  /** An endpoint that answers every call with these headers (what LiteLLM sends varies by call). */
  function withHeaders(headers: Record<string, string>) {
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        Response.json(
          {
            id: "x",
            object: "chat.completion",
            created: 0,
            model: "m",
            choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
            usage: { prompt_tokens: 5000, completion_tokens: 2, total_tokens: 5002 },
          },
          { headers },
        ),
    });
    return { url: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
  }

  test.each([
    ["x-litellm-response-cost", { "x-litellm-response-cost": "0.0042" }, 0.0042],
    [
      "only its -original twin: LiteLLM sends it as 0 for models it cannot price, so it is not taken",
      { "x-litellm-response-cost-original": "0" },
      null,
    ],
    [
      "the plain one, whatever the twin says",
      { "x-litellm-response-cost": "0.5", "x-litellm-response-cost-original": "0.7" },
      0.5,
    ],
    ["neither: no cost from the proxy", {}, null],
    ["not a number: no cost from the proxy", { "x-litellm-response-cost": "n/a" }, null],
  ])("%s", async (_, headers, expected) => {
    const endpoint = withHeaders(headers);
    try {
      const completion = await client(endpoint.url).complete({ model: "m", messages });
      expect(completion.costUsd).toBe(expected);
    } finally {
      endpoint.stop();
    }
  });
});
