// Shared test helpers: temp workspaces (real git repos), running the real CLI, reading its events.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "bun:test";
import { createTwoFilesPatch } from "diff";
import { buildConfig } from "../src/config/config.ts";
import { openSandbox, type Sandbox } from "../src/sandbox/sandbox.ts";
import type { FakeModel } from "./fakeModel.ts";

export const ORCHESTRATOR_DIR = path.join(import.meta.dir, "..");
export const CLI = path.join(ORCHESTRATOR_DIR, "src", "index.ts");

/** Run records of the CLI processes a test file starts: never the repository's logs/runs.db. */
/** Where no daemon listens: a user's own daemon must never take the suite's `run`s. */
export const NO_DAEMON = path.join(tmpdir(), `smol-test-no-daemon-${process.pid}.sock`);
export const TEST_DB = path.join(tmpdir(), `smol-test-runs-${process.pid}.db`);

/** The shared HumanEval file beside the checkout (never copied into the repository). */
export const SHARED_DATASET =
  process.env.SMOL_CODER_TEST_DATASET ??
  path.join(ORCHESTRATOR_DIR, "..", "..", "shared", "datasets", "HumanEval.jsonl.gz");

export function tempDir(prefix = "smol-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function git(cwd: string, ...args: string[]): string {
  const result = Bun.spawnSync(["git", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

export function initRepo(dir: string): void {
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "test@example.com");
  git(dir, "config", "user.name", "Test");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "initial");
}

/** A copy of the TypeScript fixture as a git repo, with the orchestrator's node_modules (real tsc) linked in. */
export function tsWorkspace(): string {
  const dir = tempDir("smol-ts-");
  cpSync(path.join(import.meta.dir, "fixtures", "ts-workspace"), dir, { recursive: true });
  initRepo(dir);
  symlinkSync(path.join(ORCHESTRATOR_DIR, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** Every file under dir (except .git and node_modules) with its bytes and mode, for byte-for-byte comparison. */
export function treeState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      if (name === ".git" || name === "node_modules") continue;
      const full = path.join(current, name);
      const info = statSync(full);
      if (info.isDirectory()) {
        out[`${path.relative(dir, full)}/`] = "dir";
        walk(full);
      } else {
        out[path.relative(dir, full)] = `${info.mode.toString(8)}:${readFileSync(full).toString("base64")}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** A clean unified diff for one file; `before` null creates the file. */
export function unifiedDiff(file: string, before: string | null, after: string): string {
  return createTwoFilesPatch(before === null ? "/dev/null" : `a/${file}`, `b/${file}`, before ?? "", after);
}

/** Diffs fenced as a model would reply, with prose around them. */
export function fencedReply(...diffs: string[]): string {
  return `Here is the change:\n\n\`\`\`diff\n${diffs.join("")}\`\`\`\n\nThis should make the checks pass.\n`;
}

export function diffReply(file: string, before: string | null, after: string): string {
  return fencedReply(unifiedDiff(file, before, after));
}

export type Event = { event: string; [key: string]: unknown };
export type CliResult = { exitCode: number; stdout: string; stderr: string; events: Event[] };

export async function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  const child = Bun.spawn(["bun", "run", CLI, "--no-log-file", ...args], {
    cwd: options.cwd ?? ORCHESTRATOR_DIR,
    // tsWorkspace links the orchestrator's node_modules in: the sandbox may read it, as a user would configure.
    env: {
      ...process.env,
      LITELLM_URL: "http://127.0.0.1:9/v1",
      SMOL_CODER_DB: TEST_DB,
      SMOL_CODER_SOCKET: NO_DAEMON,
      SMOL_CODER_SANDBOX_READONLY: path.join(ORCHESTRATOR_DIR, "node_modules"),
      ...options.env,
    },
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const events = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Event);
  return { exitCode, stdout, stderr, events };
}

/** A CLI process still running: its events as they come, a wait for one of them, and its end. */
export type RunningCli = {
  pid: number;
  events: Event[];
  /** The first event that matches, as soon as it is printed; rejects if the process ends without one. */
  until(matches: (event: Event) => boolean): Promise<Event>;
  finished: Promise<CliResult>;
};

/** Starts the real CLI as runCli does, without waiting for it to end. */
export function spawnCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): RunningCli {
  const child = Bun.spawn(["bun", "run", CLI, "--no-log-file", ...args], {
    cwd: ORCHESTRATOR_DIR,
    env: {
      ...process.env,
      LITELLM_URL: "http://127.0.0.1:9/v1",
      SMOL_CODER_DB: TEST_DB,
      SMOL_CODER_SOCKET: NO_DAEMON,
      SMOL_CODER_SANDBOX_READONLY: path.join(ORCHESTRATOR_DIR, "node_modules"),
      ...options.env,
    },
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const events: Event[] = [];
  const listeners = new Set<() => void>();
  let ended = false;
  const reading = (async () => {
    let stdout = "";
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      const text = decoder.decode(chunk, { stream: true });
      stdout += text;
      pending += text;
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.startsWith("{")) events.push(JSON.parse(line) as Event);
      }
      for (const listener of listeners) listener();
    }
    return stdout;
  })();
  const finished = Promise.all([reading, new Response(child.stderr).text(), child.exited]).then(
    ([stdout, stderr, exitCode]): CliResult => {
      ended = true;
      for (const listener of listeners) listener();
      return { exitCode, stdout, stderr, events };
    },
  );
  const until = (matches: (event: Event) => boolean) =>
    new Promise<Event>((resolve, reject) => {
      const look = () => {
        const found = events.find(matches);
        if (found) resolve(found);
        else if (ended)
          reject(
            new Error(`the CLI ended without the event; it printed: ${events.map((event) => event.event).join(", ")}`),
          );
        else return;
        listeners.delete(look);
      };
      listeners.add(look);
      look();
    });
  return { pid: child.pid, events, until, finished };
}

export function eventNames(result: CliResult): string[] {
  return result.events.map((event) => event.event);
}

/** Whether a process still runs. A killed child not yet reaped is a zombie: it no longer runs. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let stat = "";
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  return !/^\d+ \(.*\) Z/.test(stat);
}

export function cleanup(...dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/** Per-test resources, released after each test: the fake model server and temp directories. */
export function perTestResources(): { fake: FakeModel | undefined; track(dir: string): string } {
  const dirs: string[] = [];
  const resources = {
    fake: undefined as FakeModel | undefined,
    track(dir: string) {
      dirs.push(dir);
      return dir;
    },
  };
  afterEach(async () => {
    await resources.fake?.stop();
    resources.fake = undefined;
    cleanup(...dirs.splice(0));
  });
  return resources;
}

let sandbox: Promise<Sandbox> | null = null;
/** The real bubblewrap sandbox with the default limits, opened (and self-tested) once per test process. */
export function testSandbox(): Promise<Sandbox> {
  return (sandbox ??= openSandbox(buildConfig([{}]).sandbox, { unsafe: false }));
}

/** Whether a heartbeat file (rewritten every 50 ms by a background loop) is still being written. */
export async function heartbeatAlive(file: string): Promise<boolean> {
  const before = readFileSync(file, "utf8");
  await Bun.sleep(400);
  return readFileSync(file, "utf8") !== before;
}

/** A shell line that starts a background loop rewriting `file` every 50 ms: a process that must not survive. */
export function heartbeatCommand(file: string): string {
  return `(n=0; while true; do n=$((n+1)); echo $n > ${file}; sleep 0.05; done) &`;
}

/** Host pids whose command line contains `marker`: how a test sees survivors inside a sandbox's PID namespace. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) pids.push(Number(name));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

/** Waits until no host process carries `marker`; true if none is left within the time. */
export async function noneSurvive(marker: string, withinMs = 3000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && processesWith(marker).length > 0) await Bun.sleep(50);
  return processesWith(marker).length === 0;
}
