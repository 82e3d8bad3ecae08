// Where smol-coder keeps its state by default: the user's XDG data directory, never the install directory.
// Pure functions of the environment; every one can be overridden (--log-dir, --db, --dataset, SMOL_CODER_DB).
import { homedir } from "node:os";
import path from "node:path";

type Env = Record<string, string | undefined>;

/** `$XDG_DATA_HOME/smol-coder`, else `~/.local/share/smol-coder` (a relative XDG_DATA_HOME is ignored, as the spec says). */
export function dataDir(env: Env): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || homedir(), ".local", "share");
  return path.join(base, "smol-coder");
}

export const defaultLogDir = (env: Env) => path.join(dataDir(env), "logs");
export const defaultDbPath = (env: Env) => path.join(dataDir(env), "runs.db");
export const defaultDatasetPath = (env: Env) => path.join(dataDir(env), "datasets", "HumanEval.jsonl.gz");
/** Workspace locks: not configurable, since every run on the machine must look in the same place. */
export const defaultLockDir = (env: Env) => path.join(dataDir(env), "locks");

/** The source checkout (litellm/config.yaml, tasks/): read by the local stack and the tests, never written at run time. */
export const REPO_ROOT = path.join(import.meta.dir, "..", "..", "..");

/** The daemon's socket: `$XDG_RUNTIME_DIR/smol-coder/daemon.sock`, else in the data directory. SMOL_CODER_SOCKET wins. */
export function defaultSocketPath(env: Env): string {
  if (env.SMOL_CODER_SOCKET) return path.resolve(env.SMOL_CODER_SOCKET);
  const runtime = env.XDG_RUNTIME_DIR;
  return path.join(
    runtime && path.isAbsolute(runtime) ? path.join(runtime, "smol-coder") : path.join(dataDir(env), "daemon"),
    "daemon.sock",
  );
}

/** The bearer token of the daemon's TCP listener (serve --listen). SMOL_CODER_TOKEN_FILE wins. */
export function defaultTokenPath(env: Env): string {
  return env.SMOL_CODER_TOKEN_FILE
    ? path.resolve(env.SMOL_CODER_TOKEN_FILE)
    : path.join(dataDir(env), "daemon", "token");
}
