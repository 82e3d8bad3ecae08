// End to end through a real LiteLLM proxy: the real CLI calls the proxy with its master key, the proxy resolves
// smol-coder's aliases to upstream names on the fake model server. Proves what the fake alone cannot: alias
// routing, the proxy's cost header, both layers of retries, and LiteLLM's answers to a bad key or alias.
// One proxy for the whole file (it starts slowly); each test gets a fresh fake server on the proxy's upstream port.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LOCAL_CONTEXT_TOKENS } from "../src/config/config.ts";
import { probeHealth } from "../src/models/health.ts";
import { isSecretName } from "../src/log/secrets.ts";
import { startFakeModel, type ScriptStep } from "./fakeModel.ts";
import {
  diffReply,
  eventNames,
  perTestResources,
  runCli,
  tempDir,
  treeState,
  tsWorkspace,
  type CliResult,
} from "./helpers.ts";
import {
  freePort,
  startProxyServer,
  UPSTREAM,
  UPSTREAM_ADVISOR_REPLIES,
  type ProxyServer,
  type TokenCost,
} from "./proxyServer.ts";

const MATH = "src/math.ts";
const BEFORE = readFileSync(path.join(import.meta.dir, "fixtures", "ts-workspace", MATH), "utf8");
const RIGHT = BEFORE.replace(
  '  throw new Error("not implemented");',
  "  return prices.reduce((sum, price) => sum + price, 0);",
);
const WRONG = BEFORE.replace(
  '): number {\n  throw new Error("not implemented");',
  '): string {\n  return prices.join("+");',
);
const TASK = JSON.stringify({ description: "Implement total() so it sums the prices.", filesOwned: [MATH] });

/** The proxy prices every alias but the spec writer, which is left to smol-coder's own price table. */
const PROXY_COSTS: Record<string, TokenCost> = {
  "fast-coder": { inputCostPerToken: 2e-6, outputCostPerToken: 1e-5 },
  "deep-coder": { inputCostPerToken: 4e-6, outputCostPerToken: 2e-5 },
  reviewer: { inputCostPerToken: 3e-6, outputCostPerToken: 1.5e-5 },
  mentor: { inputCostPerToken: 3e-6, outputCostPerToken: 1.5e-5 },
};
/** The proxy retries each failed upstream call once itself; smol-coder then retries twice more, quickly. */
const PROXY_RETRIES = 1;
const CLI_RETRIES = { maxRetries: 2, retryBaseMs: 20, retryMaxMs: 2000 };

const UPSTREAM_PORT = freePort();
const resources = perTestResources();
const workspace = () => resources.track(tsWorkspace());
let proxy: ProxyServer;

/** A fresh fake model server where the proxy sends its upstream calls, with the advisors' default replies. */
function fakeUpstream(replies: Record<string, ScriptStep[]> = {}, fallback: Record<string, ScriptStep> = {}) {
  resources.fake = startFakeModel({
    port: UPSTREAM_PORT,
    replies,
    fallback: { ...UPSTREAM_ADVISOR_REPLIES, ...fallback },
  });
  return resources.fake;
}

function configFile(config: Record<string, unknown>): string {
  const file = path.join(resources.track(tempDir("smol-proxy-config-")), "config.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function run(
  dir: string,
  options: { config?: Record<string, unknown>; apiKey?: string; args?: string[] } = {},
): Promise<CliResult> {
  const config = configFile({
    ...options.config,
    endpoint: { ...CLI_RETRIES, ...(options.config?.endpoint as object) },
  });
  return runCli(["--workspace", dir, "--config", config, ...(options.args ?? [])], {
    stdin: TASK,
    env: { LITELLM_URL: proxy.url, LITELLM_API_KEY: options.apiKey ?? proxy.masterKey },
  });
}

function callsTo(result: CliResult, alias: string) {
  return result.events.filter((event) => event.event === "model_call_completed" && event.model === alias);
}

beforeAll(async () => {
  // Not waited for here: the first test starts the CLI while the proxy is still starting.
  proxy = await startProxyServer({
    upstreamUrl: `http://127.0.0.1:${UPSTREAM_PORT}/v1`,
    numRetries: PROXY_RETRIES,
    costs: PROXY_COSTS,
    waitForReady: false,
  });
});

afterAll(async () => {
  await proxy?.stop();
});

describe("a proxy that is still starting", () => {
  test("the CLI waits for /health/readiness, then completes the task through it", async () => {
    const fake = fakeUpstream({ [UPSTREAM["fast-coder"]]: [diffReply(MATH, BEFORE, RIGHT)] });
    expect((await probeHealth(proxy.url, "readiness", { timeoutMs: 1_000 })).state).not.toBe("up");
    const result = await run(workspace(), { config: { endpoint: { readyTimeoutMs: 90_000 } } });
    expect(result.exitCode).toBe(0);
    const names = eventNames(result);
    expect(names.indexOf("endpoint_not_ready")).toBeGreaterThanOrEqual(0);
    expect(names.indexOf("endpoint_ready")).toBeGreaterThan(names.indexOf("endpoint_not_ready"));
    // The first call waits for readiness inside the model client, after its model_call_started; no retry is spent on the wait.
    expect(names.indexOf("model_call_completed")).toBeGreaterThan(names.indexOf("endpoint_ready"));
    expect(names).not.toContain("model_call_retried");
    const ready = result.events.filter((event) => event.event === "endpoint_ready");
    expect(ready).toHaveLength(1);
    expect(fake.requests.map((request) => request.model)).toEqual([UPSTREAM["spec-writer"], UPSTREAM["fast-coder"]]);
    expect(fake.requests[0]!.at).toBeGreaterThanOrEqual(ready[0]!.time as number);
  }, 120_000);
});

describe("through the proxy", () => {
  beforeAll(() => proxy.ready, 120_000);

  test("every alias resolves to its upstream model, escalating fast → deep → reviewer with both advisors", async () => {
    const fake = fakeUpstream({
      [UPSTREAM["fast-coder"]]: [diffReply(MATH, BEFORE, WRONG), diffReply(MATH, BEFORE, WRONG)],
      [UPSTREAM["deep-coder"]]: [diffReply(MATH, BEFORE, WRONG), diffReply(MATH, BEFORE, WRONG)],
      [UPSTREAM.reviewer]: [diffReply(MATH, BEFORE, RIGHT)],
    });
    const dir = workspace();
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    expect(fake.requests.map((request) => request.model)).toEqual([
      UPSTREAM["spec-writer"],
      UPSTREAM["fast-coder"],
      UPSTREAM["fast-coder"],
      UPSTREAM.mentor,
      UPSTREAM["deep-coder"],
      UPSTREAM["deep-coder"],
      UPSTREAM.mentor,
      UPSTREAM.reviewer,
    ]);
    expect(result.events.at(-1)).toMatchObject({ event: "task_completed", totalAttempts: 5, finalTier: "reviewer" });
    // The proxy authenticates smol-coder and calls upstream with its own key: the master key stops at the proxy.
    expect(new Set(fake.requests.map((request) => request.authorization))).toEqual(new Set(["Bearer fake-upstream"]));
    expect(fake.requests.at(-1)!.body.messages.at(-1)!.content).toContain("TS2322");
    // num_ctx, sent to the local aliases only, passes through the proxy to an openai/ upstream unchanged.
    const contextByModel = Object.fromEntries(
      fake.requests.map((request) => [request.model, request.body.num_ctx ?? null]),
    );
    expect(contextByModel).toEqual({
      [UPSTREAM["spec-writer"]]: LOCAL_CONTEXT_TOKENS,
      [UPSTREAM["fast-coder"]]: LOCAL_CONTEXT_TOKENS,
      [UPSTREAM["deep-coder"]]: LOCAL_CONTEXT_TOKENS,
      [UPSTREAM.mentor]: null,
      [UPSTREAM.reviewer]: null,
    });
    expect(result.stdout + result.stderr).not.toContain(proxy.masterKey);
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(RIGHT);
  }, 60_000);

  test("the proxy's x-litellm-response-cost is the call's cost, in events and in the run store", async () => {
    fakeUpstream({ [UPSTREAM["fast-coder"]]: [diffReply(MATH, BEFORE, RIGHT)] });
    const db = path.join(resources.track(tempDir("smol-proxy-db-")), "runs.db");
    const result = await run(workspace(), { args: ["--db", db] });
    expect(result.exitCode).toBe(0);
    const [fast] = callsTo(result, "fast-coder");
    const price = PROXY_COSTS["fast-coder"]!;
    const tokensIn = fast!.tokensIn as number;
    const tokensOut = fast!.tokensOut as number;
    expect(tokensIn).toBeGreaterThan(0);
    expect(fast).toMatchObject({ costSource: "header" });
    // smol-coder's own table prices fast-coder at 0: a non-zero cost can only be the proxy's figure.
    expect(fast!.costUsd as number).toBeCloseTo(
      tokensIn * price.inputCostPerToken + tokensOut * price.outputCostPerToken,
      12,
    );
    // The proxy sends no cost header for a model it cannot price: smol-coder falls back to its table.
    expect(callsTo(result, "spec-writer")[0]).toMatchObject({ costSource: "table", costUsd: 0 });
    const store = new Database(db, { readonly: true });
    try {
      const rows = store
        .query("SELECT alias, cost_usd AS costUsd, cost_source AS costSource FROM model_calls ORDER BY id")
        .all();
      expect(rows).toEqual([
        { alias: "spec-writer", costUsd: 0, costSource: "table" },
        { alias: "fast-coder", costUsd: fast!.costUsd as number, costSource: "header" },
      ]);
    } finally {
      store.close();
    }
  }, 30_000);

  test("an upstream 500 is retried by the proxy's router, unseen by smol-coder", async () => {
    const fake = fakeUpstream({ [UPSTREAM["fast-coder"]]: [{ status: 500 }, diffReply(MATH, BEFORE, RIGHT)] });
    const result = await run(workspace());
    expect(result.exitCode).toBe(0);
    expect(fake.requestsFor(UPSTREAM["fast-coder"])).toHaveLength(2);
    expect(eventNames(result)).not.toContain("model_call_retried");
    expect(callsTo(result, "fast-coder")[0]).toMatchObject({ retries: 0 });
  }, 30_000);

  test("persistent 500s: the proxy retries each of smol-coder's tries, then exit 3 with the workspace untouched", async () => {
    const fake = fakeUpstream({}, { [UPSTREAM["fast-coder"]]: { status: 500 } });
    const dir = workspace();
    const before = treeState(dir);
    const result = await run(dir);
    expect(result.exitCode).toBe(3);
    expect(fake.requestsFor(UPSTREAM["fast-coder"])).toHaveLength((1 + CLI_RETRIES.maxRetries) * (1 + PROXY_RETRIES));
    expect(result.events.filter((event) => event.event === "model_call_retried").map((event) => event.failure)).toEqual(
      ["HTTP 500", "HTTP 500"],
    );
    expect(result.events.at(-1)).toMatchObject({ event: "task_aborted", reason: "unreachable" });
    expect(treeState(dir)).toEqual(before);
  }, 40_000);

  test("a 429 with retry-after: the proxy waits and retries, smol-coder retries the 429 it passes on, then completes", async () => {
    const limited = { status: 429, retryAfter: "1" };
    const fake = fakeUpstream({ [UPSTREAM["fast-coder"]]: [limited, limited, diffReply(MATH, BEFORE, RIGHT)] });
    const result = await run(workspace());
    expect(result.exitCode).toBe(0);
    const calls = fake.requestsFor(UPSTREAM["fast-coder"]);
    expect(calls).toHaveLength(3);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(900);
    // LiteLLM passes the upstream's hint on as llm_provider-retry-after, not retry-after: smol-coder reads that name too.
    expect(result.events.filter((event) => event.event === "model_call_retried")).toEqual([
      expect.objectContaining({ failure: "HTTP 429", retry: 1, delayMs: 1000 }),
    ]);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(900);
    expect(callsTo(result, "fast-coder")[0]).toMatchObject({ retries: 1 });
  }, 40_000);

  test("a wrong key: exit 2, the refusal in an event, no key in the output, nothing sent upstream", async () => {
    const fake = fakeUpstream();
    const wrongKey = "sk-wrong-key-0123456789abcdef";
    const result = await run(workspace(), { apiKey: wrongKey });
    expect(result.exitCode).toBe(2);
    // Without a database LiteLLM answers an unknown key with 400 "No connected db.", not 401.
    const rejected = result.events.find((event) => event.event === "endpoint_rejected");
    expect(rejected?.reason).toContain("refused the request (HTTP 400)");
    expect(rejected?.reason).toContain("set LITELLM_API_KEY to its master key");
    expect(result.events.at(-1)).toMatchObject({ event: "task_aborted", reason: "rejected", totalAttempts: 0 });
    expect(result.stderr).toContain("rejected");
    expect(result.stdout + result.stderr).not.toContain(wrongKey);
    expect(result.stdout + result.stderr).not.toContain(proxy.masterKey);
    expect(fake.requests).toEqual([]);
  }, 30_000);

  test("the proxy's environment holds its master key and no other secret", () => {
    const environment = readFileSync(`/proc/${proxy.pid}/environ`, "utf8").split("\0").filter(Boolean);
    const names = environment.map((entry) => entry.slice(0, entry.indexOf("=")));
    expect(names.filter(isSecretName)).toEqual(["LITELLM_MASTER_KEY"]);
    const secrets = Object.entries(process.env).filter(
      ([name, value]) => isSecretName(name) && value && value.length >= 8,
    );
    for (const [name, value] of secrets)
      expect([name, environment.some((entry) => entry.includes(value!))]).toEqual([name, false]);
  });

  test("an alias the proxy does not know: exit 2, named in the refusal, not retried", async () => {
    const fake = fakeUpstream();
    const result = await run(workspace(), { config: { tiers: { fast: { model: "fast-coder-typo" } } } });
    expect(result.exitCode).toBe(2);
    const rejected = result.events.find((event) => event.event === "endpoint_rejected");
    expect(rejected?.reason).toContain("HTTP 400");
    expect(rejected?.reason).toContain("Invalid model name passed in model=fast-coder-typo");
    expect(eventNames(result)).not.toContain("model_call_retried");
    expect(fake.requests.map((request) => request.model)).toEqual([UPSTREAM["spec-writer"]]);
  }, 30_000);
});
