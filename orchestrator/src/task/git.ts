// Every git process smol-coder starts. A workspace's repository is not ours to trust: no program it names
// (hooks, fsmonitor) runs on the host, and git gets none of our secrets.
import { GitFailed } from "../errors.ts";
import { withoutSecrets } from "../log/secrets.ts";

/** Given on the command line, where they override the repository's own .git/config. */
export const SAFE_CONFIG = ["core.hooksPath=/dev/null", "core.fsmonitor=false"];

/**
 * Pure: git's environment. Secrets go, and so do the caller's GIT_* variables (GIT_DIR, GIT_INDEX_FILE,
 * GIT_CONFIG_PARAMETERS...), which could point git elsewhere or turn hooks back on; then `extra` is added.
 */
export function gitEnv(
  env: Record<string, string | undefined>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const out = withoutSecrets(env);
  for (const name of Object.keys(out)) if (name.toUpperCase().startsWith("GIT_")) delete out[name];
  return { ...out, GIT_TERMINAL_PROMPT: "0", ...extra };
}

/** Runs git in `cwd` with SAFE_CONFIG and gitEnv; returns stdout, or throws GitFailed with git's stderr. */
export async function git(cwd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const argv = ["git", ...SAFE_CONFIG.flatMap((setting) => ["-c", setting]), ...args];
  const child = Bun.spawn(argv, {
    cwd,
    env: gitEnv(process.env, extraEnv),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  if (code !== 0) throw new GitFailed(args, cwd, code, stderr);
  return stdout;
}
