// The current directory must not configure smol-coder. Before any of our code runs, Bun merges the `.env` files
// it finds there into process.env, and reads `bunfig.toml` there (preloads, defines). When Bun was started without
// the flags that turn this off and such a file is present, the CLI starts itself again with them, in the
// environment it was really given: /proc/self/environ, as exec'd, before Bun merged anything into process.env.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigInvalid } from "../errors.ts";

/** What Bun loads from the current directory on its own (bun.sh/docs/runtime/env; NODE_ENV picks the mode). */
export const DOTENV_FILES = [
  ".env",
  ".env.local",
  ".env.development",
  ".env.development.local",
  ".env.production",
  ".env.production.local",
  ".env.test",
  ".env.test.local",
];
export const BUNFIG_FILE = "bunfig.toml";
export const NO_DOTENV = "--no-env-file";
/** An empty config file in place of the current directory's bunfig.toml. */
export const NO_BUNFIG = "--config=/dev/null";

function hasFlag(execArgv: string[], ...names: string[]): boolean {
  return execArgv.some((arg) => names.some((name) => arg === name || arg.startsWith(`${name}=`)));
}

/**
 * Pure: the flags to start again with, or null when this process may go on. `present` names the files of the
 * current directory among DOTENV_FILES and BUNFIG_FILE. An explicit --env-file or --config is the user's choice.
 */
export function relaunchFlags(execArgv: string[], present: string[]): string[] | null {
  const dotenvOff = hasFlag(execArgv, NO_DOTENV, "--env-file");
  const bunfigOff = hasFlag(execArgv, "--config", "-c");
  const dotenvLoaded = !dotenvOff && present.some((name) => DOTENV_FILES.includes(name));
  const bunfigLoaded = !bunfigOff && present.includes(BUNFIG_FILE);
  if (!dotenvLoaded && !bunfigLoaded) return null;
  return [...(dotenvOff ? [] : [NO_DOTENV]), ...(bunfigOff ? [] : [NO_BUNFIG])];
}

/** Pure: an environment block (`NAME=value` entries, each ended by a NUL byte) as a record. */
export function parseEnviron(block: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of block.split("\0")) {
    const equals = entry.indexOf("=");
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

async function execEnvironment(cwd: string): Promise<Record<string, string>> {
  try {
    return parseEnviron(await readFile("/proc/self/environ", "utf8"));
  } catch {
    throw new ConfigInvalid(
      "environment",
      `${cwd} holds a .env or bunfig.toml that Bun has loaded, and without /proc/self/environ smol-coder cannot start again without it`,
      `start smol-coder with bun ${NO_DOTENV} ${NO_BUNFIG} (the smol-coder command does), or run it from another directory`,
    );
  }
}

/**
 * Starts this CLI again without the current directory's .env and bunfig.toml when Bun loaded them. Returns the
 * child's exit code, or null when nothing was loaded and this process goes on.
 */
export async function relaunchWithoutCwdConfig(): Promise<number | null> {
  const cwd = process.cwd();
  const present = [...DOTENV_FILES, BUNFIG_FILE].filter((name) => existsSync(path.join(cwd, name)));
  const flags = relaunchFlags(process.execArgv, present);
  if (flags === null) return null;
  const env = await execEnvironment(cwd);
  const child = Bun.spawn([process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], {
    cwd,
    env,
    stdio: ["inherit", "inherit", "inherit"],
  });
  // A terminal's Ctrl-C reaches the child too (same process group): passing it on would make it a second
  // signal, which kills the child before it restores the workspace. Other signals are passed on.
  const interactive = Boolean(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY);
  const forward = (signal: NodeJS.Signals) => {
    if (!(signal === "SIGINT" && interactive)) child.kill(signal);
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const signal of signals) process.on(signal, forward);
  try {
    return await child.exited;
  } finally {
    for (const signal of signals) process.off(signal, forward);
  }
}
