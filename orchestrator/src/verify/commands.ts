// Runs verification commands one by one, each jailed by the sandbox, with a timeout that kills all it started.
import { summariseFailure } from "./diagnostics.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { WorkspaceView } from "../sandbox/view.ts";
import { scrubSecrets, withoutSecrets } from "../log/secrets.ts";

export type CommandResult = {
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  output: string;
};
export type Verification =
  | { passed: true; results: CommandResult[] }
  | { passed: false; results: CommandResult[]; failed: CommandResult; errors: string[] };
export type VerifyOptions = {
  cwd: string;
  commands: string[];
  timeoutMs: number;
  maxErrors: number;
  maxErrorChars: number;
  sandbox: Sandbox;
  /** The task's files: verification may read them even when their names look secret. */
  owned?: string[];
  /** The view the commands share; without one, verify makes its own and throws it away at the end. */
  view?: WorkspaceView;
  /** Aborting kills the running command's process group. */
  signal?: AbortSignal;
};

const OUTPUT_LIMIT = 1 << 20; // keep the last 1 MiB of a command's output

/** Pure: the host environment without secrets or our own settings (for trusted helpers such as the grader). */
export function verificationEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out = withoutSecrets(env);
  for (const name of Object.keys(out))
    if (name.startsWith("LITELLM_") || name.startsWith("SMOL_CODER_")) delete out[name];
  // Test runners stay non-interactive and plain.
  return { ...out, CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" };
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  sink: Uint8Array[],
  budget: { bytes: number },
): Promise<void> {
  for await (const chunk of stream) {
    sink.push(chunk);
    budget.bytes += chunk.length;
    while (budget.bytes > OUTPUT_LIMIT && sink.length > 1) budget.bytes -= sink.shift()!.length;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}

/**
 * One command, jailed, in `view` (the verification's view of the workspace), or in a view of its own that is
 * thrown away after it: nothing it writes reaches the real workspace.
 */
export async function runJailedCommand(
  command: string,
  options: Pick<VerifyOptions, "cwd" | "timeoutMs" | "sandbox" | "signal" | "owned"> & { view?: WorkspaceView },
): Promise<CommandResult> {
  if (!options.view) {
    const view = await options.sandbox.view(options.cwd, options.owned ?? []);
    try {
      return await runJailedCommand(command, { ...options, view });
    } finally {
      await view.dispose();
    }
  }
  const started = performance.now();
  const jail = await options.sandbox.jail({
    workspace: options.cwd,
    writable: true,
    view: options.view,
    command: ["/bin/sh", "-c", command],
  });
  try {
    options.signal?.throwIfAborted(); // aborted while the jail was made: an abort listener added now would never fire
    const child = Bun.spawn(jail.argv, {
      cwd: options.cwd,
      env: jail.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true, // own process group: a timeout kills the sandbox, and with it its PID namespace
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    const onAbort = () => killGroup(child.pid);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const chunks: Uint8Array[] = [];
    const budget = { bytes: 0 };
    const reading = Promise.all([collect(child.stdout, chunks, budget), collect(child.stderr, chunks, budget)]);
    const exitCode = await child.exited;
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    // Leftover background processes would hold the pipes open and outlive verification.
    killGroup(child.pid);
    await Promise.race([reading, Bun.sleep(2_000)]);
    return {
      command,
      exitCode: timedOut ? null : exitCode,
      timedOut,
      durationMs: Math.round(performance.now() - started),
      // Scrubbed before anything shortens it: a secret cut in half would no longer match.
      output: scrubSecrets(Buffer.concat(chunks).toString("utf8")),
    };
  } finally {
    await jail.dispose();
  }
}

/** The commands in order, in one view of the workspace: a build's output reaches the tests, and all of it is thrown away at the end. */
export async function verify(options: VerifyOptions): Promise<Verification> {
  const results: CommandResult[] = [];
  const view = options.view ?? (await options.sandbox.view(options.cwd, options.owned ?? []));
  try {
    for (const command of options.commands) {
      options.signal?.throwIfAborted();
      const result = await runJailedCommand(command, { ...options, view });
      results.push(result);
      if (result.exitCode !== 0) {
        const errors = summariseFailure(result, { maxErrors: options.maxErrors, maxErrorChars: options.maxErrorChars });
        return { passed: false, results, failed: result, errors };
      }
    }
    return { passed: true, results };
  } finally {
    if (!options.view) await view.dispose();
  }
}
