// `bench humaneval`: every selected problem as a HumanEval task, concurrently within the tiers' limits,
// one result line per finished problem (so a killed run resumes), then summary.json and report.md.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SingleBar, Presets } from "cli-progress";
import { renderReport, ResultLine, summarise, type Summary } from "./report.ts";
import { loadDataset, selectProblems, type Problem } from "./dataset.ts";
import { TaskInvalid } from "../errors.ts";
import { problemDirName } from "./workspace.ts";
import type { TaskOutcome } from "../run/loop.ts";
import { prepareHumanEval } from "../task/prepare.ts";
import { runRecordedTask, type Session } from "../run/session.ts";
import { isVerdict, type Tier } from "../types.ts";
import { scrubSecrets } from "../log/secrets.ts";
import type { BaselineSummary } from "./baseline.ts";
import { runBaseline } from "./baselineRun.ts";
import { chartSpecs, renderSvg } from "./charts.ts";

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
export type Outcome = Pick<TaskOutcome, "status" | "passedFirstAttempt" | "totalAttempts" | "finalTier" | "escalations" | "checkpoints" | "usage" | "wallMs">;
export type Solver = (problem: Problem, options: { workspaces: string; dataset: string; signal: AbortSignal }) => Promise<Outcome>;
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

/**
 * Reads the verdicts of an earlier run: a torn last line (the run was killed mid-write) is dropped, and so is every
 * problem whose status is not a verdict (unreachable, rejected, crashed), which a resumed run does again.
 */
function readResults(file: string): ResultLine[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
  const results: ResultLine[] = [];
  lines.forEach((line, index) => {
    const parsed = ResultLine.safeParse((() => { try { return JSON.parse(line); } catch { return null; } })());
    if (parsed.success) {
      if (isVerdict(parsed.data.status)) results.push(parsed.data);
    }
    else if (index < lines.length - 1) throw new TaskInvalid("--resume", `${file} line ${index + 1} is not a result line`, "pass another --out, or fix the file");
  });
  // Rewrite without a torn line or the problems to redo, so appending continues a well-formed file.
  writeFileSync(file, results.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return results;
}

/** Pure: a finished task as a result line; null for an interrupted one, which a resumed run redoes. */
export function resultLine(problem: Problem, outcome: Outcome): ResultLine | null {
  if (outcome.status === "interrupted") return null;
  const usage = Object.values(outcome.usage);
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
    tokensIn: usage.reduce((s, u) => s + u.tokensIn, 0),
    tokensOut: usage.reduce((s, u) => s + u.tokensOut, 0),
    tokensCached: usage.reduce((s, u) => s + u.tokensCached, 0),
    costUsd: usage.reduce((s, u) => s + u.costUsd, 0),
    wallMs: outcome.wallMs,
  };
}

/** Pure: the line of a problem that an error ended before any verdict (the grader died, the sandbox failed). */
export function crashedLine(problem: Problem, error: unknown): ResultLine {
  const none = { tokensIn: 0, tokensOut: 0, tokensCached: 0, costUsd: 0 };
  return { taskId: problem.taskId, status: "crashed", solved: false, passedFirstAttempt: false, attempts: 0, finalTier: "fast", escalations: 0, checkpoints: 0, usage: {}, ...none, wallMs: 0, error: describe(error) };
}

function describe(error: unknown): string {
  return scrubSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

async function solve(problem: Problem, session: Session, options: BenchOptions, runId: string): Promise<TaskOutcome> {
  const workspaces = path.join(options.outDir, "workspaces");
  // A problem left half-done by a killed run starts again from a fresh workspace.
  rmSync(path.join(workspaces, problemDirName(problem.taskId)), { recursive: true, force: true });
  const task = await prepareHumanEval(problem, workspaces, session.config);
  return runRecordedTask(session, task, { runId, commit: false, debugDir: options.debugDir, signal: options.signal });
}

export async function runBench(session: Session, options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const problems = selectProblems(await loadDataset(options.dataset), { problems: options.problems, limit: options.limit });
  mkdirSync(options.outDir, { recursive: true });
  const resultsFile = path.join(options.outDir, "results.jsonl");
  if (!options.resume && existsSync(resultsFile) && readFileSync(resultsFile, "utf8").trim() !== "") {
    throw new TaskInvalid("--out", `${options.outDir} already holds results.jsonl`, "pass --resume to continue that run, or another --out");
  }
  if (!options.solver) await session.grader(); // no sandbox, python or pytest stops the run before anything is recorded
  const earlier = options.resume ? readResults(resultsFile) : [];
  const done = new Set(earlier.map((r) => r.taskId));
  const todo = problems.filter((p) => !done.has(p.taskId));
  const runId = session.store.startRun({ kind: "bench", args: { ...options, signal: undefined, problems: options.problems ?? null, selected: problems.length, resumed: earlier.length } });
  let runStatus: "complete" | "interrupted" | "unreachable" | "crashed" = "crashed";
  try {
    session.log.info({ event: "bench_start", runId, problems: problems.length, resumed: earlier.length, todo: todo.length, concurrency: options.concurrency }, "bench start");
    // The run stops itself when the endpoint looks down, rather than marking every problem left unreachable.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const stopAfter = session.config.humaneval.stopAfterUnreachable;
    let unreachableInARow = 0;

    const bar = options.progress ? new SingleBar({ format: "{bar} {value}/{total} problems | solved {solved} | {duration_formatted} (eta {eta_formatted})", hideCursor: true, stream: process.stderr }, Presets.shades_classic) : null;
    let solvedSoFar = earlier.filter((r) => r.solved).length;
    bar?.start(problems.length, earlier.length, { solved: solvedSoFar });
    const fresh: ResultLine[] = [];
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !signal.aborted) {
        const problem = todo[next++]!;
        // One problem's infrastructure error (the grader died under it) ends that problem, not the run.
        const solving = options.solver
          ? options.solver(problem, { workspaces: path.join(options.outDir, "workspaces"), dataset: path.resolve(options.dataset), signal })
          : solve(problem, session, { ...options, signal }, runId);
        const line = await solving.then(
          (outcome) => resultLine(problem, outcome),
          (error: unknown) => {
            if (signal.aborted) return null;
            session.log.error({ event: "problem_crashed", taskId: problem.taskId, err: error }, "a problem ended without a verdict");
            return crashedLine(problem, error);
          },
        );
        if (!line) continue;
        appendFileSync(resultsFile, `${JSON.stringify(line)}\n`);
        fresh.push(line);
        if (line.solved) solvedSoFar += 1;
        bar?.increment(1, { solved: solvedSoFar });
        unreachableInARow = line.status === "unreachable" ? unreachableInARow + 1 : 0;
        if (unreachableInARow >= stopAfter && !stop.signal.aborted) {
          session.log.error({ event: "bench_stopped", reason: "unreachable", inARow: unreachableInARow }, "the endpoint looks down: the run stops; --resume redoes the unreachable problems");
          stop.abort();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, todo.length)) }, worker));
    } finally {
      bar?.stop();
    }
    const stoppedUnreachable = stop.signal.aborted ? unreachableInARow : undefined;
    const interrupted = signal.aborted;
    // Dataset order, whatever order the problems finished in.
    const byId = new Map([...earlier, ...fresh].map((r) => [r.taskId, r]));
    const lines = problems.map((p) => byId.get(p.taskId)).filter((r): r is ResultLine => r !== undefined);
    const summary = summarise(lines, session.config.prices[session.config.tiers.reviewer.model] ?? { inputPerMTok: 0, outputPerMTok: 0 }, (performance.now() - started) / 1000);
    const baselines = !interrupted && options.baseline?.length ? await runBaseline(session, { problems, tiers: options.baseline, outDir: options.outDir, concurrency: options.concurrency, signal }) : [];
    if (!interrupted && !signal.aborted) {
      const charts = chartSpecs(lines, baselines);
      for (const chart of charts) writeFileSync(path.join(options.outDir, chart.file), await renderSvg(chart.spec));
      writeFileSync(path.join(options.outDir, "summary.json"), `${JSON.stringify({ runId, ...summary, baselines }, null, 2)}\n`);
      writeFileSync(path.join(options.outDir, "report.md"), renderReport(summary, lines, `HumanEval benchmark ${runId}`, baselines, charts));
    }
    runStatus = stoppedUnreachable !== undefined ? "unreachable" : interrupted || signal.aborted ? "interrupted" : "complete";
    session.log.info({ event: "bench_complete", runId, interrupted, stoppedUnreachable, ...summary }, "bench complete");
    return { summary, runId, interrupted: interrupted && stoppedUnreachable === undefined, stoppedUnreachable, resumed: earlier.length, outDir: options.outDir, baselines };
  } catch (error) {
    if (options.signal?.aborted) runStatus = "interrupted";
    throw error;
  } finally {
    // Closed whatever happened: a run record never stays 'running'.
    session.store.finishRun(runId, runStatus);
  }
}
