// `bench humaneval`: every selected problem as a HumanEval task, concurrently within the tiers' limits,
// one result line per finished problem (so a killed run resumes), then summary.json and report.md.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderReport, ResultLine, summarise, type Summary } from "./report.ts";
import { loadDataset, selectProblems, type Problem } from "../../humaneval/dataset.ts";
import { problemDirName } from "../../task/humaneval.ts";
import type { TaskOutcome } from "../../run/loop.ts";
import { prepareHumanEval } from "../../task/prepare.ts";
import { runRecordedTask, type Session } from "../../run/session.ts";
import { isVerdict, totalUsage, type Tier } from "../../types.ts";
import { describeError, runProblems } from "../runProblems.ts";
import { readResults, refuseOverwrite } from "../resultsFile.ts";
import { inRunRecord, wasInterrupted } from "../runRecord.ts";
import type { BaselineSummary } from "../../humaneval/baseline.ts";
import { runBaseline } from "./baselineRun.ts";
import { chartSpecs, renderSvg } from "./charts.ts";
import { emit } from "../../log/events.ts";

export type BenchOptions = {
  dataset: string;
  problems?: string;
  limit?: number;
  concurrency: number;
  outDir: string;
  resume: boolean;
  debugDir?: string;
  progress: boolean;
  /** Tiers whose models are also asked directly (the baseline), after the cascade; none by default. */
  baseline?: Tier[];
  signal?: AbortSignal;
  /** Solves one problem elsewhere (through the daemon); absent: in this process. */
  solver?: Solver;
};
/** What a problem's result line is made from: the task's outcome. */
export type Outcome = Pick<
  TaskOutcome,
  "status" | "passedFirstAttempt" | "totalAttempts" | "finalTier" | "escalations" | "checkpoints" | "usage" | "wallMs"
>;
export type Solver = (
  problem: Problem,
  options: { workspaces: string; dataset: string; signal: AbortSignal },
) => Promise<Outcome>;
export type BenchResult = {
  summary: Summary;
  runId: string;
  interrupted: boolean;
  /** Set when the run stopped itself: so many problems in a row ended unreachable that the endpoint is down. */
  stoppedUnreachable?: number;
  resumed: number;
  outDir: string;
  baselines: BaselineSummary[];
};

/** Pure: a finished task as a result line; null for an interrupted one, which a resumed run redoes. */
export function resultLine(problem: Problem, outcome: Outcome): ResultLine | null {
  if (outcome.status === "interrupted") return null;
  const totals = totalUsage(outcome.usage);
  return {
    taskId: problem.taskId,
    status: outcome.status,
    solved: outcome.status === "complete",
    passedFirstAttempt: outcome.passedFirstAttempt,
    attempts: outcome.totalAttempts,
    finalTier: outcome.finalTier,
    escalations: outcome.escalations,
    checkpoints: outcome.checkpoints,
    usage: outcome.usage,
    tokensIn: totals.tokensIn,
    tokensOut: totals.tokensOut,
    tokensCached: totals.tokensCached,
    costUsd: totals.costUsd,
    wallMs: outcome.wallMs,
  };
}

/** Pure: the line of a problem that an error ended before any verdict (the grader died, the sandbox failed). */
export function crashedLine(problem: Problem, error: unknown): ResultLine {
  const none = { tokensIn: 0, tokensOut: 0, tokensCached: 0, costUsd: 0 };
  return {
    taskId: problem.taskId,
    status: "crashed",
    solved: false,
    passedFirstAttempt: false,
    attempts: 0,
    finalTier: "fast",
    escalations: 0,
    checkpoints: 0,
    usage: {},
    ...none,
    wallMs: 0,
    error: describeError(error),
  };
}

async function solve(problem: Problem, session: Session, options: BenchOptions, runId: string): Promise<TaskOutcome> {
  const workspaces = path.join(options.outDir, "workspaces");
  // A problem left half-done by a killed run starts again from a fresh workspace.
  rmSync(path.join(workspaces, problemDirName(problem.taskId)), { recursive: true, force: true });
  const task = await prepareHumanEval(problem, workspaces, session.config);
  return runRecordedTask(session, task, { runId, commit: false, debugDir: options.debugDir, signal: options.signal });
}

/** The finished run's charts, summary.json and report.md in the output directory. */
async function writeOutputs(
  outDir: string,
  runId: string,
  { summary, lines, baselines }: { summary: Summary; lines: ResultLine[]; baselines: BaselineSummary[] },
): Promise<void> {
  const charts = chartSpecs(lines, baselines);
  for (const chart of charts) writeFileSync(path.join(outDir, chart.file), await renderSvg(chart.spec));
  writeFileSync(path.join(outDir, "summary.json"), `${JSON.stringify({ runId, ...summary, baselines }, null, 2)}\n`);
  writeFileSync(
    path.join(outDir, "report.md"),
    renderReport(summary, lines, `HumanEval benchmark ${runId}`, baselines, charts),
  );
}

export async function runBench(session: Session, options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const problems = selectProblems(await loadDataset(options.dataset), {
    problems: options.problems,
    limit: options.limit,
  });
  mkdirSync(options.outDir, { recursive: true });
  const resultsFile = path.join(options.outDir, "results.jsonl");
  refuseOverwrite(resultsFile, options.outDir, options.resume);
  if (!options.solver) await session.grader(); // no sandbox, python or pytest stops the run before anything is recorded
  // A malformed results file stops --resume before a run is recorded.
  const selected = new Set(problems.map((problem) => problem.taskId));
  const resumed = options.resume
    ? readResults(resultsFile, ResultLine, { keep: (line) => isVerdict(line.status) && selected.has(line.taskId) })
        .length
    : 0;
  const args = {
    ...options,
    signal: undefined,
    solver: undefined,
    problems: options.problems ?? null,
    selected: problems.length,
    resumed,
  };
  return inRunRecord(session, args, options.signal, async (runId) => {
    emit(session.log, "bench_started", {
      runId,
      problems: problems.length,
      resumed,
      todo: problems.length - resumed,
      concurrency: options.concurrency,
    });
    const workspaces = path.join(options.outDir, "workspaces");
    const run = await runProblems({
      problems,
      key: (problem) => problem.taskId,
      lineKey: (line) => line.taskId,
      file: resultsFile,
      outDir: options.outDir,
      schema: ResultLine,
      resume: options.resume,
      concurrency: options.concurrency,
      progress: options.progress,
      log: session.log,
      isVerdict: (line) => isVerdict(line.status),
      stopAfterUnreachable: session.config.humaneval.stopAfterUnreachable,
      signal: options.signal,
      solve: async (problem, signal) => {
        const outcome = options.solver
          ? await options.solver(problem, { workspaces, dataset: path.resolve(options.dataset), signal })
          : await solve(problem, session, { ...options, signal }, runId);
        return resultLine(problem, outcome);
      },
      crashed: crashedLine,
    });
    const { lines, stoppedUnreachable } = run;
    const summary = summarise(
      lines,
      session.config.prices[session.config.tiers.reviewer.model] ?? { inputPerMTok: 0, outputPerMTok: 0 },
      (performance.now() - started) / 1000,
    );
    const stopped = run.interrupted || stoppedUnreachable !== undefined || Boolean(options.signal?.aborted);
    const baselines =
      !stopped && options.baseline?.length
        ? await runBaseline(session, {
            problems,
            tiers: options.baseline,
            outDir: options.outDir,
            concurrency: options.concurrency,
            signal: options.signal,
          })
        : [];
    if (!stopped && !options.signal?.aborted) await writeOutputs(options.outDir, runId, { summary, lines, baselines });
    const interrupted = wasInterrupted([run], { stoppedUnreachable }, options.signal);
    emit(session.log, "bench_completed", { runId, interrupted, stoppedUnreachable, ...summary });
    return { summary, runId, interrupted, stoppedUnreachable, resumed: run.resumed, outDir: options.outDir, baselines };
  });
}
