// A scriptable OpenAI-compatible model server: the one stand-in the test suite allows.
// Replies are scripted per model alias; every request is recorded; latency, 429/500 and hangs can be injected.
// Also runnable on its own: bun run test/fakeModel.ts --script script.json [--port 4001]
import type { Server } from "bun";

export type ChatRequestBody = { model: string; messages: { role: string; content: string }[]; [key: string]: unknown };
export type RecordedRequest = {
  model: string;
  body: ChatRequestBody;
  authorization: string | null;
  path: string;
  at: number;
};
export type ScriptStep =
  | string
  | {
      reply: string;
      delayMs?: number;
      costUsd?: number;
      promptTokens?: number;
      cachedTokens?: number;
      /** llama.cpp's `timings` (prompt and generation milliseconds), as its server adds them to a completion. */
      serverMs?: { prompt: number; predicted: number };
    }
  | { status: number; retryAfter?: string; message?: string; delayMs?: number }
  | { hang: true }
  /** Decides the step when the request arrives; a promise holds the reply until the test lets it go. */
  | ((request: RecordedRequest) => ScriptStep | Promise<ScriptStep>);

export type FakeModelOptions = {
  /** Replies per alias, used in order. */
  replies?: Record<string, ScriptStep[]>;
  /** Per alias, used when it has no scripted reply left; otherwise HTTP 500 "no scripted reply". */
  fallback?: Record<string, ScriptStep>;
  /** Added before every reply. */
  latencyMs?: number;
  /** Default replies for the advisor aliases "spec-writer" and "mentor" (on unless false). */
  advisors?: boolean;
  /** Extra GET routes by exact path, answered with this JSON or by the function: e.g. /health/readiness, /model/info, /api/tags. */
  get?: Record<string, object | ((request: Request) => Response)>;
  port?: number;
};

export type FakeModel = {
  url: string;
  requests: RecordedRequest[];
  /** Every GET, answered or not. */
  getRequests: { path: string; authorization: string | null }[];
  /** Highest number of requests in flight at once, per alias. */
  maxInFlight: Record<string, number>;
  script(alias: string, ...steps: ScriptStep[]): void;
  requestsFor(alias: string): RecordedRequest[];
  stop(): Promise<void>;
};

/** Usage counts a quarter of the characters as tokens, unless the step says (e.g. a prompt Ollama cut short). */
function completion(
  model: string,
  text: string,
  body: ChatRequestBody,
  reportedPromptTokens?: number,
  cachedTokens?: number,
  serverMs?: { prompt: number; predicted: number },
): object {
  const promptChars = body.messages.reduce((sum, message) => sum + message.content.length, 0);
  const promptTokens = reportedPromptTokens ?? Math.ceil(promptChars / 4);
  const completionTokens = Math.ceil(text.length / 4);
  return {
    id: `chatcmpl-fake-${crypto.randomUUID().slice(0, 8)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      // As llama.cpp's server and OpenAI report the prompt cache.
      ...(cachedTokens === undefined ? {} : { prompt_tokens_details: { cached_tokens: cachedTokens } }),
    },
    ...(serverMs === undefined
      ? {}
      : {
          timings: {
            prompt_n: promptTokens,
            prompt_ms: serverMs.prompt,
            predicted_n: completionTokens,
            predicted_ms: serverMs.predicted,
          },
        }),
  };
}

/** Plausible advisor replies, so every test exercises the spec and checkpoint path unless it scripts its own. */
export const ADVISOR_REPLIES = {
  "spec-writer":
    "## Problem analysis\nThe task asks for the change it describes.\n\n## Contract\nThe owned files must satisfy the checks.",
  mentor: [
    "## Failing-test analysis\nThe last attempt failed its checks.",
    "## Root cause\nThe change did not do what the task asks.",
    "## Proposed fix\nRead the task again and change only what it asks.",
    "## Edge cases to verify\nEmpty input.",
    "## Strategy\nWork from the task's exact words.",
    "## Test criteria\nf(1) -> 1",
  ].join("\n\n"),
};

function errorResponse(status: number, message: string, retryAfter?: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (retryAfter !== undefined) headers["retry-after"] = retryAfter;
  return new Response(JSON.stringify({ error: { message, type: "fake_error", code: String(status) } }), {
    status,
    headers,
  });
}

export function startFakeModel(options: FakeModelOptions = {}): FakeModel {
  const queues = new Map<string, ScriptStep[]>(
    Object.entries(options.replies ?? {}).map(([alias, steps]) => [alias, [...steps]]),
  );
  const requests: RecordedRequest[] = [];
  const getRequests: FakeModel["getRequests"] = [];
  const inFlight: Record<string, number> = {};
  const maxInFlight: Record<string, number> = {};
  const hanging = new Set<() => void>();

  function nextStep(request: RecordedRequest): ScriptStep {
    const queued = queues.get(request.model)?.shift();
    if (queued !== undefined) return queued;
    const advisor =
      options.advisors === false ? undefined : ADVISOR_REPLIES[request.model as keyof typeof ADVISOR_REPLIES];
    return (
      options.fallback?.[request.model] ?? advisor ?? { status: 500, message: `no scripted reply for ${request.model}` }
    );
  }

  async function respond(step: ScriptStep, request: RecordedRequest): Promise<Response> {
    if (typeof step === "function") return respond(await step(request), request);
    if (typeof step === "string") return Response.json(completion(request.model, step, request.body));
    if ("hang" in step) {
      await new Promise<void>((resolve) => hanging.add(resolve));
      return errorResponse(503, "server stopped");
    }
    if (step.delayMs) await Bun.sleep(step.delayMs);
    if ("status" in step) return errorResponse(step.status, step.message ?? `scripted ${step.status}`, step.retryAfter);
    const headers = step.costUsd === undefined ? undefined : { "x-litellm-response-cost": String(step.costUsd) };
    return Response.json(
      completion(request.model, step.reply, request.body, step.promptTokens, step.cachedTokens, step.serverMs),
      {
        headers,
      },
    );
  }

  const server: Server<undefined> = Bun.serve({
    port: options.port ?? 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(httpRequest) {
      const path = new URL(httpRequest.url).pathname;
      if (httpRequest.method === "GET")
        getRequests.push({ path, authorization: httpRequest.headers.get("authorization") });
      const route = httpRequest.method === "GET" ? options.get?.[path] : undefined;
      if (route !== undefined) return typeof route === "function" ? route(httpRequest) : Response.json(route);
      if (httpRequest.method === "GET" && path.endsWith("/models")) {
        const data = [...new Set([...queues.keys(), ...Object.keys(options.fallback ?? {})])];
        return Response.json({ object: "list", data: data.map((id) => ({ id, object: "model" })) });
      }
      if (httpRequest.method !== "POST" || !path.endsWith("/chat/completions"))
        return errorResponse(404, `no route ${path}`);
      const body = (await httpRequest.json()) as ChatRequestBody;
      const request: RecordedRequest = {
        model: body.model,
        body,
        authorization: httpRequest.headers.get("authorization"),
        path,
        at: Date.now(),
      };
      requests.push(request);
      inFlight[body.model] = (inFlight[body.model] ?? 0) + 1;
      maxInFlight[body.model] = Math.max(maxInFlight[body.model] ?? 0, inFlight[body.model]!);
      try {
        if (options.latencyMs) await Bun.sleep(options.latencyMs);
        return await respond(nextStep(request), request);
      } finally {
        inFlight[body.model]! -= 1;
      }
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    requests,
    getRequests,
    maxInFlight,
    script(alias, ...steps) {
      queues.set(alias, [...(queues.get(alias) ?? []), ...steps]);
    },
    requestsFor: (alias) => requests.filter((request) => request.model === alias),
    async stop() {
      for (const release of hanging) release();
      await server.stop(true);
    },
  };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const scriptPath = args[args.indexOf("--script") + 1];
  const port = args.includes("--port") ? Number(args[args.indexOf("--port") + 1]) : 4001;
  const options = (
    scriptPath && args.includes("--script") ? await Bun.file(scriptPath).json() : {}
  ) as FakeModelOptions;
  const fake = startFakeModel({ ...options, port });
  console.log(`fake model server listening on ${fake.url}`);
}
