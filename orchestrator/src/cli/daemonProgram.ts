// The daemon's commands: serve, and its clients submit, tasks, status, wait, cancel, logs.
import type { Command } from "commander";
import {
  cancelCommand,
  logsCommand,
  serveCommand,
  workerCommand,
  statusCommand,
  submitCommand,
  tasksCommand,
  waitCommand,
  type SubmitFlags,
} from "./daemonCommands.ts";
import { integer, loadConfig, positiveInt, wholeNumber, type ConfigFlags } from "./options.ts";
import { RUN_EXIT_CODES, taskOptions } from "./taskOptions.ts";

export function addDaemonCommands(program: Command, globals: () => { logFile: boolean }): void {
  const socketOption = [
    "--socket <path>",
    "the daemon's unix socket (also SMOL_CODER_SOCKET; default $XDG_RUNTIME_DIR/smol-coder/daemon.sock)",
  ] as const;
  const urlOption = [
    "--url <url>",
    "the daemon's TCP listener instead of its socket, e.g. http://127.0.0.1:7400 (also SMOL_CODER_DAEMON_URL; token from SMOL_CODER_TOKEN or the token file)",
  ] as const;
  taskOptions(
    program
      .command("serve")
      .description(
        "Run the daemon: one queue and one set of tier limits for every client (foreground; SIGTERM drains it)",
      ),
  )
    .option(...socketOption)
    .option("--listen <host:port>", "also listen on TCP; every request must carry the bearer token")
    .option(
      "--drain-timeout <ms>",
      "on SIGTERM, how long running tasks may take to finish before they are interrupted and queued again (daemon.drainTimeoutMs, 30000)",
      wholeNumber,
    )
    .option(
      "--queue <sqlite|url>",
      "the queue: sqlite (this machine's run store) or a redis:// URL shared by every daemon on it, on any machine (daemon.queue, SMOL_CODER_QUEUE)",
    )
    .option("--no-work", "answer clients only; workers (smol-coder worker) on the same queue run the tasks")
    .option(
      "--detach",
      "run in the background: a pid file beside the socket, events in <logDir>/daemon.log; returns once it answers",
    )
    .option(
      "--token-file <path>",
      "the TCP listener's token, made 0600 when absent (also SMOL_CODER_TOKEN_FILE; default ~/.local/share/smol-coder/daemon/token)",
    )
    .action(
      async (
        options: ConfigFlags & {
          socket?: string;
          listen?: string;
          tokenFile?: string;
          detach?: boolean;
          drainTimeout?: number;
          work?: boolean;
        },
      ) => {
        const config = loadConfig(options);
        const daemon = {
          ...config.daemon,
          ...(options.drainTimeout === undefined ? {} : { drainTimeoutMs: options.drainTimeout }),
        };
        process.exitCode = await serveCommand({ ...config, daemon }, { ...options, logFile: globals().logFile });
      },
    );
  taskOptions(
    program
      .command("worker")
      .description(
        "Take tasks from the daemon's queue and run them, answering no client: more hands for a Redis queue (serve --queue) on any machine",
      ),
  )
    .option(
      "--queue <sqlite|url>",
      "the queue to take tasks from: a redis:// URL (daemon.queue, SMOL_CODER_QUEUE), or sqlite for this machine's run store",
    )
    .option(
      "--drain-timeout <ms>",
      "on SIGTERM, how long running tasks may take to finish before they are interrupted and queued again",
      wholeNumber,
    )
    .action(async (options: ConfigFlags & { drainTimeout?: number }) => {
      const config = loadConfig(options);
      const daemon = {
        ...config.daemon,
        ...(options.drainTimeout === undefined ? {} : { drainTimeoutMs: options.drainTimeout }),
      };
      process.exitCode = await workerCommand({ ...config, daemon }, { logFile: globals().logFile });
    });
  program
    .command("submit")
    .description(
      "Hand a workspace task to the daemon; prints its id (with --wait: its events, then exits as run would)",
    )
    .option("--file <path>", "task JSON file (default: stdin)")
    .option("--workspace <dir>", "workspace directory", process.cwd())
    .option("--commit", "commit the owned files on success (git workspaces)")
    .option("--priority <n>", "higher starts first; within a priority, submission order", integer)
    .option("--wait", "stream the task's events and exit with its exit code")
    .option(...socketOption)
    .option(...urlOption)
    .addHelpText(
      "after",
      `${RUN_EXIT_CODES}
  (without --wait: 0 once submitted; 2 refused; 3 no daemon answers)`,
    )
    .action(async (options: SubmitFlags) => {
      process.exitCode = await submitCommand(options);
    });
  program
    .command("tasks")
    .description("The daemon's tasks, newest first")
    .option("--json", "as JSON")
    .option("--limit <n>", "most recent N", positiveInt, 100)
    .option(...socketOption)
    .option(...urlOption)
    .action(async (options: { socket?: string; url?: string; json?: boolean; limit: number }) => {
      process.exitCode = await tasksCommand(options);
    });
  program
    .command("status")
    .description("One daemon task: its state, place in line, outcome")
    .argument("<id>")
    .option("--json", "as JSON")
    .option(...socketOption)
    .option(...urlOption)
    .action(async (id: string, options: { socket?: string; url?: string; json?: boolean }) => {
      process.exitCode = await statusCommand(id, options);
    });
  program
    .command("wait")
    .description("Wait for a daemon task to finish; exits with its exit code")
    .argument("<id>")
    .option(...socketOption)
    .option(...urlOption)
    .action(async (id: string, options: { socket?: string; url?: string }) => {
      process.exitCode = await waitCommand(id, options);
    });
  program
    .command("cancel")
    .description(
      "Cancel a daemon task: a waiting one at once, a running one as soon as it stops (its unlanded edit dropped)",
    )
    .argument("<id>")
    .option(...socketOption)
    .option(...urlOption)
    .action(async (id: string, options: { socket?: string; url?: string }) => {
      process.exitCode = await cancelCommand(id, options);
    });
  program
    .command("logs")
    .description("A daemon task's events (NDJSON)")
    .argument("<id>")
    .option("--follow", "keep printing until the task finishes")
    .option(...socketOption)
    .option(...urlOption)
    .action(async (id: string, options: { socket?: string; url?: string; follow?: boolean }) => {
      process.exitCode = await logsCommand(id, options);
    });
}
