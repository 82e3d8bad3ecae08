// The TypeScript track's tools (tsc, ESLint, Jest and Exercism's presets), installed once from the lockfile the
// project commits, so the versions never drift; every exercise's workspace links its node_modules to that install.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ToolMissing } from "../../errors.ts";
import manifest from "./typescript/package.json" with { type: "text" };
import lockfile from "./typescript/package-lock.json" with { type: "text" };

// Text imports: Bun embeds both files in the one-binary build; the type checker sees them as JSON objects.
const MANIFEST = manifest as unknown as string;
const LOCKFILE = lockfile as unknown as string;

/** Pure: the install's directory name, from the lockfile's hash: a new lockfile gets a new install. */
export function installName(lock: string): string {
  return `typescript-${createHash("sha256").update(lock).digest("hex").slice(0, 12)}`;
}

/**
 * Installs the track's dev dependencies under `cacheDir` (npm ci from the committed lockfile) unless that install
 * is already there; returns its node_modules. A half-finished install is never taken for a finished one: npm runs
 * in a temporary directory that is renamed into place at the end.
 */
export async function typescriptDependencies(cacheDir: string, log?: (message: string) => void): Promise<string> {
  const dir = path.join(cacheDir, installName(LOCKFILE));
  const modules = path.join(dir, "node_modules");
  if (existsSync(path.join(modules, ".package-lock.json"))) return modules;
  const staging = `${dir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(path.join(staging, "package.json"), MANIFEST);
  await writeFile(path.join(staging, "package-lock.json"), LOCKFILE);
  log?.(`installing the TypeScript track's tools into ${dir} (npm ci, once)`);
  const npm = Bun.which("npm");
  if (!npm)
    throw new ToolMissing(
      "npm",
      "the TypeScript track installs tsc, ESLint and Jest with npm",
      "install Node.js with npm (apt-get install npm)",
    );
  const child = Bun.spawn([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], {
    cwd: staging,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, errors] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0)
    throw new ToolMissing(
      "npm ci",
      `npm ci failed (exit ${code}): ${errors.trim().split("\n").slice(-3).join(" ")}`,
      "check that the npm registry is reachable, then run the benchmark again",
    );
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return modules;
}
