// Runs verification commands one by one, each with a timeout that kills its whole process group.
import { summariseFailure } from "./diagnostics.ts";
import { isSecretName } from "./secrets.ts";

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
  env: Record<string, string>;
  /** Aborting kills the running command's process group. */
  signal?: AbortSignal;
};

const OUTPUT_LIMIT = 1 << 20; // keep the last 1 MiB of a command's output

/** Pure: the environment a verification command gets. Secrets and our own settings stay out. */
export function verificationEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || isSecretName(name) || name.startsWith("LITELLM_") || name.startsWith("SMOL_CODER_")) continue;
    out[name] = value;
  }
  // Test runners stay non-interactive and plain.
  return { ...out, CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" };
}

async function collect(stream: ReadableStream<Uint8Array>, sink: Uint8Array[], budget: { bytes: number }): Promise<void> {
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

export async function runCommand(command: string, options: Pick<VerifyOptions, "cwd" | "timeoutMs" | "env" | "signal">): Promise<CommandResult> {
  const started = performance.now();
  const child = Bun.spawn(["/bin/sh", "-c", command], {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    detached: true, // own process group, so a timeout can kill everything it started
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
    output: Buffer.concat(chunks).toString("utf8"),
  };
}

export async function verify(options: VerifyOptions): Promise<Verification> {
  const results: CommandResult[] = [];
  for (const command of options.commands) {
    options.signal?.throwIfAborted();
    const result = await runCommand(command, options);
    results.push(result);
    if (result.exitCode !== 0) {
      const errors = summariseFailure(result, { maxErrors: options.maxErrors, maxErrorChars: options.maxErrorChars });
      return { passed: false, results, failed: result, errors };
    }
  }
  return { passed: true, results };
}
