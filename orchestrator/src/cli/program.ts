// The command line: every command, its options and the one function it calls.
import { Command } from "commander";
import {
  analyzeCommand,
  benchCommand,
  downloadCommand,
  listProblemsCommand,
  runCommand,
  runsCommand,
  type BenchFlags,
  type RunOptions,
} from "./commands.ts";
import {
  backendChoice,
  integer,
  loadConfig,
  portNumber,
  positiveInt,
  tierChoice,
  tierList,
  trackChoice,
  wholeNumber,
  type ConfigFlags,
} from "./options.ts";
import { exercismCommand, type ExercismFlags } from "./exercism.ts";
import { doctorCommand } from "../doctor/checks.ts";
import {
  cancelCommand,
  logsCommand,
  serveCommand,
  statusCommand,
  submitCommand,
  tasksCommand,
  waitCommand,
  type SubmitFlags,
} from "./daemonCommands.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { DEFAULT_PORTS } from "../stack/stack.ts";
import { stackDown, stackStatus, stackUp, type StackOptions, type StackUpOptions } from "../stack/lifecycle.ts";
import { VERSION } from "../version.ts";

/** Options every task-running command takes. */
function taskOptions(command: Command): Command {
  return command
    .option("--config <path>", "config JSON file (also SMOL_CODER_CONFIG)")
    .option("--db <path>", "SQLite run records (also SMOL_CODER_DB; default ~/.local/share/smol-coder/runs.db)")
    .option(
      "--dataset <path>",
      "HumanEval JSONL, plain or .gz (default ~/.local/share/smol-coder/datasets/HumanEval.jsonl.gz)",
    )
    .option("--debug <dir>", "also write each attempt's prompt, raw reply, patch and verification output here")
    .option("--no-spec", "no spec-writer call before the first attempt (ablation)")
    .option("--no-checkpoints", "no mentor checkpoints at escalations (ablation)")
    .option("--reuse-spec", "reuse a stored spec for the same problem text, spec model and prompt version")
    .option("--checkpoint-interval <k>", "also a mentor checkpoint every K failed attempts within a tier", wholeNumber)
    .option("--max-attempts <n>", "attempts per task, all tiers", positiveInt)
    .option("--escalate-after <n>", "failed attempts at a tier before escalating", positiveInt)
    .option("--timeout-ms <n>", "per model call", positiveInt)
    .option("--verify-timeout-ms <n>", "per verification command", positiveInt)
    .option("--max-patch-lines <n>", "largest patch accepted, in changed lines", positiveInt)
    .option(
      "--unsafe-no-sandbox",
      "run verification without bubblewrap (machines without user namespaces; model code gets your access)",
    );
}

/** The options of taskOptions that change the config (and so cannot travel to a daemon with the task). */
const CONFIG_FLAGS = [
  "config",
  "db",
  "spec",
  "checkpoints",
  "reuseSpec",
  "checkpointInterval",
  "maxAttempts",
  "escalateAfter",
  "timeoutMs",
  "verifyTimeoutMs",
  "maxPatchLines",
  "unsafeNoSandbox",
];

/** The config-setting flags given on this command line, as typed (--max-attempts). */
function configFlagsGiven(command: Command): string[] {
  return CONFIG_FLAGS.filter((flag) => command.getOptionValueSource(flag) === "cli").map(
    (flag) => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  );
}

/** What each exit code means, per command: shown after its --help (and in docs/usage.md). */
const RUN_EXIT_CODES = `
Exit codes:
  0    complete: verification passed (and, with --commit, the change is committed)
  1    attempts used up: the task aborted, the owned files are restored
  2    bad input or configuration (the message names the fix), the endpoint refused the key or alias,
       or --no-wait and another run holds the workspace
  3    model endpoint unreachable (the owned files are restored)
  4    the machine lacks something: the sandbox (bubblewrap), python3 with pytest
  5    verified but not landed: git refused the commit (the change stays in the working tree), or, through
       the daemon, an owned file changed meanwhile (conflict: the verified diff is shown)
  70   internal error (a bug): one line on stderr names the log file that holds the stack trace
  130  interrupted (Ctrl-C, SIGTERM; the owned files are restored)`;
const BENCH_EXIT_CODES = `
Exit codes:
  0    the run finished, whatever the score
  2    bad input or configuration (the message names the fix)
  3    model endpoint unreachable
  4    the machine lacks something: the sandbox (bubblewrap), python3 with pytest
  70   internal error (a bug): one line on stderr names the log file that holds the stack trace
  130  interrupted (continue with --resume)`;

export function buildProgram(): Command {
  const program = new Command("smol-coder")
    .description("Coding tasks done by cheap local models, escalating to a frontier model only when they fail")
    .version(VERSION, "-V, --version", "print the version")
    .option("--no-log-file", "do not write a copy of the events to the log directory")
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(scrubSecrets(`smol-coder: ${text.replace(/^error: /, "invalid arguments: ")}`)),
    })
    .addHelpText(
      "after",
      "\nWithout a command, smol-coder runs a task: smol-coder run --help lists its options and exit codes.",
    );
  const globals = () => program.opts<{ logFile: boolean }>();

  taskOptions(
    program
      .command("run", { isDefault: true })
      .description("Run one task: JSON on stdin or --file (workspace or humaneval)"),
  )
    .option("--file <path>", "task JSON file (default: stdin)")
    .option("--workspace <dir>", "workspace directory", process.cwd())
    .option("--commit", "commit the owned files on success (git workspaces)")
    .option("--pretty", "human-readable events")
    .option("--no-wait", "refuse at once (exit 2) when another run holds the workspace, instead of waiting for it")
    .option("--no-daemon", "run the task in this process even when a daemon (smol-coder serve) answers on the socket")
    .option("--socket <path>", "the daemon's unix socket (also SMOL_CODER_SOCKET)")
    .addHelpText("after", RUN_EXIT_CODES)
    .action(async (options: RunOptions & ConfigFlags, command: Command) => {
      process.exitCode = await runCommand(loadConfig(options), {
        ...options,
        configFlags: configFlagsGiven(command),
        logFile: globals().logFile,
      });
    });

  const bench = program.command("bench").description("Benchmarks");
  taskOptions(
    bench
      .command("humaneval")
      .description("Run HumanEval problems through the tiers; writes results.jsonl, summary.json, report.md"),
  )
    .option("--problems <list>", "indexes, ranges or ids, e.g. 0-9,12,HumanEval/20")
    .option("--limit <n>", "only the first N selected problems", positiveInt)
    .option(
      "--concurrency <n>",
      "problems in flight at once (model calls stay within each tier's limit)",
      positiveInt,
      8,
    )
    .option("--out <dir>", "output directory (default ~/.local/share/smol-coder/logs/bench-<time>)")
    .option("--resume", "continue the run in --out, skipping finished problems")
    .option(
      "--baseline <tiers>",
      "also ask these tiers' models directly, the way their makers evaluate them (e.g. fast,deep), graded the same way",
      tierList,
    )
    .option(
      "--no-daemon",
      "run the problems in this process even when a daemon (smol-coder serve) answers on the socket",
    )
    .option("--socket <path>", "the daemon's unix socket (also SMOL_CODER_SOCKET)")
    .addHelpText("after", BENCH_EXIT_CODES)
    .action(async (options: BenchFlags & ConfigFlags, command: Command) => {
      process.exitCode = await benchCommand(loadConfig(options), {
        ...options,
        configFlags: configFlagsGiven(command),
        logFile: globals().logFile,
      });
    });

  taskOptions(
    bench
      .command("exercism")
      .description(
        "Run Exercism exercises as workspace tasks, beside the field's protocol (Aider's) as a baseline; writes results.jsonl, summary.json, report.md",
      ),
  )
    .requiredOption("--track <name>", "python or typescript", trackChoice)
    .requiredOption(
      "--exercises <dir>",
      "a clone of exercism/python or exercism/typescript (or a copy laid out the same: exercises/practice/NAME/)",
    )
    .option("--only <names>", "these exercises only, comma-separated")
    .option("--sample <n>", "a seeded sample of N exercises", positiveInt)
    .option("--seed <n>", "the sample's seed", integer, 1)
    .option("--limit <n>", "only the first N selected exercises", positiveInt)
    .option(
      "--oracle",
      "verify each exercise's example solution instead (no model): every one must pass; exit 1 otherwise",
    )
    .option(
      "--baseline <tiers>",
      "also ask these tiers' models the way Aider's benchmark does (whole files, two tries with the test output), e.g. fast,deep",
      tierList,
    )
    .option("--baseline-tries <n>", "tries of the baseline", positiveInt, 2)
    .option("--start-tier <tier>", "the tier of smol-coder's first attempt (default: the router's choice)", tierChoice)
    .option(
      "--concurrency <n>",
      "exercises in flight at once (model calls stay within each tier's limit)",
      positiveInt,
      4,
    )
    .option("--out <dir>", "output directory (default ~/.local/share/smol-coder/logs/exercism-<track>-<time>)")
    .option("--resume", "continue the run in --out, skipping finished exercises")
    .option(
      "--no-daemon",
      "run the exercises in this process even when a daemon (smol-coder serve) answers on the socket",
    )
    .option("--socket <path>", "the daemon's unix socket (also SMOL_CODER_SOCKET)")
    .addHelpText(
      "after",
      BENCH_EXIT_CODES.replace(
        "0    the run finished, whatever the score",
        "0    the run finished, whatever the score\n  1    --oracle: an example solution failed (the harness, not a model, is wrong)",
      ),
    )
    .action(async (options: ExercismFlags & ConfigFlags, command: Command) => {
      process.exitCode = await exercismCommand(loadConfig(options), {
        ...options,
        configFlags: configFlagsGiven(command),
        logFile: globals().logFile,
      });
    });

  program
    .command("list-problems")
    .description("List the problems of a HumanEval dataset")
    .option(
      "--dataset <path>",
      "HumanEval JSONL, plain or .gz (default ~/.local/share/smol-coder/datasets/HumanEval.jsonl.gz)",
    )
    .action(async (options: { dataset?: string }) => {
      process.exitCode = await listProblemsCommand(options.dataset);
    });

  program
    .command("dataset")
    .description("HumanEval dataset")
    .command("download")
    .description("Download the official HumanEval file and check its sha256")
    .option("--url <url>", "another address (its checksum is not pinned)")
    .option("--dest <path>", "where to save it (default ~/.local/share/smol-coder/datasets/HumanEval.jsonl.gz)")
    .action(async (options: { url?: string; dest?: string }) => {
      process.exitCode = await downloadCommand(options);
    });

  program
    .command("runs")
    .description("List recorded runs")
    .option("--db <path>", "SQLite run records (also SMOL_CODER_DB)")
    .option("--limit <n>", "most recent N runs", positiveInt, 20)
    .action((options: ConfigFlags & { limit: number }) => {
      process.exitCode = runsCommand(loadConfig({ db: options.db }), options.limit);
    });

  program
    .command("analyze")
    .description("Outcome, attempts, tiers, tokens, cost and time per task of one run")
    .argument("<run-id>", "a run id from smol-coder runs")
    .option("--db <path>", "SQLite run records (also SMOL_CODER_DB)")
    .action((runId: string, options: ConfigFlags) => {
      process.exitCode = analyzeCommand(loadConfig({ db: options.db }), runId);
    });

  program
    .command("doctor")
    .description(
      "Check the proxy, each alias, the Ollama models, python3 + pytest, the sandbox, git and disk space; exit 1 if any check failed",
    )
    .option("--json", "the checks as JSON instead of a table")
    .option("--config <path>", "config JSON file (also SMOL_CODER_CONFIG)")
    .action(async (options: ConfigFlags & { json?: boolean }) => {
      process.exitCode = await doctorCommand(loadConfig({ config: options.config }), { json: options.json });
    });

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

  const stack = program
    .command("stack")
    .description("The Docker-less local stack: the LiteLLM proxy, and a small real model where no Ollama answers");
  const stackDirOption = [
    "--stack-dir <dir>",
    "where the stack keeps its model venv, model, key and pid files (default <repo>/.stack)",
  ] as const;
  stack
    .command("up")
    .description(
      "Install (first time) and start the proxy on 127.0.0.1 with litellm/config.yaml: Ollama's models, or Gemma 3 270M on every alias",
    )
    .option("--backend <kind>", "auto (Ollama when it answers), ollama or llama", backendChoice, "auto" as const)
    .option("--port <n>", "proxy port", portNumber, DEFAULT_PORTS.proxy)
    .option("--model-port <n>", "llama.cpp server port", portNumber, DEFAULT_PORTS.model)
    .option(...stackDirOption)
    .action(async (options: StackUpOptions) => {
      process.exitCode = await stackUp(options);
    });
  stack
    .command("down")
    .description("Stop the stack's servers")
    .option(...stackDirOption)
    .action(async (options: StackOptions) => {
      process.exitCode = await stackDown(options);
    });
  stack
    .command("status")
    .description("Each server: running, answering, memory; exit 3 when not up")
    .option(...stackDirOption)
    .action(async (options: StackOptions) => {
      process.exitCode = await stackStatus(options);
    });
  return program;
}
