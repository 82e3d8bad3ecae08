// The loop every benchmark shares: the problems not yet recorded, solved `concurrency` at once, one result line
// appended as each finishes (so a killed run resumes), a progress bar, and the stop rule: when so many problems
// in a row end unreachable that the endpoint looks down, the run stops itself rather than mark every problem left.
import { SingleBar, Presets } from "cli-progress";
import type { z } from "zod";
import type { Logger } from "../log/log.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { runPool } from "./pool.ts";
import { appendResult, readResults, refuseOverwrite } from "./resultsFile.ts";
import { emit } from "../log/events.ts";

/** What the loop needs of a result line. */
export type ProblemLine = { status: string; solved: boolean };

export type ProblemRun<P, S extends z.ZodType<ProblemLine>> = {
  problems: readonly P[];
  key: (problem: P) => string;
  /** The line's key (the same as `key` of its problem). */
  lineKey: (line: z.infer<S>) => string;
  file: string;
  outDir: string;
  schema: S;
  resume: boolean;
  concurrency: number;
  progress: boolean;
  log: Logger;
  /** A line that is a verdict is kept by --resume; others (unreachable, crashed) are done again. */
  isVerdict: (line: z.infer<S>) => boolean;
  stopAfterUnreachable: number;
  signal?: AbortSignal;
  /** Aborted when this run stops itself (the endpoint looks down); runs that share it stop together. */
  stop?: AbortController;
  /** One problem's line; null when it was interrupted (a resumed run does it again). */
  solve: (problem: P, signal: AbortSignal) => Promise<z.infer<S> | null>;
  /** The line of a problem an error ended before any verdict. */
  crashed: (problem: P, error: string) => z.infer<S>;
};

export type ProblemRunResult<L> = {
  /** Every selected problem's line, in the problems' order; those never reached are absent. */
  lines: L[];
  resumed: number;
  interrupted: boolean;
  /** Set when the run stopped itself: this many problems in a row ended unreachable. */
  stoppedUnreachable?: number;
};

export function describeError(error: unknown): string {
  return scrubSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

export async function runProblems<P, S extends z.ZodType<ProblemLine>>(
  run: ProblemRun<P, S>,
): Promise<ProblemRunResult<z.infer<S>>> {
  type Line = z.infer<S>;
  refuseOverwrite(run.file, run.outDir, run.resume);
  const earlier: Line[] = run.resume ? readResults(run.file, run.schema, { keep: run.isVerdict, rewrite: true }) : [];
  const done = new Set(earlier.map(run.lineKey));
  const todo = run.problems.filter((problem) => !done.has(run.key(problem)));
  const stop = run.stop ?? new AbortController();
  const signal = run.signal ? AbortSignal.any([run.signal, stop.signal]) : stop.signal;
  let unreachableInARow = 0;
  let solvedSoFar = earlier.filter((line) => line.solved).length;
  const bar = run.progress
    ? new SingleBar(
        {
          format: "{bar} {value}/{total} | solved {solved} | {duration_formatted} (eta {eta_formatted})",
          hideCursor: true,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : null;
  bar?.start(run.problems.length, earlier.length, { solved: solvedSoFar });
  const fresh: Line[] = [];
  try {
    await runPool(todo, { concurrency: run.concurrency, signal }, async (problem) => {
      // One problem's infrastructure error (the grader died under it) ends that problem, not the run.
      const line = await run.solve(problem, signal).catch((error: unknown) => {
        if (signal.aborted) return null;
        emit(
          run.log,
          "problem_crashed",
          { taskId: run.key(problem), err: error },
          { message: "a problem ended without a verdict" },
        );
        return run.crashed(problem, describeError(error));
      });
      if (!line) return;
      appendResult(run.file, line);
      fresh.push(line);
      if (line.solved) solvedSoFar += 1;
      bar?.increment(1, { solved: solvedSoFar });
      unreachableInARow = line.status === "unreachable" ? unreachableInARow + 1 : 0;
      if (unreachableInARow >= run.stopAfterUnreachable && !stop.signal.aborted) {
        emit(
          run.log,
          "bench_stopped",
          { reason: "unreachable", inARow: unreachableInARow },
          { message: "the endpoint looks down: the run stops; --resume redoes the unreachable problems" },
        );
        stop.abort();
      }
    });
  } finally {
    bar?.stop();
  }
  const byKey = new Map([...earlier, ...fresh].map((line) => [run.lineKey(line), line]));
  const lines = run.problems
    .map((problem) => byKey.get(run.key(problem)))
    .filter((line): line is Line => line !== undefined);
  const stoppedUnreachable = stop.signal.aborted ? Math.max(unreachableInARow, run.stopAfterUnreachable) : undefined;
  return {
    lines,
    resumed: earlier.length,
    interrupted: signal.aborted && stoppedUnreachable === undefined,
    stoppedUnreachable,
  };
}
