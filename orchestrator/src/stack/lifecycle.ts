// The Docker-less local stack's commands: stack up (virtualenvs, pip installs, the model file, the overlay, the key),
// down and status, and the key smol-coder sends. Decisions live in stack.ts and models.ts; the processes in services.ts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../config/paths.ts";
import { ExitCode, StackFailed } from "../errors.ts";
import { registerSecret } from "../log/secrets.ts";
import { LOCAL_MODELS } from "./models.ts";
import { interruptSignal } from "../interrupt.ts";
import { ensurePortFree, readPidRecord, stackState, startServices, stopAll } from "./services.ts";
import {
  chooseBackend,
  DEFAULT_OLLAMA_BASE,
  formatStatus,
  isLoopbackUrl,
  localUrl,
  modelPorts,
  planStack,
  StackState,
  stackPaths,
  tierSummary,
  usageLines,
  type BackendChoice,
  type StackPaths,
} from "./stack.ts";
import { LitellmConfig, overlayConfig, renderOverlay } from "./overlay.ts";
import { install } from "./install.ts";

export type StackOptions = { stackDir?: string; repoRoot?: string; say?: (line: string) => void };
export type StackUpOptions = StackOptions & {
  backend: BackendChoice;
  port: number;
  modelPort: number;
  /** --reproducible: on the llama path, one slot per model server and no prompt cache. */
  reproducible?: boolean;
  readyTimeoutMs?: number;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
};

const sayToStderr = (line: string) => process.stderr.write(`stack: ${line}\n`);

/**
 * The key smol-coder sends: LITELLM_API_KEY, else the local stack's master key when the endpoint is the stack's
 * own proxy (loopback, on the port `stack up` recorded); never sent anywhere else.
 */
export function stackApiKey(
  env: Record<string, string | undefined>,
  endpointUrl: string,
  repoRoot = REPO_ROOT,
): string | undefined {
  if (env.LITELLM_API_KEY) return env.LITELLM_API_KEY;
  if (!isLoopbackUrl(endpointUrl)) return undefined;
  const paths = stackPaths(repoRoot);
  const proxy = readPidRecord(paths.pidFiles.proxy);
  const url = new URL(endpointUrl);
  if (!proxy || Number(url.port || (url.protocol === "https:" ? 443 : 80)) !== proxy.port) return undefined;
  try {
    const key = readFileSync(paths.masterKey, "utf8").trim() || undefined;
    registerSecret(key); // scrubbed wherever keys from the environment are
    return key;
  } catch {
    return undefined;
  }
}

export async function stackUp(options: StackUpOptions): Promise<number> {
  const signal = options.signal ?? interruptSignal({ cleanup: "stopping the servers it started" });
  try {
    return await bringUp({ ...options, signal });
  } catch (error) {
    if (!signal.aborted) throw error;
    (options.say ?? sayToStderr)("interrupted; nothing left running");
    return ExitCode.interrupted;
  }
}

async function bringUp(options: StackUpOptions & { signal: AbortSignal }): Promise<number> {
  const say = options.say ?? sayToStderr;
  const paths = stackPaths(options.repoRoot ?? REPO_ROOT, options.stackDir);
  const env = options.env ?? process.env;
  const running = await stackState(paths);
  if (running.some((service) => service.alive)) {
    const proxy = running.find((service) => service.name === "proxy");
    const models = running.filter((service) => service.name !== "proxy");
    const complete = proxy?.alive && (proxy.record?.backend === "ollama" || models.every((service) => service.alive));
    const state = readStackState(paths);
    if (complete && state?.backend === "llama" && state.reproducible !== Boolean(options.reproducible)) {
      // A benchmark that asked for a reproducible server must not run on one that is not, unnoticed (or the reverse).
      say(
        `already up ${state.reproducible ? "with" : "without"} --reproducible: smol-coder stack down first, then stack up ${options.reproducible ? "--reproducible" : "without it"}`,
      );
      return ExitCode.badInput;
    }
    if (complete) {
      say("already up (smol-coder stack down first to change ports, backend or --reproducible)");
      process.stdout.write(
        `${formatStatus(running)}\n${usageLines(proxy!.record!.url, paths, keyFileFound(paths)).join("\n")}\n`,
      );
      return ExitCode.complete;
    }
    say("partly up: stopping what is left before starting again");
  }
  await stopAll(paths, () => undefined);

  const ollamaBase = (env.OLLAMA_API_BASE || DEFAULT_OLLAMA_BASE).replace(/\/+$/, "");
  const reachable = options.backend === "llama" ? false : await ollamaReachable(ollamaBase);
  if (options.backend === "ollama" && !reachable) {
    throw new StackFailed(
      "backend",
      `no Ollama answers at ${ollamaBase}/api/tags`,
      "start Ollama (ollama serve), set OLLAMA_API_BASE, or pass --backend llama",
    );
  }
  const backend = chooseBackend(options.backend, reachable);
  const why = options.backend === "auto" ? (reachable ? " (it answered)" : " (no Ollama answered)") : " (--backend)";
  say(
    `backend: ${backend === "ollama" ? `Ollama at ${ollamaBase}` : `${LOCAL_MODELS.fast.title} and ${LOCAL_MODELS.deep.title} on llama.cpp`}${why}`,
  );
  const ports = { proxy: options.port, model: options.modelPort };
  await ensurePortFree(ports.proxy, "--port");
  if (backend === "llama") {
    const models = modelPorts(ports.model);
    await ensurePortFree(models.fast, "--model-port");
    await ensurePortFree(models.deep, "--model-port (the deep model takes the port after it)");
  }

  await install({ paths, say, signal: options.signal }, backend);
  const masterKey = await ensureMasterKey(paths);
  registerSecret(masterKey);
  const frontier = Boolean(env.ANTHROPIC_API_KEY);
  if (backend === "llama") {
    const models = modelPorts(ports.model);
    await writeOverlay(paths, { modelUrls: { fast: localUrl(models.fast), deep: localUrl(models.deep) }, frontier });
  }
  const reproducible = backend === "llama" && Boolean(options.reproducible);
  if (options.reproducible && !reproducible)
    say("--reproducible applies to the llama backend only; Ollama serves as it is set");
  const state: StackState = {
    backend,
    frontier,
    models: backend === "llama" ? { fast: LOCAL_MODELS.fast.alias, deep: LOCAL_MODELS.deep.alias } : {},
    reproducible,
  };
  await writeFile(paths.state, `${JSON.stringify(state)}\n`);
  say(tierSummary(state));
  const plan = planStack({
    paths,
    backend,
    ports,
    ollamaBase,
    masterKey,
    cores: availableParallelism(),
    env,
    reproducible,
  });
  await startServices(plan.services, backend, {
    say,
    signal: options.signal,
    readyTimeoutMs: options.readyTimeoutMs ?? 180_000,
  });
  process.stdout.write(
    `${formatStatus(await stackState(paths))}\n${usageLines(localUrl(ports.proxy), paths, keyFileFound(paths)).join("\n")}\n`,
  );
  return ExitCode.complete;
}

/** Whether smol-coder finds this stack's key by itself (stackApiKey reads only <repo>/.stack). */
const keyFileFound = (paths: StackPaths) => paths.masterKey === stackPaths(paths.repoRoot).masterKey;

export async function stackDown(options: StackOptions = {}): Promise<number> {
  const say = options.say ?? sayToStderr;
  const stopped = await stopAll(stackPaths(options.repoRoot ?? REPO_ROOT, options.stackDir), say);
  if (stopped === 0) say("nothing is up");
  return ExitCode.complete;
}

/** Exit 0 when every recorded service runs and answers; 3 (endpoint unreachable) otherwise. */
export async function stackStatus(options: StackOptions = {}): Promise<number> {
  const services = await stackState(stackPaths(options.repoRoot ?? REPO_ROOT, options.stackDir));
  const paths = stackPaths(options.repoRoot ?? REPO_ROOT, options.stackDir);
  const state = readStackState(paths);
  process.stdout.write(`${formatStatus(services)}\n${state && recordedAny(services) ? `${tierSummary(state)}\n` : ""}`);
  const recorded = services.filter((service) => service.record);
  const up = recorded.length > 0 && recorded.every((service) => service.alive && service.ready);
  if (recorded.length === 0) (options.say ?? sayToStderr)("not up (smol-coder stack up starts it)");
  return up ? ExitCode.complete : ExitCode.endpointUnreachable;
}

const recordedAny = (services: { record: unknown }[]) => services.some((service) => service.record !== null);

/** What the last stack up wrote down (backend, frontier), or null. */
export function readStackState(paths: StackPaths): StackState | null {
  try {
    const parsed = StackState.safeParse(JSON.parse(readFileSync(paths.state, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Shared by the install steps. */
async function ensureMasterKey(paths: StackPaths): Promise<string> {
  const existing = await readFile(paths.masterKey, "utf8").catch(() => "");
  if (existing.trim()) {
    await chmod(paths.masterKey, 0o600);
    return existing.trim();
  }
  const key = `sk-smol-${randomBytes(24).toString("hex")}`;
  await writeFile(paths.masterKey, `${key}\n`, { mode: 0o600 });
  await chmod(paths.masterKey, 0o600); // an empty file left behind keeps its old mode through writeFile
  return key;
}

async function writeOverlay(paths: StackPaths, options: Parameters<typeof overlayConfig>[1]): Promise<void> {
  const parsed = LitellmConfig.safeParse(Bun.YAML.parse(await readFile(paths.config, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StackFailed(
      "config",
      `${paths.config} ${issue.path.join(".")}: ${issue.message}`,
      "restore litellm/config.yaml (git checkout litellm/config.yaml)",
    );
  }
  await writeFile(
    paths.overlay,
    renderOverlay(overlayConfig(parsed.data, options), path.relative(paths.repoRoot, paths.config)),
  );
}

async function ollamaReachable(base: string): Promise<boolean> {
  try {
    return (await fetch(`${base}/api/tags`, { signal: AbortSignal.timeout(1_500) })).ok;
  } catch {
    return false;
  }
}
