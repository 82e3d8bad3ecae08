// `smol-coder doctor` through the real CLI process, with the fake model server as the proxy (and as Ollama).
// The machine's own checks (python + pytest, the sandbox, git, disk) are real.
import { describe, expect, test } from "bun:test";
import type { CheckResult, DoctorReport } from "../src/doctor/doctor.ts";
import { startFakeModel, type FakeModel, type FakeModelOptions } from "./fakeModel.ts";
import { perTestResources, runCli } from "./helpers.ts";

const API_KEY = "sk-doctor-secret-0123456789";
const ALIASES = ["fast-coder", "deep-coder", "reviewer", "spec-writer", "mentor"];
const SMALL = "qwen2.5-coder:7b-instruct";
const LARGE = "qwen2.5-coder:14b-instruct";
const INVALID_MODEL =
  "Invalid model name passed in model=deep-coder. Call `/v1/models` to view available models for your key.";

const resources = perTestResources();
const root = (fake: FakeModel) => fake.url.replace(/\/v1$/, "");

/** The fake as a LiteLLM proxy in front of Ollama: the routes doctor reads, with the Ollama models' api_base at `ollamaBase`. */
function fakeProxy(options: {
  pulled: string[];
  ollamaBase: () => string;
  fallback?: FakeModelOptions["fallback"];
}): FakeModel {
  const upstream: Record<string, string> = {
    "fast-coder": `ollama_chat/${SMALL}`,
    "deep-coder": `ollama_chat/${LARGE}`,
    "spec-writer": `ollama_chat/${SMALL}`,
  };
  const modelInfo = () => ({
    data: ALIASES.map((alias) => ({
      model_name: alias,
      litellm_params: upstream[alias]
        ? { model: upstream[alias], api_base: options.ollamaBase() }
        : { model: "anthropic/claude-sonnet-4-5" },
    })),
  });
  return startFakeModel({
    fallback: { ...Object.fromEntries(ALIASES.map((alias) => [alias, "OK"])), ...options.fallback },
    get: {
      "/health/liveliness": () => Response.json("I'm alive!"),
      "/health/readiness": { status: "healthy", db: "Not connected", litellm_version: "1.74.9" },
      "/model/info": () => Response.json(modelInfo()),
      "/api/tags": { models: options.pulled.map((name) => ({ name, model: name, size: 1 })) },
    },
  });
}

async function doctor(args: string[], env: Record<string, string>) {
  const result = await runCli(["doctor", ...args], { env: { LITELLM_API_KEY: API_KEY, OLLAMA_API_BASE: "", ...env } });
  expect(result.stdout + result.stderr).not.toContain(API_KEY);
  return result;
}

function byName(report: DoctorReport): Record<string, CheckResult> {
  return Object.fromEntries(report.checks.map((check) => [check.name, check]));
}

describe("smol-coder doctor", () => {
  test("everything answers: exit 0, JSON, every alias probed once with max_tokens 1 and the key, each with a latency", async () => {
    const fake = (resources.fake = fakeProxy({
      pulled: [SMALL, LARGE],
      ollamaBase: () => "http://host.docker.internal:11434",
    }));
    // OLLAMA_API_BASE (here the fake) wins over the api_base the proxy reports.
    const result = await doctor(["--json"], { LITELLM_URL: fake.url, OLLAMA_API_BASE: root(fake) });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report).toMatchObject({ ok: true, exitCode: 0, counts: { fail: 0 } });
    const checks = byName(report);
    for (const name of [
      "proxy",
      "proxy ready",
      `ollama ${SMALL}`,
      `ollama ${LARGE}`,
      "python + pytest",
      "sandbox",
      "git",
    ])
      expect(checks[name]?.status).toBe("ok");
    expect(checks["proxy ready"]!.detail).toBe("ready (LiteLLM 1.74.9)");
    expect(checks[`ollama ${SMALL}`]!.detail).toBe("pulled (fast-coder, spec-writer)");
    for (const alias of ALIASES) {
      expect(checks[`alias ${alias}`]).toMatchObject({ status: "ok", latencyMs: expect.any(Number) });
      const requests = fake.requestsFor(alias);
      expect(requests).toHaveLength(1);
      expect(requests[0]!.body.max_tokens).toBe(1);
      expect(requests[0]!.authorization).toBe(`Bearer ${API_KEY}`);
    }
    expect(checks["alias deep-coder"]!.detail).toBe(`answered one token (ollama_chat/${LARGE})`);
    const gets = fake.getRequests.map((request) => request.path);
    expect(gets.sort()).toEqual(["/api/tags", "/health/liveliness", "/health/readiness", "/model/info"]);
    // The model list needs the master key; plain /health (which calls every model) is never asked.
    expect(fake.getRequests.find((request) => request.path === "/model/info")!.authorization).toBe(`Bearer ${API_KEY}`);
    expect(fake.getRequests.find((request) => request.path === "/api/tags")!.authorization).toBeNull();
  }, 30_000);

  test("the proxy is down: exit 1, the fix printed under the failure, the rest of the proxy's checks skipped, no stack trace", async () => {
    const result = await doctor([], { LITELLM_URL: "http://127.0.0.1:9/v1" });
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.split("\n");
    const proxyLine = lines.findIndex((line) => line.startsWith("proxy "));
    expect(lines[proxyLine]).toMatch(/^proxy\s+FAIL\s+\d+ ms\s+nothing answers at http:\/\/127\.0\.0\.1:9 /);
    expect(lines[proxyLine + 1]).toMatch(/^\s+fix: start the proxy: smol-coder stack up, or docker compose up -d/);
    for (const alias of ALIASES)
      expect(result.stdout).toMatch(new RegExp(`alias ${alias}\\s+skip\\s+the proxy is not reachable`));
    expect(result.stdout).toMatch(/^git\s+ok/m);
    expect(lines.at(-2)).toMatch(/1 failed.*fix the failures above/);
    expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).toBe("");
  }, 30_000);

  test("an alias the proxy does not know (HTTP 400): exit 1, that alias fails with the config fix, the others pass", async () => {
    const fake: FakeModel = (resources.fake = fakeProxy({
      pulled: [SMALL, LARGE],
      ollamaBase: () => root(fake),
      fallback: { "deep-coder": { status: 400, message: INVALID_MODEL } },
    }));
    const result = await doctor(["--json"], { LITELLM_URL: fake.url });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report).toMatchObject({ ok: false, exitCode: 1, counts: { fail: 1 } });
    expect(byName(report)["alias deep-coder"]).toMatchObject({
      status: "fail",
      detail: `HTTP 400: ${INVALID_MODEL}`,
      fix: "add the alias to litellm/config.yaml",
    });
    for (const alias of ALIASES.filter((alias) => alias !== "deep-coder"))
      expect(byName(report)[`alias ${alias}`]!.status).toBe("ok");
  }, 30_000);

  test("a wrong key (HTTP 401 whose message echoes it): the key's fix, and the key is not printed", async () => {
    const refusal = {
      status: 401,
      message: `Authentication Error, Invalid proxy server token passed. Received API Key = ${API_KEY}`,
    };
    const fake: FakeModel = (resources.fake = fakeProxy({
      pulled: [SMALL, LARGE],
      ollamaBase: () => root(fake),
      fallback: Object.fromEntries(ALIASES.map((alias) => [alias, refusal])),
    }));
    const result = await doctor([], { LITELLM_URL: fake.url });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("Received API Key = [REDACTED]");
    expect(result.stdout.match(/fix: set LITELLM_API_KEY to the proxy's master key/g)).toHaveLength(ALIASES.length);
  }, 30_000);

  test("an Ollama model not pulled: exit 1 with its ollama pull; asked where the proxy says Ollama is", async () => {
    const fake: FakeModel = (resources.fake = fakeProxy({ pulled: [SMALL], ollamaBase: () => root(fake) }));
    const result = await doctor([], { LITELLM_URL: fake.url });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^ollama ${SMALL}\\s+ok\\s+\\d+ ms\\s+pulled \\(fast-coder, spec-writer\\)$`, "m"),
    );
    expect(result.stdout).toMatch(
      new RegExp(
        `^ollama ${LARGE}\\s+FAIL\\s+\\d+ ms\\s+not pulled at ${root(fake)} \\(needed by deep-coder\\)\\n\\s+fix: ollama pull ${LARGE}$`,
        "m",
      ),
    );
    expect(fake.getRequests.filter((request) => request.path === "/api/tags")).toHaveLength(1);
  }, 30_000);
});
