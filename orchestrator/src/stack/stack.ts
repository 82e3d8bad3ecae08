// The Docker-less local stack, pure parts: which services run where, the environment each server sees, and how the
// status reads (overlay.ts: the LiteLLM config of the llama path). host.ts does the installing, services.ts the processes.
import path from "node:path";
import { z } from "zod";
import { withoutSecrets } from "../log/secrets.ts";
import { LOCAL_MODELS, threadsFor, type ModelRole } from "./models.ts";

/** Where the aliases' models come from: a reachable Ollama, or the two Qwen GGUFs served by llama.cpp (xllamacpp). */
export type Backend = "ollama" | "llama";
export const BACKEND_CHOICES = ["auto", "ollama", "llama"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type ServiceName = "proxy" | ModelRole;
export const SERVICES: readonly ServiceName[] = ["proxy", "fast", "deep"];

export const DEFAULT_OLLAMA_BASE = "http://localhost:11434";
/** The deep server listens on the port after the fast one's (--model-port). */
export const DEFAULT_PORTS = { proxy: 4000, model: 8081 } as const;
export const modelPorts = (modelPort: number): Record<ModelRole, number> => ({ fast: modelPort, deep: modelPort + 1 });

/**
 * Each server's slots and the context of one slot. The fast server has a slot per call the fast tier makes at
 * once (its concurrency, 4), so none waits; the deep one serves deep-coder (1), the spec writer and, without a
 * frontier key, the reviewer and mentor, whose calls llama.cpp queues beyond its 2 slots. A slot holds the prompt
 * (system, task, files, feedback: 1-3k tokens measured on HumanEval and the example workspaces) and the reply.
 */
export const MODEL_SLOTS = {
  fast: { parallel: 4, contextTokens: 4_096 },
  deep: { parallel: 2, contextTokens: 8_192 },
} as const satisfies Record<ModelRole, { parallel: number; contextTokens: number }>;
/**
 * Reply caps. A whole-file HumanEval answer is 100-400 tokens; a cap keeps a reply that rambles from holding a
 * slot for minutes (0.5B writes ~19 tokens/s alone on two cores, 1.5B ~10; see docs/benchmarks.md).
 */
export const MODEL_MAX_TOKENS = { fast: 768, deep: 1_024 } as const satisfies Record<ModelRole, number>;
/**
 * The proxy's per-call timeout on the llama path, in seconds. The worst call measured here: a 1.5B reply of 1,024
 * tokens at ~3 tokens/s while both servers are busy (each has one core), after a 3k-token prompt at ~13 tokens/s:
 * about 580 s. A call cut short keeps the CPU server computing, so a timeout that fires early and a retry double the
 * load; this one fires only on a stuck server. smol-coder's own timeout (tasks/configs/local-stack.json) is above it.
 */
export const LOCAL_CALL_TIMEOUT_S = 590;

/** Everything the stack keeps, under the repository. `.venv` is the project's (CI runs pytest from it too). */
export type StackPaths = {
  repoRoot: string;
  stackDir: string;
  config: string;
  requirements: { proxy: string; model: string };
  venvs: { proxy: string; model: string };
  overlay: string;
  masterKey: string;
  /** What the overlay serves: written at stack up, read by status and doctor. */
  state: string;
  launcher: string;
  models: Record<ModelRole, string>;
  pidFiles: Record<ServiceName, string>;
  logs: Record<ServiceName, string> & { install: string };
};

export function stackPaths(repoRoot: string, stackDir = path.join(repoRoot, ".stack")): StackPaths {
  const logDir = path.join(stackDir, "logs");
  return {
    repoRoot,
    stackDir,
    config: path.join(repoRoot, "litellm", "config.yaml"),
    requirements: {
      proxy: path.join(repoRoot, "litellm", "requirements.txt"),
      model: path.join(repoRoot, "litellm", "model-requirements.txt"),
    },
    venvs: { proxy: path.join(repoRoot, ".venv"), model: path.join(stackDir, "model-venv") },
    overlay: path.join(stackDir, "litellm.yaml"),
    masterKey: path.join(stackDir, "master.key"),
    state: path.join(stackDir, "stack.json"),
    launcher: path.join(stackDir, "model_server.py"),
    models: {
      fast: path.join(stackDir, "models", LOCAL_MODELS.fast.file),
      deep: path.join(stackDir, "models", LOCAL_MODELS.deep.file),
    },
    pidFiles: {
      proxy: path.join(stackDir, "proxy.pid"),
      fast: path.join(stackDir, "fast.pid"),
      deep: path.join(stackDir, "deep.pid"),
    },
    logs: {
      proxy: path.join(logDir, "litellm.log"),
      fast: path.join(logDir, "fast.log"),
      deep: path.join(logDir, "deep.log"),
      install: path.join(logDir, "install.log"),
    },
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
  cores: number;
  env: Record<string, string | undefined>;
  /** One slot per model server and no prompt cache (stack up --reproducible): a greedy reply depends on its prompt alone. */
  reproducible?: boolean;
};

export const localUrl = (port: number) => `http://127.0.0.1:${port}/v1`;

/** Pure: the services of the stack for one backend, in start order (the models before the proxy that calls them). */
export function planStack(input: PlanInput): StackPlan {
  const { paths, backend, ports } = input;
  const configFile = backend === "llama" ? paths.overlay : paths.config;
  const proxy: ServicePlan = {
    name: "proxy",
    argv: [
      path.join(paths.venvs.proxy, "bin", "litellm"),
      "--config",
      configFile,
      "--host",
      "127.0.0.1",
      "--port",
      String(ports.proxy),
    ],
    env: proxyEnv(input.env, { backend, masterKey: input.masterKey, ollamaBase: input.ollamaBase }),
    port: ports.proxy,
    url: localUrl(ports.proxy),
    pidFile: paths.pidFiles.proxy,
    logFile: paths.logs.proxy,
  };
  if (backend === "ollama") return { backend, configFile, services: [proxy] };
  const threads = threadsFor(input.cores);
  const modelPort = modelPorts(ports.model);
  const model = (role: ModelRole): ServicePlan => ({
    name: role,
    argv: [
      path.join(paths.venvs.model, "bin", "python"),
      paths.launcher,
      ...["--model", paths.models[role], "--alias", LOCAL_MODELS[role].alias, "--port", String(modelPort[role])],
      ...[
        "--ctx",
        String(MODEL_SLOTS[role].contextTokens),
        "--parallel",
        String(input.reproducible ? 1 : MODEL_SLOTS[role].parallel),
        "--threads",
        String(threads[role]),
        ...(input.reproducible ? ["--no-prompt-cache"] : []),
      ],
    ],
    env: { ...withoutSecrets(input.env), ...UNBUFFERED },
    port: modelPort[role],
    url: localUrl(modelPort[role]),
    pidFile: paths.pidFiles[role],
    logFile: paths.logs[role],
  });
  return { backend, configFile, services: [model("fast"), model("deep"), proxy] };
}

/** Python block-buffers output into a file: without this the logs trail the servers by kilobytes. */
const UNBUFFERED = { PYTHONUNBUFFERED: "1" };

/** Variables that would reconfigure the proxy behind the config's back (a database, another master key). */
const PROXY_RESERVED = /^(LITELLM_|DATABASE_URL$|STORE_MODEL_IN_DB$)/;

/**
 * Pure: the proxy's environment. No secrets but its master key and ANTHROPIC_API_KEY when set: config.yaml's
 * frontier aliases need it on the Ollama path, and the llama path keeps them only when it is set.
 */
export function proxyEnv(
  env: Record<string, string | undefined>,
  options: { backend: Backend; masterKey: string; ollamaBase: string },
): Record<string, string> {
  const out = Object.fromEntries(Object.entries(withoutSecrets(env)).filter(([name]) => !PROXY_RESERVED.test(name)));
  Object.assign(out, UNBUFFERED);
  out.LITELLM_MASTER_KEY = options.masterKey;
  // The packaged model cost map, not one fetched from GitHub at start-up: offline machines start as fast.
  out.LITELLM_LOCAL_MODEL_COST_MAP = "True";
  if (options.backend === "ollama") out.OLLAMA_API_BASE = options.ollamaBase;
  if (env.ANTHROPIC_API_KEY) out.ANTHROPIC_API_KEY = env.ANTHROPIC_API_KEY;
  return out;
}

/** What stack up wrote down about the stack it started: status and doctor say from it whether a frontier tier exists. */
export const StackState = z.object({
  backend: z.enum(["ollama", "llama"]),
  frontier: z.boolean(),
  models: z.record(z.string(), z.string()),
  /** stack up --reproducible (llama path): one slot per model, no prompt cache. Absent in files of earlier versions. */
  reproducible: z.boolean().default(false),
});
export type StackState = z.infer<typeof StackState>;

/** Pure: the plain words for the tiers the stack serves. */
export function tierSummary(state: StackState): string {
  if (state.backend === "ollama")
    return "tiers: config.yaml's Ollama models; reviewer and mentor on the frontier model (config.yaml)";
  const local = `fast-coder → ${LOCAL_MODELS.fast.title}; deep-coder, spec-writer → ${LOCAL_MODELS.deep.title}${
    state.reproducible ? " (reproducible: one call at a time per model, no prompt cache)" : ""
  }`;
  return state.frontier
    ? `tiers: ${local}; reviewer, mentor → the frontier model (ANTHROPIC_API_KEY is set)`
    : `tiers: ${local}; reviewer, mentor → ${LOCAL_MODELS.deep.title} too: no frontier tier (set ANTHROPIC_API_KEY and run stack up again for one)`;
}

/** Pure: which backend serves the aliases. */
export function chooseBackend(choice: BackendChoice, ollamaReachable: boolean): Backend {
  if (choice !== "auto") return choice;
  return ollamaReachable ? "ollama" : "llama";
}

/** What a pid file records: enough to refuse to signal a process that merely reuses the number. */
export const PidRecord = z.object({
  pid: z.number().int().min(1),
  startTicks: z.string().nullable(),
  port: z.number().int(),
  backend: z.enum(["ollama", "llama"]),
  url: z.string(),
});
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
