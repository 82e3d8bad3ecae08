import { describe, expect, test } from "bun:test";
import { daemonCheck } from "./daemonCheck.ts";
import { queueCheck } from "./queueCheck.ts";
import {
  aliasCheck,
  displayUrl,
  doctorReport,
  errorMessageFrom,
  FIX_ADD_ALIAS,
  FIX_API_KEY,
  FIX_START_PROXY,
  formatReport,
  livelinessCheck,
  readinessCheck,
  verdict,
  type AliasProbe,
  type CheckResult,
  type CheckStatus,
} from "./doctor.ts";
import { diskCheck, pythonCheck, sandboxCheck } from "./machine.ts";
import {
  canonicalOllamaName,
  deploymentsFrom,
  noOllamaDetail,
  ollamaBase,
  ollamaChecks,
  ollamaModelName,
  ollamaModels,
} from "./ollama.ts";

const ROOT = "http://localhost:4000";
const INVALID_MODEL =
  "Invalid model name passed in model=deep-coder. Call `/v1/models` to view available models for your key.";

describe("proxy health", () => {
  test.each([
    ["alive", { state: "up", status: 200, body: "I'm alive!", ms: 3 }, "ok", undefined],
    ["refused", { state: "unreachable", reason: "connection refused", ms: 1 }, "fail", FIX_START_PROXY],
    [
      "a plain OpenAI server (no such route)",
      { state: "down", status: 404, body: "", ms: 2 },
      "warn",
      "point LITELLM_URL at the LiteLLM proxy (default http://localhost:4000/v1)",
    ],
    ["broken", { state: "down", status: 500, body: "", ms: 2 }, "fail", expect.stringContaining("proxy's log")],
  ] as const)("liveliness: %s", (_, probe, status, fix) => {
    const check = livelinessCheck(probe, ROOT);
    expect(check).toMatchObject({ name: "proxy", status, latencyMs: probe.ms });
    expect(check.fix).toEqual(fix);
  });

  test.each([
    [
      "ready, with its version",
      { state: "up", status: 200, body: { status: "healthy", litellm_version: "1.74.9" }, ms: 4 },
      "ok",
      "ready (LiteLLM 1.74.9)",
    ],
    [
      "no readiness route",
      { state: "down", status: 405, body: "", ms: 2 },
      "skip",
      "no /health/readiness route (not a LiteLLM proxy)",
    ],
    [
      "still starting",
      { state: "down", status: 503, body: "", ms: 2 },
      "fail",
      "not ready: /health/readiness answered HTTP 503",
    ],
  ] as const)("readiness: %s", (_, probe, status, detail) => {
    expect(readinessCheck(probe)).toMatchObject({ name: "proxy ready", status, detail });
  });
});

describe("aliasCheck", () => {
  const refused = (status: number, message: string): AliasProbe => ({ kind: "refused", status, message, ms: 7 });
  test.each<[string, AliasProbe, CheckStatus, unknown]>([
    ["answered", { kind: "answered", ms: 120 }, "ok", undefined],
    [
      "401: no or wrong key",
      refused(401, "Authentication Error, Invalid proxy server token passed."),
      "fail",
      FIX_API_KEY,
    ],
    ["400 auth (LiteLLM's wording)", refused(400, "Authentication Error, No api key passed in."), "fail", FIX_API_KEY],
    ["400 unknown alias, though its message mentions a key", refused(400, INVALID_MODEL), "fail", FIX_ADD_ALIAS],
    [
      "404 from Ollama: the model is not pulled",
      refused(
        404,
        'OllamaException - {"error":"model \\"qwen2.5-coder:14b-instruct\\" not found, try pulling it first"}',
      ),
      "fail",
      "ollama pull qwen2.5-coder:14b-instruct",
    ],
    [
      "400 a key that is not the master key, on a proxy without a database",
      refused(400, "No connected db."),
      "fail",
      FIX_API_KEY,
    ],
    ["connection refused", { kind: "unreachable", reason: "connection refused", ms: 1 }, "fail", FIX_START_PROXY],
    ["no answer in time", { kind: "timeout", ms: 30_000 }, "fail", expect.stringContaining("loading")],
    [
      "backend down",
      refused(500, "OllamaException - connection refused"),
      "fail",
      expect.stringContaining("could not use the model"),
    ],
    ["rate limited", refused(429, "slow down"), "warn", expect.stringContaining("wait")],
  ])("%s", (_, probe, status, fix) => {
    const check = aliasCheck("deep-coder", probe, {
      upstream: "ollama_chat/qwen2.5-coder:14b-instruct",
      keySent: true,
    });
    expect(check).toMatchObject({ name: "alias deep-coder", status, latencyMs: probe.ms });
    expect(check.fix as unknown).toEqual(fix);
  });

  test("an answer names the model behind the alias", () => {
    expect(
      aliasCheck("fast-coder", { kind: "answered", ms: 5 }, { upstream: "ollama_chat/qwen2.5-coder:7b", keySent: true })
        .detail,
    ).toBe("answered one token (ollama_chat/qwen2.5-coder:7b)");
  });

  test("no key sent: a bare HTTP 500 (LiteLLM without its database client) points at LITELLM_API_KEY", () => {
    const check = aliasCheck(
      "fast-coder",
      { kind: "refused", status: 500, message: "Internal Server Error", ms: 9 },
      { upstream: null, keySent: false },
    );
    expect(check.fix).toStartWith("LITELLM_API_KEY is not set: set it to the proxy's master key");
  });
});

describe("errorMessageFrom", () => {
  test.each([
    ["OpenAI-style", JSON.stringify({ error: { message: "bad  model\n name", type: "x" } }), "bad model name"],
    ["LiteLLM detail", JSON.stringify({ detail: "Not allowed" }), "Not allowed"],
    ["plain text", "Bad Gateway", "Bad Gateway"],
  ])("%s", (_, text, message) => {
    expect(errorMessageFrom(text)).toBe(message);
  });
});

// A /model/info body as LiteLLM sends it: one entry per deployment; api keys already removed by the proxy.
const MODEL_INFO = {
  data: [
    {
      model_name: "fast-coder",
      litellm_params: { model: "ollama_chat/qwen2.5-coder:7b-instruct", api_base: "http://host.docker.internal:11434" },
      model_info: {},
    },
    {
      model_name: "deep-coder",
      litellm_params: { model: "ollama/qwen2.5-coder", api_base: "http://host.docker.internal:11434" },
    },
    {
      model_name: "spec-writer",
      litellm_params: { model: "ollama_chat/qwen2.5-coder:7b-instruct", api_base: "http://host.docker.internal:11434" },
    },
    { model_name: "reviewer", litellm_params: { model: "anthropic/claude-sonnet-4-5" } },
    { model_name: "someone-else", litellm_params: { model: "ollama_chat/llama3:8b" } },
    { model_name: 7, litellm_params: {} },
  ],
};
const ALIASES = ["fast-coder", "deep-coder", "reviewer", "spec-writer", "mentor"];

describe("Ollama models behind the aliases", () => {
  test("deploymentsFrom reads what it can and skips the rest", () => {
    expect(deploymentsFrom(MODEL_INFO)).toHaveLength(5);
    expect(deploymentsFrom(MODEL_INFO)[3]).toEqual({
      alias: "reviewer",
      model: "anthropic/claude-sonnet-4-5",
      apiBase: null,
    });
    expect(deploymentsFrom({ nothing: true })).toEqual([]);
    expect(deploymentsFrom("not json")).toEqual([]);
  });

  test.each([
    ["ollama_chat/qwen2.5-coder:7b", "qwen2.5-coder:7b"],
    ["ollama/llama3", "llama3"],
    ["openai/gemma-3-270m", null],
    ["anthropic/claude-sonnet-4-5", null],
    ["hosted_vllm/ollama/x", null],
  ])("ollamaModelName(%s)", (model, name) => {
    expect(ollamaModelName(model)).toBe(name);
  });

  test.each([
    ["llama3", "llama3:latest"],
    ["qwen2.5-coder:7b", "qwen2.5-coder:7b"],
    ["hf.co/org/model", "hf.co/org/model:latest"],
    ["localhost:5000/org/model", "localhost:5000/org/model:latest"],
  ])("canonicalOllamaName(%s) = %s", (name, canonical) => {
    expect(canonicalOllamaName(name)).toBe(canonical);
  });

  test("each model once, with the config's aliases that use it; other aliases and other providers left out", () => {
    expect(ollamaModels(ALIASES, deploymentsFrom(MODEL_INFO))).toEqual([
      {
        name: "qwen2.5-coder:7b-instruct",
        aliases: ["fast-coder", "spec-writer"],
        apiBase: "http://host.docker.internal:11434",
      },
      { name: "qwen2.5-coder", aliases: ["deep-coder"], apiBase: "http://host.docker.internal:11434" },
    ]);
  });

  test("aliases mapped to another server: no Ollama model, and the reason names each alias's upstream", () => {
    const llamaCpp = deploymentsFrom({
      data: ALIASES.slice(0, 4).map((alias) => ({
        model_name: alias,
        litellm_params: { model: "openai/gemma-3-270m", api_base: "http://127.0.0.1:8081/v1" },
      })),
    });
    expect(ollamaModels(ALIASES, llamaCpp)).toEqual([]);
    expect(noOllamaDetail(ALIASES, llamaCpp)).toBe(
      "no alias is an Ollama model (fast-coder → openai/gemma-3-270m, deep-coder → openai/gemma-3-270m, reviewer → openai/gemma-3-270m, spec-writer → openai/gemma-3-270m, mentor → (not on the proxy))",
    );
  });

  test.each([
    [
      "OLLAMA_API_BASE wins",
      "http://gpu-box:11434/",
      "http://host.docker.internal:11434",
      true,
      "http://gpu-box:11434",
    ],
    [
      "the proxy's api_base when it resolves here",
      undefined,
      "http://127.0.0.1:11500/",
      true,
      "http://127.0.0.1:11500",
    ],
    [
      "Ollama's default when it does not",
      undefined,
      "http://host.docker.internal:11434",
      false,
      "http://localhost:11434",
    ],
    ["Ollama's default when the proxy reports none", "", null, false, "http://localhost:11434"],
  ])("ollamaBase: %s", (_, envBase, reported, resolves, base) => {
    expect(ollamaBase(envBase, reported, resolves)).toBe(base);
  });

  const models = [
    { name: "qwen2.5-coder:7b-instruct", aliases: ["fast-coder", "spec-writer"], apiBase: null },
    { name: "llama3", aliases: ["deep-coder"], apiBase: null },
  ];
  const BASE = "http://localhost:11434";

  test("a row per model: pulled, or not pulled with its ollama pull ('llama3' is 'llama3:latest')", () => {
    const tags = {
      state: "up",
      status: 200,
      body: { models: [{ name: "qwen2.5-coder:7b-instruct", model: "qwen2.5-coder:7b-instruct" }] },
      ms: 3,
    } as const;
    expect(ollamaChecks(BASE, models, tags, new Set())).toEqual([
      {
        name: "ollama qwen2.5-coder:7b-instruct",
        status: "ok",
        detail: "pulled (fast-coder, spec-writer)",
        latencyMs: 3,
      },
      {
        name: "ollama llama3",
        status: "fail",
        detail: `not pulled at ${BASE} (needed by deep-coder)`,
        latencyMs: 3,
        fix: "ollama pull llama3",
      },
    ]);
    const withLatest = {
      ...tags,
      body: { models: [{ name: "llama3:latest" }, { name: "qwen2.5-coder:7b-instruct" }] },
    };
    expect(ollamaChecks(BASE, models, withLatest, new Set()).map((check) => check.status)).toEqual(["ok", "ok"]);
  });

  test("Ollama unreachable from here: a failure, or a warning when the proxy reached it for every alias", () => {
    const tags = { state: "unreachable", reason: "connection refused", ms: 1 } as const;
    const [failed] = ollamaChecks(BASE, models, tags, new Set(["fast-coder"]));
    expect(failed).toMatchObject({
      name: "ollama",
      status: "fail",
      detail: `not reachable at ${BASE} (connection refused); qwen2.5-coder:7b-instruct, llama3 not checked`,
    });
    expect(failed!.fix).toContain("OLLAMA_API_BASE");
    expect(ollamaChecks(BASE, models, tags, new Set(["fast-coder", "spec-writer", "deep-coder"]))[0]!.status).toBe(
      "warn",
    );
  });
});

describe("this machine", () => {
  test.each([
    [
      "pytest there",
      { kind: "exited", code: 0, output: "pytest 8.3.4\n", timedOut: false },
      "ok",
      "pytest 8.3.4 (/usr/bin/python3)",
      undefined,
    ],
    [
      "no python",
      { kind: "missing", reason: "Executable not found" },
      "fail",
      "cannot run /usr/bin/python3 (Executable not found)",
      expect.stringContaining("SMOL_CODER_PYTHON"),
    ],
    [
      "no pytest",
      { kind: "exited", code: 1, output: "/usr/bin/python3: No module named pytest\n", timedOut: false },
      "fail",
      "pytest is not importable by /usr/bin/python3",
      "install pytest: /usr/bin/python3 -m pip install pytest, or set SMOL_CODER_PYTHON to a python that has it",
    ],
  ] as const)("python: %s", (_, probe, status, detail, fix) => {
    expect(pythonCheck("/usr/bin/python3", probe, 300)).toEqual({
      name: "python + pytest",
      status,
      detail,
      latencyMs: 300,
      ...(fix === undefined ? {} : { fix }),
    } as CheckResult);
  });

  test("sandbox: its own reason and fix; only a warning when the config turned it off", () => {
    const unavailable = {
      kind: "unavailable",
      reason: "bubblewrap (bwrap) is not installed",
      fix: "install bubblewrap",
    } as const;
    expect(sandboxCheck(unavailable, true, 5)).toEqual({
      name: "sandbox",
      status: "fail",
      detail: "bubblewrap (bwrap) is not installed",
      latencyMs: 5,
      fix: "install bubblewrap",
    });
    expect(sandboxCheck(unavailable, false, 5).status).toBe("warn");
    expect(sandboxCheck({ kind: "ready", description: "bubblewrap" }, true, 5).status).toBe("ok");
  });

  const GIB = 1024 ** 3;
  test.each([
    [10 * GIB, "ok"],
    [2 * GIB, "ok"],
    [2 * GIB - 1, "warn"],
    [500 * 1024 ** 2, "warn"],
    [500 * 1024 ** 2 - 1, "fail"],
  ] as const)("disk: %d bytes free is %s", (free, status) => {
    expect(diskCheck("logs", "/srv/logs", free).status).toBe(status);
  });

  test("disk: the detail says how much and where", () => {
    expect(diskCheck("tmp", "/tmp", 1.5 * GIB)).toEqual({
      name: "disk tmp",
      status: "warn",
      detail: "1.5 GiB free at /tmp (under 2.0 GiB)",
      fix: "free space on the filesystem holding /tmp",
    });
  });
});

const ok = (name: string, detail: string, latencyMs?: number): CheckResult => ({
  name,
  status: "ok",
  detail,
  ...(latencyMs === undefined ? {} : { latencyMs }),
});

describe("the daemon", () => {
  test.each([
    [
      "none running: a skip, it is optional",
      { kind: "none" } as const,
      "skip",
      "none on /s.sock (optional: smol-coder serve)",
    ],
    [
      "a socket nobody answers on: a warning",
      { kind: "silent", reason: "connection refused" } as const,
      "warn",
      "a socket at /s.sock, but no daemon answers (connection refused)",
    ],
    [
      "this version answering",
      { kind: "answered", version: "1.0.0", pid: 42, queued: 3, running: 2 } as const,
      "ok",
      "pid 42, version 1.0.0, 3 queued, 2 running, on /s.sock",
    ],
    [
      "another version answering: a warning",
      { kind: "answered", version: "0.9.0", pid: 42, queued: 0, running: 0 } as const,
      "warn",
      "pid 42, version 0.9.0, 0 queued, 0 running, on /s.sock",
    ],
  ])("%s", (_, probe, status, detail) => {
    const check = daemonCheck(probe, "/s.sock", "1.0.0", 3);
    expect(check).toMatchObject({ name: "daemon", status, detail });
    expect(Boolean(check.fix)).toBe(status === "warn");
  });
});

describe("verdict", () => {
  test.each<[string, CheckStatus[], number]>([
    ["all ok", ["ok", "ok"], 0],
    ["warnings and skips allowed", ["ok", "warn", "skip"], 0],
    ["any failure fails", ["ok", "warn", "fail"], 1],
    ["nothing checked", [], 0],
  ])("%s", (_, statuses, exitCode) => {
    expect(verdict(statuses.map((status, index) => ({ name: `c${index}`, status, detail: "" }))).exitCode).toBe(
      exitCode,
    );
  });
});

describe("the report", () => {
  const checks: CheckResult[] = [
    ok("proxy", "http://localhost:4000 is alive", 3),
    {
      name: "alias deep-coder",
      status: "fail",
      detail: `HTTP 400: ${INVALID_MODEL}`,
      latencyMs: 12,
      fix: FIX_ADD_ALIAS,
    },
    { name: "ollama", status: "skip", detail: "no alias is an Ollama model" },
    { name: "disk tmp", status: "warn", detail: "1.5 GiB free at /tmp", fix: "free space" },
    ok("git", "git version 2.39.5", 1234),
  ];

  test("aligned columns, one line per check, each fix under its detail, a summary last", () => {
    expect(formatReport(checks)).toBe(
      [
        "check             status     time  detail",
        "proxy             ok         3 ms  http://localhost:4000 is alive",
        `alias deep-coder  FAIL      12 ms  HTTP 400: ${INVALID_MODEL}`,
        "                                   fix: add the alias to litellm/config.yaml",
        "ollama            skip             no alias is an Ollama model",
        "disk tmp          warn             1.5 GiB free at /tmp",
        "                                   fix: free space",
        "git               ok      1234 ms  git version 2.39.5",
        "",
        "2 ok, 1 warning, 1 failed, 1 skipped: fix the failures above, then run smol-coder doctor again.",
      ].join("\n"),
    );
  });

  test("all passing ends with ready", () => {
    expect(
      formatReport([ok("git", "git version 2")])
        .split("\n")
        .at(-1),
    ).toBe("1 ok, 0 warnings, 0 failed, 0 skipped: ready.");
  });

  test("the JSON: ok, the exit code, counts and every check as it is", () => {
    const report = doctorReport(checks);
    expect(report).toEqual({ ok: false, exitCode: 1, counts: { ok: 2, warn: 1, fail: 1, skip: 1 }, checks });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  test("URLs are printed without credentials", () => {
    expect(displayUrl("http://user:pa55@proxy:4000")).toBe("http://proxy:4000");
    expect(displayUrl("http://proxy:4000/v1")).toBe("http://proxy:4000/v1");
  });
});

describe("the queue row", () => {
  const shown = "redis://:***@h:6379";
  test("sqlite is this machine's run store; a Redis answers with its depth and workers", () => {
    expect(queueCheck({ kind: "sqlite", file: "/d/runs.db" }, "sqlite")).toMatchObject({ status: "ok" });
    expect(queueCheck({ kind: "answered", queued: 2, running: 1, workers: 3, persistent: true }, shown, 4)).toEqual({
      name: "queue",
      status: "ok",
      detail: `${shown}: 2 queued, 1 running, 3 worker(s) connected`,
      latencyMs: 4,
    });
  });

  test("unreachable fails with the fix; nothing on disk, or tasks with nobody to run them, warn", () => {
    expect(queueCheck({ kind: "unreachable", reason: "ECONNREFUSED" }, shown)).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("start that Redis"),
    });
    expect(queueCheck({ kind: "answered", queued: 0, running: 0, workers: 1, persistent: false }, shown)).toMatchObject(
      { status: "warn", fix: expect.stringContaining("appendonly yes") },
    );
    expect(queueCheck({ kind: "answered", queued: 4, running: 0, workers: 0, persistent: true }, shown)).toMatchObject({
      status: "warn",
      fix: expect.stringContaining("smol-coder worker --queue URL"),
    });
  });
});
