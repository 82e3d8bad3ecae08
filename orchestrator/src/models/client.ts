// Model access: every call goes to the OpenAI-compatible endpoint (the LiteLLM proxy), with timeouts and retries.
import OpenAI from "openai";
import { isContextOverflow, promptChars, truncation } from "./context.ts";
import { EndpointRejected, EndpointUnreachable, PromptTooLong } from "../errors.ts";
import { retryDelay, type CallFailure, type RetrySettings } from "./retry.ts";
import { abortableSleep } from "./abortable.ts";
import { serverComputeMs } from "./timings.ts";
import type { ReadinessGate } from "./readiness.ts";
import type { ChatMessage } from "../types.ts";

export type Completion = {
  text: string;
  tokensIn: number;
  tokensOut: number;
  /** Prompt tokens the server took from its prompt cache (llama.cpp and OpenAI report them); 0 when not reported. */
  tokensCached: number;
  /** From LiteLLM's x-litellm-response-cost header, when the proxy sent it. */
  costUsd: number | null;
  durationMs: number;
  /** The server's own compute time (llama.cpp's timings: prompt + generation), or null when it did not say. */
  computeMs: number | null;
  retries: number;
  /** Why the usage shows the backend saw only part of the prompt (Ollama cuts silently), or null. */
  truncated: string | null;
};
export type RetryNotice = { model: string; retry: number; delayMs: number; failure: string };
export type CompletionRequest = {
  model: string;
  messages: ChatMessage[];
  /** The model's context window, sent as num_ctx (Ollama); null or absent: not sent. */
  contextTokens?: number | null;
  /** A cap on the reply's tokens; absent: the proxy's (or server's) own. */
  maxTokens?: number;
  /** Sampling temperature; absent: 0 (greedy). */
  temperature?: number;
  /** The sampler's seed (OpenAI's and llama.cpp's `seed`), so a sampled reply can be asked for again. */
  seed?: number;
  signal?: AbortSignal;
  onRetry?: (notice: RetryNotice) => void;
};
export type ModelClient = {
  complete(request: CompletionRequest): Promise<Completion>;
};
export type ModelClientOptions = RetrySettings & {
  url: string;
  apiKey: string | undefined;
  timeoutMs: number;
  /** The wait between retries; it must honour the signal (Ctrl-C during a backoff stops at once). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Waited on before every call (the proxy's readiness); told to forget when a call found the endpoint unreachable. */
  readiness?: ReadinessGate;
};

function classify(error: unknown): CallFailure {
  if (error instanceof OpenAI.APIUserAbortError) return { kind: "aborted" };
  if (error instanceof OpenAI.APIConnectionTimeoutError) return { kind: "timeout" };
  if (error instanceof OpenAI.APIConnectionError) return { kind: "connection" };
  if (error instanceof OpenAI.APIError && typeof error.status === "number") {
    return {
      kind: "http",
      status: error.status,
      // LiteLLM honours the upstream's retry-after for its own retries, then passes it on under this name.
      retryAfter: error.headers?.get("retry-after") ?? error.headers?.get("llm_provider-retry-after"),
      retryAfterMs: error.headers?.get("retry-after-ms") ?? error.headers?.get("llm_provider-retry-after-ms"),
    };
  }
  throw error;
}

function describe(failure: CallFailure): string {
  return failure.kind === "http" ? `HTTP ${failure.status}` : failure.kind;
}

function errorText(error: unknown): string {
  const text =
    error instanceof OpenAI.APIError
      ? ((error.error as { message?: string } | undefined)?.message ?? error.message)
      : String(error);
  const flat = text.replace(/\s+/g, " ").slice(0, 300);
  // A LiteLLM proxy without a database answers any key but its master key with this, as a 400.
  return /no connected db/i.test(flat)
    ? `${flat} (the proxy did not accept the key: set LITELLM_API_KEY to its master key)`
    : flat;
}

/**
 * Bun's fetch gives up on a response that sends nothing for 5 minutes, whatever the caller's timeout, and a model
 * call is not streamed: a 1.5B on one core that writes for longer failed at 300 s, not at endpoint.timeoutMs, and
 * its retry doubled the server's load. `timeout: false` (Bun's option) leaves the deadline to the SDK's timeout.
 */
export const untimedFetch = ((url: string | URL | Request, init?: RequestInit) =>
  fetch(url, { ...init, timeout: false } as RequestInit)) as typeof fetch;

export function createModelClient(options: ModelClientOptions): ModelClient {
  const client = new OpenAI({
    baseURL: options.url,
    // The proxy may run without a key; the SDK insists on a non-empty string.
    apiKey: options.apiKey || "no-key",
    timeout: options.timeoutMs,
    maxRetries: 0, // retries are ours, so they are observable and follow retry.ts
    fetch: untimedFetch,
  });
  const sleep = options.sleep ?? abortableSleep;

  return {
    async complete({ model, messages, contextTokens, maxTokens, temperature, seed, signal, onRetry }) {
      await options.readiness?.wait(signal);
      // num_ctx is Ollama's; LiteLLM passes it through to ollama_chat models. Not an OpenAI field, hence the cast.
      const body = {
        model,
        messages,
        temperature: temperature ?? 0,
        ...(seed !== undefined ? { seed } : {}),
        ...(contextTokens ? { num_ctx: contextTokens } : {}),
        ...(maxTokens ? { max_tokens: maxTokens } : {}),
      } as OpenAI.ChatCompletionCreateParamsNonStreaming;
      for (let retry = 0; ; retry++) {
        const started = performance.now();
        try {
          const { data, response } = await client.chat.completions.create(body, { signal }).withResponse();
          // Only the plain header: LiteLLM sends its -original twin as 0 for models it cannot price, too, where the
          // configured prices are the better guess. (It leaves the plain header out when the cost is 0.)
          const costHeader = response.headers.get("x-litellm-response-cost");
          const cost = Number(costHeader);
          const tokensIn = data.usage?.prompt_tokens ?? 0;
          return {
            text: data.choices[0]?.message?.content ?? "",
            tokensIn,
            tokensOut: data.usage?.completion_tokens ?? 0,
            tokensCached: data.usage?.prompt_tokens_details?.cached_tokens ?? 0,
            costUsd: costHeader !== null && costHeader !== "" && Number.isFinite(cost) ? cost : null,
            durationMs: Math.round(performance.now() - started),
            computeMs: serverComputeMs(data),
            retries: retry,
            truncated: truncation({
              promptChars: promptChars(messages),
              tokensIn,
              contextTokens: contextTokens ?? null,
            }),
          };
        } catch (error) {
          const failure = classify(error);
          if (failure.kind === "aborted") throw error;
          const delayMs = retryDelay(failure, retry + 1, options);
          if (delayMs === null) {
            if (failure.kind === "http" && isContextOverflow(failure.status, errorText(error))) {
              throw new PromptTooLong(
                model,
                `the backend refused it: ${errorText(error)}`,
                null,
                contextTokens ?? null,
              );
            }
            if (failure.kind === "http" && !(failure.status === 429 || failure.status >= 500)) {
              throw new EndpointRejected(options.url, failure.status, errorText(error));
            }
            // The endpoint went away after it was ready: the next call waits for it to be ready again.
            options.readiness?.forget();
            throw new EndpointUnreachable(options.url, `${describe(failure)}: ${errorText(error)}`, retry + 1);
          }
          onRetry?.({ model, retry: retry + 1, delayMs, failure: describe(failure) });
          await sleep(delayMs, signal);
        }
      }
    },
  };
}
