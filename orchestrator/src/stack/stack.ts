// The Docker-less local stack, pure parts: which services run where, the LiteLLM config each backend gets, the
// environment each server sees, and how the status reads. stackHost.ts does the installing, starting and stopping.
import path from "node:path";
import { z } from "zod";
import { withoutSecrets } from "../log/secrets.ts";

/** Where the aliases' models come from: a reachable Ollama, or the small GGUF served by llama.cpp. */
export type Backend = "ollama" | "llama";
export const BACKEND_CHOICES = ["auto", "ollama", "llama"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type ServiceName = "proxy" | "model";

/** The model name llama.cpp's server answers to; every alias of the overlay points at it. */
export const MODEL_ALIAS = "gemma3-270m";
export const DEFAULT_OLLAMA_BASE = "http://localhost:11434";
export const DEFAULT_PORTS = { proxy: 4000, model: 8081 } as const;
/** Matches num_ctx of the Ollama aliases in litellm/config.yaml, so prompts that fit there fit here. */
export const MODEL_CONTEXT_TOKENS = 16_384;
/**
 * llama.cpp's server, asked for no max_tokens, generates until the context is full. The pinned GGUF is the base
 * (not instruction-tuned) Gemma 3 270M: it rarely ends a turn, so most replies run to the cap. 1024 tokens take
 * 30-60 s on two busy cores, under the proxy's 110 s timeout (router_settings) and smol-coder's 120 s.
 */
export const MODEL_MAX_TOKENS = 1_024;

/** Everything the stack keeps, under the repository. `.venv` is the project's (CI runs pytest from it too). */
export type StackPaths = {
  repoRoot: string;
  stackDir: string;
  config: string;
  requirements: { proxy: string; model: string };
  venvs: { proxy: string; model: string };
  overlay: string;
  masterKey: string;
  gguf: string;
  pidFiles: Record<ServiceName, string>;
  logs: Record<ServiceName, string> & { install: string };
};

export function stackPaths(repoRoot: string, stackDir = path.join(repoRoot, ".stack")): StackPaths {
  const logDir = path.join(repoRoot, "logs");
  return {
    repoRoot,
    stackDir,
    config: path.join(repoRoot, "litellm", "config.yaml"),
    requirements: { proxy: path.join(repoRoot, "litellm", "requirements.txt"), model: path.join(repoRoot, "litellm", "model-requirements.txt") },
    venvs: { proxy: path.join(repoRoot, ".venv"), model: path.join(stackDir, "model-venv") },
    overlay: path.join(stackDir, "litellm.yaml"),
    masterKey: path.join(stackDir, "master.key"),
    gguf: path.join(stackDir, "models", "gemma-3-270m-q4_k_m.gguf"),
    pidFiles: { proxy: path.join(stackDir, "proxy.pid"), model: path.join(stackDir, "model.pid") },
    logs: { proxy: path.join(logDir, "stack-litellm.log"), model: path.join(logDir, "stack-model.log"), install: path.join(logDir, "stack-install.log") },
  };
}

/** One server to start: its command line, environment, and where it answers. */
export type ServicePlan = {
  name: ServiceName;
  argv: string[];
  env: Record<string, string>;
  port: number;
  /** The OpenAI-compatible base URL it serves. */
  url: string;
  pidFile: string;
  logFile: string;
};
export type StackPlan = { backend: Backend; configFile: string; services: ServicePlan[] };

export type PlanInput = {
  paths: StackPaths;
  backend: Backend;
  ports: { proxy: number; model: number };
  ollamaBase: string;
  masterKey: string;
  threads: number;
  env: Record<string, string | undefined>;
};

export const localUrl = (port: number) => `http://127.0.0.1:${port}/v1`;

/** Pure: the services of the stack for one backend, in start order. */
export function planStack(input: PlanInput): StackPlan {
  const { paths, backend, ports } = input;
  const configFile = backend === "llama" ? paths.overlay : paths.config;
  const proxy: ServicePlan = {
    name: "proxy",
    argv: [path.join(paths.venvs.proxy, "bin", "litellm"), "--config", configFile, "--host", "127.0.0.1", "--port", String(ports.proxy)],
    env: proxyEnv(input.env, { backend, masterKey: input.masterKey, ollamaBase: input.ollamaBase }),
    port: ports.proxy,
    url: localUrl(ports.proxy),
    pidFile: paths.pidFiles.proxy,
    logFile: paths.logs.proxy,
  };
  if (backend === "ollama") return { backend, configFile, services: [proxy] };
  const threads = String(Math.max(1, input.threads));
  const model: ServicePlan = {
    name: "model",
    argv: [
      path.join(paths.venvs.model, "bin", "python"),
      ...["-m", "llama_cpp.server", "--model", paths.gguf, "--model_alias", MODEL_ALIAS],
      ...["--host", "127.0.0.1", "--port", String(ports.model), "--n_ctx", String(MODEL_CONTEXT_TOKENS)],
      ...["--n_threads", threads, "--n_threads_batch", threads],
      // The GGUF carries no chat template, and llama-cpp-python would fall back to Llama 2's [INST] format.
      ...["--chat_format", "gemma"],
      // The server's default keeps every token's logits (n_ctx x 262k vocab floats: 17 GB reserved, 1 MB resident
      // per token evaluated). Nothing here asks for logprobs.
      ...["--logits_all", "false"],
    ],
    env: { ...withoutSecrets(input.env), ...UNBUFFERED },
    port: ports.model,
    url: localUrl(ports.model),
    pidFile: paths.pidFiles.model,
    logFile: paths.logs.model,
  };
  return { backend, configFile, services: [model, proxy] };
}

/** Python block-buffers output into a file: without this the logs trail the servers by kilobytes. */
const UNBUFFERED = { PYTHONUNBUFFERED: "1" };

/** Variables that would reconfigure the proxy behind the config's back (a database, another master key). */
const PROXY_RESERVED = /^(LITELLM_|DATABASE_URL$|STORE_MODEL_IN_DB$)/;

/**
 * Pure: the proxy's environment. No secrets but its master key and, on the Ollama path (where config.yaml keeps the
 * frontier aliases), ANTHROPIC_API_KEY when set. The overlay of the llama path names no provider key at all.
 */
export function proxyEnv(env: Record<string, string | undefined>, options: { backend: Backend; masterKey: string; ollamaBase: string }): Record<string, string> {
  const out = Object.fromEntries(Object.entries(withoutSecrets(env)).filter(([name]) => !PROXY_RESERVED.test(name)));
  Object.assign(out, UNBUFFERED);
  out.LITELLM_MASTER_KEY = options.masterKey;
  // The packaged model cost map, not one fetched from GitHub at start-up: offline machines start as fast.
  out.LITELLM_LOCAL_MODEL_COST_MAP = "True";
  if (options.backend === "ollama") {
    out.OLLAMA_API_BASE = options.ollamaBase;
    if (env.ANTHROPIC_API_KEY) out.ANTHROPIC_API_KEY = env.ANTHROPIC_API_KEY;
  }
  return out;
}

/** What litellm/config.yaml must hold; the rest (router_settings, general_settings) is kept as it is. */
export const LitellmConfig = z
  .object({
    model_list: z
      .array(z.looseObject({ model_name: z.string().min(1), litellm_params: z.looseObject({ max_parallel_requests: z.number().int().min(1).optional() }) }))
      .min(1),
  })
  .loose();
export type LitellmConfig = z.infer<typeof LitellmConfig>;

/**
 * Pure: the config of the llama path. Every alias serves the one local model at `modelUrl`, keeping its parallel
 * limit; the local model costs nothing, so the proxy reports a cost of 0 rather than the frontier price.
 */
export function overlayConfig(config: LitellmConfig, modelUrl: string): LitellmConfig {
  const modelList = config.model_list.map((entry) => {
    const parallel = entry.litellm_params.max_parallel_requests;
    return {
      model_name: entry.model_name,
      litellm_params: {
        model: `openai/${MODEL_ALIAS}`,
        api_base: modelUrl,
        // llama.cpp's server checks no key; LiteLLM's OpenAI client insists on one.
        api_key: "no-key",
        max_tokens: MODEL_MAX_TOKENS,
        // Gemma has no system role, and llama-cpp-python's gemma format drops system messages without a word:
        // LiteLLM merges each into the user message that follows instead.
        supports_system_message: false,
        ...(parallel === undefined ? {} : { max_parallel_requests: parallel }),
      },
      // All four prices, or LiteLLM warns at every start that the cache prices default to 0.
      model_info: { input_cost_per_token: 0, output_cost_per_token: 0, cache_creation_input_token_cost: 0, cache_read_input_token_cost: 0 },
    };
  });
  return { ...config, model_list: modelList };
}

/**
 * Pure: the overlay file's text. JSON is YAML (flow style), and a double-quoted JSON string stays a string under
 * PyYAML's YAML 1.1 rules, where plain `on` or `no` would turn into booleans.
 */
export function renderOverlay(config: LitellmConfig, source: string): string {
  return `# Written by smol-coder stack up from ${source}: every alias -> ${MODEL_ALIAS} on llama.cpp. Edits are overwritten.\n${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Pure: the environment pip builds llama-cpp-python with (it has no wheel on PyPI). ggml's default -march=native
 * turned on AMX on a VM whose CPU advertises it but faults on the first tile instruction (SIGILL at the first
 * request); without it ggml targets AVX2/FMA/F16C, which any x86-64 machine of the last decade runs. A CMAKE_ARGS
 * of the user's own wins.
 */
export function modelBuildEnv(env: Record<string, string | undefined>, arch: string): Record<string, string> {
  if (env.CMAKE_ARGS !== undefined || arch !== "x64") return {};
  return { CMAKE_ARGS: "-DGGML_NATIVE=OFF" };
}

/** Pure: which backend serves the aliases. */
export function chooseBackend(choice: BackendChoice, ollamaReachable: boolean): Backend {
  if (choice !== "auto") return choice;
  return ollamaReachable ? "ollama" : "llama";
}

/** What a pid file records: enough to refuse to signal a process that merely reuses the number. */
export const PidRecord = z.object({ pid: z.number().int().min(1), startTicks: z.string().nullable(), port: z.number().int(), backend: z.enum(["ollama", "llama"]), url: z.string() });
export type PidRecord = z.infer<typeof PidRecord>;

export type ServiceStatus = {
  name: ServiceName;
  record: PidRecord | null;
  alive: boolean;
  /** For the proxy: /health/readiness answered 2xx; for the model: /v1/models answered. */
  ready: boolean;
  detail: string;
  rssMb: number | null;
};

/** Pure: the status table, one line per service. */
export function formatStatus(services: ServiceStatus[]): string {
  return services
    .map((service) => {
      const name = service.name.padEnd(6);
      if (!service.record) return `${name}down`;
      const { pid, url, backend } = service.record;
      const state = !service.alive ? "dead (stale pid file)" : service.ready ? "up" : "starting or unhealthy";
      const rss = service.rssMb === null ? "" : `  rss ${service.rssMb} MB`;
      return `${name}${state.padEnd(8)}  pid ${pid}  ${url}  ${backend}  ${service.detail}${rss}`.trimEnd();
    })
    .join("\n");
}

/** Pure: how to point smol-coder at the stack. */
export function usageLines(proxyUrl: string, paths: StackPaths, keyFileFound: boolean): string[] {
  const exports = [
    ...(proxyUrl === localUrl(DEFAULT_PORTS.proxy) ? [] : [`LITELLM_URL=${proxyUrl}`]),
    ...(keyFileFound ? [] : [`LITELLM_API_KEY=$(cat ${paths.masterKey})`]),
  ];
  return [
    `proxy: ${proxyUrl} (master key in ${paths.masterKey})`,
    exports.length === 0
      ? "smol-coder uses it with no setting: LITELLM_URL's default, and the key file when LITELLM_API_KEY is unset"
      : `use it: export ${exports.join(" ")}`,
    `other clients: curl -H "Authorization: Bearer $(cat ${paths.masterKey})" ${proxyUrl}/models`,
    "stop it: smol-coder stack down",
  ];
}

/** Pure: whether an endpoint is on this machine (the only place the stack's key may be sent). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}
