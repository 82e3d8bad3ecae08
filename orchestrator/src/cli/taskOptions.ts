// The options every task-running command takes, which of them set the config, and the exit codes each command's
// --help lists.
import type { Command } from "commander";
import { positiveInt, wholeNumber } from "./options.ts";

/** Options every task-running command takes. */
export function taskOptions(command: Command): Command {
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
export function configFlagsGiven(command: Command): string[] {
  return CONFIG_FLAGS.filter((flag) => command.getOptionValueSource(flag) === "cli").map(
    (flag) => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  );
}

/** What each exit code means, per command: shown after its --help (and in docs/usage.md). */
export const RUN_EXIT_CODES = `
Exit codes:
  0    complete: verification passed (and, with --commit, the change is committed; a reply accepted unchanged
       under patch.acceptUnchanged has nothing to commit)
  1    attempts used up: the task aborted, the owned files are restored
  2    bad input or configuration (the message names the fix), the endpoint refused the key or alias,
       or --no-wait and another run holds the workspace
  3    model endpoint unreachable (the owned files are restored)
  4    the machine lacks something: the sandbox (bubblewrap), python3 with pytest
  5    verified but not landed: git refused the commit (the change stays in the working tree), or, through
       the daemon, an owned file changed meanwhile (conflict: the verified diff is shown)
  70   internal error (a bug): one line on stderr names the log file that holds the stack trace
  130  interrupted (Ctrl-C, SIGTERM; the owned files are restored)`;
export const BENCH_EXIT_CODES = `
Exit codes:
  0    the run finished, whatever the score
  2    bad input or configuration (the message names the fix)
  3    model endpoint unreachable
  4    the machine lacks something: the sandbox (bubblewrap), python3 with pytest
  70   internal error (a bug): one line on stderr names the log file that holds the stack trace
  130  interrupted (continue with --resume)`;
