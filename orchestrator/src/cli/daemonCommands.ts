// The daemon's commands: `serve`, and the clients that talk to it (submit, tasks, status, wait, cancel, logs).
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Config } from "../config/config.ts";
import { DaemonRefused, DaemonUnreachable, TaskInvalid } from "../errors.ts";
import type { Solver } from "../benchmark/humaneval/bench.ts";
import { defaultSocketPath, defaultTokenPath } from "../config/paths.ts";
import { daemonClient, type DaemonClient, type DaemonTarget } from "../daemon/client.ts";
import { listenAddress } from "../daemon/token.ts";
import { detach, pidFileFor } from "../daemon/detach.ts";
import { registerSecret } from "../log/secrets.ts";
import { serve } from "../daemon/serve.ts";
import type { Submission, TaskView } from "../daemon/protocol.ts";
import type { OutcomeRecord } from "../queue/queue.ts";
import { parseTask, readTaskText } from "../task/task.ts";

/** Where the clients find the daemon: --url (or SMOL_CODER_DAEMON_URL) for its TCP listener, else its socket. */
export type SocketFlag = { socket?: string; url?: string };
export type SubmitFlags = SocketFlag & {
  file?: string;
  workspace: string;
  commit?: boolean;
  priority?: number;
  wait?: boolean;
};

const socketOf = (flags: SocketFlag) => (flags.socket ? path.resolve(flags.socket) : defaultSocketPath(process.env));

/** The daemon's TCP URL with the token (SMOL_CODER_TOKEN, else the token file), or its socket. */
function targetOf(flags: SocketFlag): DaemonTarget {
  const url = flags.url ?? process.env.SMOL_CODER_DAEMON_URL;
  if (!url) return socketOf(flags);
  let token = process.env.SMOL_CODER_TOKEN?.trim();
  if (!token) {
    const file = defaultTokenPath(process.env);
    try {
      token = readFileSync(file, "utf8").trim();
    } catch {
      throw new TaskInvalid(
        "--url",
        `needs the daemon's token, and ${file} cannot be read`,
        "set SMOL_CODER_TOKEN to the token in the daemon's token file, or SMOL_CODER_TOKEN_FILE to that file",
      );
    }
  }
  registerSecret(token);
  return { url, token };
}
const say = (line: string) => process.stderr.write(`${line}\n`);
const FINISHED = new Set(["done", "cancelled"]);

export async function serveCommand(
  config: Config,
  flags: SocketFlag & { logFile: boolean; listen?: string; tokenFile?: string; detach?: boolean; work?: boolean },
): Promise<number> {
  let listen: { hostname: string; port: number; tokenFile: string } | undefined;
  if (flags.listen !== undefined) {
    const address = listenAddress(flags.listen);
    if (!address)
      throw new TaskInvalid("--listen", `${flags.listen} is not HOST:PORT`, "pass e.g. --listen 127.0.0.1:7400");
    listen = { ...address, tokenFile: flags.tokenFile ? path.resolve(flags.tokenFile) : defaultTokenPath(process.env) };
  }
  const socket = socketOf(flags);
  if (flags.detach) {
    mkdirSync(config.logDir, { recursive: true });
    const logFile = path.join(config.logDir, "daemon.log");
    const { pid } = await detach({ socket, logFile });
    say(
      `smol-coder: daemon pid ${pid} on ${socket} (pid file ${pidFileFor(socket)}); its events go to ${logFile}; stop it with kill -TERM ${pid}`,
    );
    return 0;
  }
  return serve(config, { socket, logFile: flags.logFile, listen, work: flags.work !== false });
}

/** `worker`: takes tasks from the queue and runs them, answering no client (serve answers them). */
export function workerCommand(config: Config, flags: { logFile: boolean }): Promise<number> {
  return serve(config, { socket: "", logFile: flags.logFile, api: false });
}

/** Streams the task's events to stdout (with `events`), then prints its end as `run` does and returns its exit code. */
async function finishOf(client: DaemonClient, id: string, events: boolean): Promise<number> {
  for await (const line of client.events(id, { follow: true, after: 0 })) if (events) process.stdout.write(`${line}\n`);
  const task = await client.get(id);
  if (!FINISHED.has(task.state)) {
    throw new DaemonUnreachable(
      client.where,
      `it stopped before task ${id} finished; a restarted daemon runs it again: smol-coder wait ${id}`,
    );
  }
  if (task.summary) say(task.summary);
  return task.exitCode ?? 70;
}

/** The daemon on the socket, when one answers; null when there is no socket or nothing answers on it. */
async function answeringDaemon(flags: SocketFlag): Promise<DaemonClient | null> {
  const target = targetOf(flags);
  if (typeof target === "string" && !existsSync(target)) return null;
  const client = daemonClient(target);
  return (await client.health().then(
    () => true,
    () => false,
  ))
    ? client
    : null;
}

/**
 * The daemon that takes this command's work, or null to do it here (--no-daemon, or none answers). Flags that set
 * this process's config cannot travel with the work: with a daemon answering they are refused, not ignored.
 */
export async function daemonFor(
  flags: SocketFlag & { daemon?: boolean; configFlags?: string[] },
  work: string,
): Promise<DaemonClient | null> {
  const daemon = flags.daemon === false ? null : await answeringDaemon(flags);
  if (daemon && flags.configFlags?.length) {
    throw new TaskInvalid(
      flags.configFlags[0]!,
      `sets this process's config, but the daemon on ${daemon.where} runs its tasks with its own`,
      `pass --no-daemon to run ${work} here with these flags, or set them in the daemon's config`,
    );
  }
  return daemon;
}

/** Submits and waits, printing what `run` prints: the events on stdout, the outcome on stderr; returns the exit code. */
export async function viaDaemon(client: DaemonClient, submission: Submission): Promise<number> {
  const submitted = await client.submit(submission);
  say(
    `smol-coder: submitted task ${submitted.id} to the daemon on ${client.where}${submitted.position ? ` (${submitted.position} ahead of it)` : ""}`,
  );
  return finishOf(client, submitted.id, true);
}

/** Submits one task, waits for it to finish and reads its outcome back; an abort cancels it. */
export async function outcomeOf(
  client: DaemonClient,
  submission: Submission,
  signal: AbortSignal,
): Promise<OutcomeRecord> {
  signal.throwIfAborted();
  const { id } = await client.submit(submission);
  const cancel = () => void client.cancel(id).catch(() => undefined);
  signal.addEventListener("abort", cancel, { once: true });
  try {
    for await (const _ of client.events(id, { follow: true, after: Number.MAX_SAFE_INTEGER })) {
      // Only the end matters here: the stream closes when the task has finished.
    }
    const task = await client.get(id);
    signal.throwIfAborted();
    if (task.outcome) return task.outcome;
    throw new DaemonRefused("TaskFailed", task.summary ?? `task ${id} ended ${task.state} without an outcome`);
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

/**
 * `bench humaneval` through the daemon: each problem is submitted (its fresh workspace made under the run's
 * directory), waited for, and its outcome read back; Ctrl-C cancels what was submitted.
 */
export function daemonSolver(client: DaemonClient): Solver {
  return (problem, { workspaces, dataset, signal }) =>
    outcomeOf(
      client,
      {
        task: { kind: "humaneval", problemId: problem.taskId, dataset },
        workspace: workspaces,
        commit: false,
        priority: 0,
      },
      signal,
    );
}

export async function submitCommand(flags: SubmitFlags): Promise<number> {
  const { text, source } = await readTaskText(flags.file, { isTTY: process.stdin.isTTY, text: () => Bun.stdin.text() });
  const task = parseTask(text, source);
  const client = daemonClient(targetOf(flags));
  // A HumanEval problem's fresh workspace is made in a directory of its own, as run makes it; its dataset travels as an absolute path.
  const workspace =
    task.kind === "humaneval"
      ? mkdtempSync(path.join(tmpdir(), "smol-coder-humaneval-"))
      : path.resolve(flags.workspace);
  const queued = task.kind === "humaneval" && task.dataset ? { ...task, dataset: path.resolve(task.dataset) } : task;
  const submission = { task: queued, workspace, commit: Boolean(flags.commit), priority: flags.priority ?? 0 };
  if (flags.wait) return viaDaemon(client, submission);
  process.stdout.write(`${(await client.submit(submission)).id}\n`);
  return 0;
}

function row(task: TaskView): string {
  const outcome =
    task.state === "queued"
      ? `#${(task.position ?? 0) + 1} in line`
      : task.state === "running"
        ? `running (start ${task.starts})`
        : `${task.status ?? task.state} (exit ${task.exitCode})`;
  return [
    task.id,
    task.state.padEnd(9),
    outcome.padEnd(24),
    String(task.priority).padStart(4),
    task.workspace,
    (task.task.kind === "humaneval" ? task.task.problemId : task.task.description).replace(/\s+/g, " ").slice(0, 50),
  ].join("  ");
}

export async function tasksCommand(flags: SocketFlag & { json?: boolean; limit: number }): Promise<number> {
  const tasks = await daemonClient(targetOf(flags)).list(flags.limit);
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(tasks, null, 2)}\n`
      : tasks.length === 0
        ? "no tasks\n"
        : `${tasks.map(row).join("\n")}\n`,
  );
  return 0;
}

export async function statusCommand(id: string, flags: SocketFlag & { json?: boolean }): Promise<number> {
  const task = await daemonClient(targetOf(flags)).get(id);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `task ${task.id}: ${task.state}${task.position !== null ? `, ${task.position} ahead of it` : ""}`,
    `workspace ${task.workspace}; priority ${task.priority}; started ${task.starts} time(s)`,
    `submitted ${task.submittedAt}${task.startedAt ? `, started ${task.startedAt}` : ""}${task.finishedAt ? `, finished ${task.finishedAt}` : ""}`,
    ...(task.exitCode !== null
      ? [`exit ${task.exitCode}${task.runId ? `; run ${task.runId} (smol-coder analyze ${task.runId})` : ""}`]
      : []),
    ...(task.summary ? [task.summary] : []),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

export function waitCommand(id: string, flags: SocketFlag): Promise<number> {
  return finishOf(daemonClient(targetOf(flags)), id, false);
}

export async function cancelCommand(id: string, flags: SocketFlag): Promise<number> {
  const task = await daemonClient(targetOf(flags)).cancel(id);
  say(
    `smol-coder: task ${id} ${task.state === "running" ? "is stopping: its edit, not landed, is dropped" : task.state}`,
  );
  return 0;
}

export async function logsCommand(id: string, flags: SocketFlag & { follow?: boolean }): Promise<number> {
  for await (const line of daemonClient(targetOf(flags)).events(id, { follow: Boolean(flags.follow) }))
    process.stdout.write(`${line}\n`);
  return 0;
}
