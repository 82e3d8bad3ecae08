import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  chooseBackend,
  formatStatus,
  isLoopbackUrl,
  LitellmConfig,
  MODEL_ALIAS,
  modelBuildEnv,
  overlayConfig,
  planStack,
  proxyEnv,
  renderOverlay,
  stackPaths,
  usageLines,
  type PlanInput,
} from "./stack.ts";

const REPO = path.join(import.meta.dir, "..", "..", "..");
const REAL_CONFIG = LitellmConfig.parse(Bun.YAML.parse(readFileSync(path.join(REPO, "litellm", "config.yaml"), "utf8")));
const MODEL_URL = "http://127.0.0.1:8081/v1";
const overlay = overlayConfig(REAL_CONFIG, MODEL_URL);
const rendered = renderOverlay(overlay, "litellm/config.yaml");

describe("the overlay of the real litellm/config.yaml", () => {
  test("maps every alias, and only those, onto the local model", () => {
    expect(overlay.model_list.map((entry) => entry.model_name)).toEqual(REAL_CONFIG.model_list.map((entry) => entry.model_name));
    expect(overlay.model_list.map((entry) => entry.model_name)).toEqual(expect.arrayContaining(["fast-coder", "deep-coder", "reviewer", "spec-writer", "mentor"]));
    for (const entry of overlay.model_list) {
      expect(entry.litellm_params).toMatchObject({ model: `openai/${MODEL_ALIAS}`, api_base: MODEL_URL, supports_system_message: false });
    }
  });

  test("keeps each alias's parallel limit", () => {
    const limits = (config: LitellmConfig) => Object.fromEntries(config.model_list.map((entry) => [entry.model_name, entry.litellm_params.max_parallel_requests]));
    expect(limits(overlay)).toEqual(limits(REAL_CONFIG));
    expect(limits(overlay)["deep-coder"]).toBe(1);
  });

  test("keeps router_settings and general_settings (the master key stays an environment reference)", () => {
    expect(overlay.router_settings).toEqual(REAL_CONFIG.router_settings);
    expect(overlay.general_settings).toEqual({ master_key: "os.environ/LITELLM_MASTER_KEY" });
  });

  test("names no provider key, no Ollama and no frontier model", () => {
    for (const needle of ["ANTHROPIC", "anthropic/", "ollama", "OLLAMA_API_BASE"]) expect(rendered).not.toContain(needle);
    expect(rendered.match(/os\.environ\//g)).toEqual(["os.environ/"]); // the master key only
  });

  test("prices the local model at zero, so the proxy reports no frontier cost", () => {
    for (const entry of overlay.model_list) expect(entry.model_info).toMatchObject({ input_cost_per_token: 0, output_cost_per_token: 0 });
  });

  test("renders as YAML that reads back to the same config", () => {
    expect(rendered.startsWith("# Written by smol-coder stack up")).toBe(true);
    expect(Bun.YAML.parse(rendered)).toEqual(overlay);
  });

  test("a config without model_list is refused", () => {
    expect(LitellmConfig.safeParse({ router_settings: {} }).success).toBe(false);
    expect(LitellmConfig.safeParse({ model_list: [] }).success).toBe(false);
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
    threads: 2,
    env: { PATH: "/usr/bin", HOME: "/home/u", ANTHROPIC_API_KEY: "sk-ant-0123456789", GITHUB_TOKEN: "ghp_0123456789", LITELLM_MASTER_KEY: "sk-other", DATABASE_URL: "postgres://x" },
  };

  test("paths live under <repo>/.stack, the proxy's venv is the project's .venv, logs under logs/", () => {
    expect(paths).toMatchObject({
      stackDir: "/repo/.stack",
      overlay: "/repo/.stack/litellm.yaml",
      masterKey: "/repo/.stack/master.key",
      venvs: { proxy: "/repo/.venv", model: "/repo/.stack/model-venv" },
      pidFiles: { proxy: "/repo/.stack/proxy.pid", model: "/repo/.stack/model.pid" },
      logs: { proxy: "/repo/logs/stack-litellm.log", model: "/repo/logs/stack-model.log" },
    });
    expect(stackPaths("/repo", "/tmp/s").pidFiles.proxy).toBe("/tmp/s/proxy.pid");
  });

  test("llama: the model server, then the proxy on the overlay, both on 127.0.0.1", () => {
    const plan = planStack(input);
    expect(plan.configFile).toBe(paths.overlay);
    expect(plan.services.map((service) => [service.name, service.port, service.url])).toEqual([
      ["model", 8081, "http://127.0.0.1:8081/v1"],
      ["proxy", 4000, "http://127.0.0.1:4000/v1"],
    ]);
    const [model, proxy] = plan.services;
    expect(model!.argv.join(" ")).toBe(
      "/repo/.stack/model-venv/bin/python -m llama_cpp.server --model /repo/.stack/models/gemma-3-270m-q4_k_m.gguf --model_alias gemma3-270m" +
        " --host 127.0.0.1 --port 8081 --n_ctx 16384 --n_threads 2 --n_threads_batch 2 --chat_format gemma --logits_all false",
    );
    expect(proxy!.argv).toEqual(["/repo/.venv/bin/litellm", "--config", paths.overlay, "--host", "127.0.0.1", "--port", "4000"]);
  });

  test("llama: the model server gets no secret, the proxy only its master key", () => {
    const [model, proxy] = planStack(input).services;
    expect(model!.env).toEqual({ PATH: "/usr/bin", HOME: "/home/u", DATABASE_URL: "postgres://x", PYTHONUNBUFFERED: "1" });
    expect(proxy!.env).toEqual({ PATH: "/usr/bin", HOME: "/home/u", PYTHONUNBUFFERED: "1", LITELLM_MASTER_KEY: "sk-smol-master-0123456789", LITELLM_LOCAL_MODEL_COST_MAP: "True" });
  });

  test("ollama: the proxy alone, on config.yaml unchanged, with OLLAMA_API_BASE and the frontier key", () => {
    const plan = planStack({ ...input, backend: "ollama", ollamaBase: "http://gpu:11434" });
    expect(plan.configFile).toBe("/repo/litellm/config.yaml");
    expect(plan.services.map((service) => service.name)).toEqual(["proxy"]);
    expect(plan.services[0]!.env).toMatchObject({ OLLAMA_API_BASE: "http://gpu:11434", ANTHROPIC_API_KEY: "sk-ant-0123456789", LITELLM_MASTER_KEY: "sk-smol-master-0123456789" });
    expect(plan.services[0]!.env).not.toHaveProperty("GITHUB_TOKEN");
  });

  test("ollama without ANTHROPIC_API_KEY: none is invented", () => {
    expect(proxyEnv({ PATH: "/bin" }, { backend: "ollama", masterKey: "k", ollamaBase: "http://o" })).not.toHaveProperty("ANTHROPIC_API_KEY");
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
    [{}, "x64", { CMAKE_ARGS: "-DGGML_NATIVE=OFF" }],
    [{ CMAKE_ARGS: "-DGGML_AVX512=ON" }, "x64", {}],
    [{}, "arm64", {}],
  ] as const)("llama.cpp build env for %p on %s", (env, arch, expected) => {
    expect(modelBuildEnv(env, arch)).toEqual(expected);
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
    { name: "model", record: null, alive: false, ready: false, detail: "", rssMb: null },
  ]);
  expect(text.split("\n")).toEqual(["proxy up        pid 42  http://127.0.0.1:4000/v1  llama  ready (litellm 1.106.2)  rss 300 MB", "model down"]);
  expect(formatStatus([{ name: "proxy", record, alive: false, ready: false, detail: "", rssMb: null }])).toContain("dead (stale pid file)");
});

test("usageLines: exports only what smol-coder cannot find by itself", () => {
  const paths = stackPaths("/repo");
  expect(usageLines("http://127.0.0.1:4000/v1", paths, true)[1]).toContain("no setting");
  expect(usageLines("http://127.0.0.1:4001/v1", paths, true)[1]).toBe("use it: export LITELLM_URL=http://127.0.0.1:4001/v1");
  expect(usageLines("http://127.0.0.1:4000/v1", paths, false)[1]).toBe("use it: export LITELLM_API_KEY=$(cat /repo/.stack/master.key)");
});
