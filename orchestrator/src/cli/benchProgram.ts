// The benchmark and record commands: bench humaneval, bench exercism, list-problems, dataset download, runs, analyze.
import type { Command } from "commander";
import {
  analyzeCommand,
  benchCommand,
  downloadCommand,
  listProblemsCommand,
  runsCommand,
  type BenchFlags,
} from "./commands.ts";
import { exercismCommand, type ExercismFlags } from "./exercism.ts";
import { integer, loadConfig, positiveInt, tierChoice, tierList, trackChoice, type ConfigFlags } from "./options.ts";
import { BENCH_EXIT_CODES, configFlagsGiven, taskOptions } from "./taskOptions.ts";

export function addBenchCommands(program: Command, globals: () => { logFile: boolean }): void {
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
}
