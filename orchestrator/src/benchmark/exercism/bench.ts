// `bench exercism`: each selected exercise as a workspace task (the stub owned, the tests never), verified by the
// exercise's own tests; beside it, in the same run, the field's baseline for each tier asked (--baseline), or the
// maintainers' solutions verified alone (--oracle). Results per arm in JSONL (resumable), then summary.json and report.md.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describeError, runProblems, type ProblemRunResult } from "../runProblems.ts";
import { EndpointUnreachable } from "../../errors.ts";
import { startTier } from "../../task/route.ts";
import { runRecordedTask, type Session } from "../../run/session.ts";
import type { PreparedTask } from "../../task/prepared.ts";
import { isVerdict, totalUsage, type Tier } from "../../types.ts";
import { checkLabels } from "../../verify/check.ts";
import type { OutcomeRecord } from "../../queue/queue.ts";
import type { WorkspaceTask } from "../../task/task.ts";
import { askLikeAider } from "./aiderBaseline.ts";
import { oracleArm, type Common } from "./oracle.ts";
import { exerciseCommands } from "./checks.ts";
import { loadTrack } from "./exercise.ts";
import { taskKey, type Exercise, type Track } from "./track.ts";
import { BaselineLine, OracleLine, TaskLine } from "./lines.ts";
import { exerciseInstructions, fileList } from "./protocol.ts";
import { renderExercismReport, summariseExercism, type ExercismSummary } from "./report.ts";
import { selectExercises, type Selection } from "./selection.ts";
import { createExerciseWorkspace } from "./workspace.ts";
import { emit } from "../../log/events.ts";
import { inRunRecord, wasInterrupted } from "../runRecord.ts";

export type ExercismOptions = {
  track: Track;
  exercisesDir: string;
  selection: Selection;
  concurrency: number;
  outDir: string;
  resume: boolean;
  progress: boolean;
  /** Verify the example solutions only: no model is asked. */
  oracle: boolean;
  /** Tiers whose models are also asked the field's way (Aider's protocol), in the same run. */
  baseline: Tier[];
  /** Tries of the baseline; smol-coder's attempts come from the config (--max-attempts). */
  baselineTries: number;
  /** The first attempt's tier; absent: the router decides (routing.deepWhenDescriptionOver). */
  startTier?: Tier;
  /** The TypeScript track's shared tools (typescriptDependencies). */
  nodeModules?: string;
  debugDir?: string;
  signal?: AbortSignal;
  /** Runs smol-coder's task elsewhere (the daemon) and returns its outcome; absent: in this process. */
  submit?: (submission: { task: WorkspaceTask; workspace: string }, signal: AbortSignal) => Promise<OutcomeRecord>;
};

export type ExercismResult = {
  runId: string;
  summary: ExercismSummary;
  interrupted: boolean;
  stoppedUnreachable?: number;
  outDir: string;
};

async function prepareExercise(
  exercise: Exercise,
  options: ExercismOptions,
  session: Session,
  parentDir: string,
): Promise<PreparedTask> {
  const dir = path.join(parentDir, exercise.name);
  await rm(dir, { recursive: true, force: true }); // a half-done exercise of a killed run starts again
  const { root } = await createExerciseWorkspace(exercise, parentDir, { nodeModules: options.nodeModules });
  const description = exerciseInstructions(
    await Promise.all(exercise.docs.map((file) => readFile(file, "utf8"))),
    fileList(exercise),
  );
  const filesOwned = exercise.solution;
  return {
    taskId: crypto.randomUUID().slice(0, 8),
    kind: "workspace",
    key: taskKey(exercise),
    root,
    description,
    filesOwned,
    check: { kind: "commands", commands: commandsFor(exercise, session) },
    startTier: startTier({ description, filesOwned, startTier: options.startTier }, session.config.routing),
    maxAttempts: session.config.policy.maxAttempts,
  };
}

function commandsFor(exercise: Exercise, session: Session): string[] {
  return exerciseCommands(exercise.track, exercise, session.config.humaneval.python ?? "python3");
}

async function solveExercise(
  exercise: Exercise,
  options: ExercismOptions,
  session: Session,
  runId: string,
  signal: AbortSignal,
): Promise<TaskLine | null> {
  const task = await prepareExercise(exercise, options, session, path.join(options.outDir, "workspaces", "smol-coder"));
  const outcome = options.submit
    ? await options.submit(
        {
          task: {
            description: task.description,
            filesOwned: task.filesOwned,
            verify: checkLabels(task.check),
            ...(options.startTier ? { startTier: options.startTier } : {}),
          },
          workspace: task.root,
        },
        signal,
      )
    : await runRecordedTask(session, task, { runId, commit: false, debugDir: options.debugDir, signal });
  if (outcome.status === "interrupted") return null;
  const totals = totalUsage(outcome.usage);
  return {
    exercise: exercise.name,
    status: outcome.status,
    solved: outcome.status === "complete",
    // Through the daemon its router chose the first tier: the first attempt's tier says which.
    startTier: outcome.history[0]?.tier ?? task.startTier,
    finalTier: outcome.finalTier,
    attempts: outcome.history,
    tokensIn: totals.tokensIn,
    tokensOut: totals.tokensOut,
    modelMs: totals.modelMs ?? 0,
    ...(totals.computedCalls === totals.calls ? { computeMs: totals.computeMs ?? 0 } : {}),
    usage: outcome.usage,
    wallMs: outcome.wallMs,
  };
}

function smolCoderArm(common: Common, options: ExercismOptions, session: Session, runId: string) {
  const tier = options.startTier ?? ("fast" as const);
  return runProblems({
    ...common,
    file: path.join(options.outDir, "results.jsonl"),
    schema: TaskLine,
    lineKey: (line) => line.exercise,
    isVerdict: (line) => isVerdict(line.status),
    solve: (exercise, signal) => solveExercise(exercise, options, session, runId, signal),
    crashed: (exercise, error) => ({
      exercise: exercise.name,
      status: "crashed" as const,
      solved: false,
      startTier: tier,
      finalTier: tier,
      attempts: [],
      tokensIn: 0,
      tokensOut: 0,
      modelMs: 0,
      wallMs: 0,
      error,
    }),
  });
}

function baselineArm(common: Common, options: ExercismOptions, session: Session, tier: Tier) {
  const parentDir = path.join(options.outDir, "workspaces", "baseline");
  const noVerdict = (exercise: Exercise, status: "unreachable" | "crashed", error: string) => ({
    exercise: exercise.name,
    tier,
    model: session.router.modelFor(tier),
    status,
    solved: false,
    tries: [],
    wallMs: 0,
    error,
  });
  return runProblems({
    ...common,
    progress: false,
    file: path.join(options.outDir, `baseline-${tier}.jsonl`),
    schema: BaselineLine,
    lineKey: (line) => line.exercise,
    isVerdict: (line) => line.status === "complete" || line.status === "failed",
    solve: async (exercise, signal) => {
      await rm(path.join(parentDir, tier, exercise.name), { recursive: true, force: true });
      const context = {
        session,
        parentDir,
        commands: commandsFor(exercise, session),
        tries: options.baselineTries,
        nodeModules: options.nodeModules,
        debugDir: options.debugDir,
      };
      return askLikeAider(context, exercise, tier, signal).catch((error: unknown) => {
        // A server that does not answer is no verdict: --resume asks again, and enough in a row stop the run.
        if (!(error instanceof EndpointUnreachable) || signal.aborted) throw error;
        return noVerdict(exercise, "unreachable", describeError(error));
      });
    },
    crashed: (exercise, error) => noVerdict(exercise, "crashed", error),
  });
}

export async function runExercism(session: Session, options: ExercismOptions): Promise<ExercismResult> {
  const started = performance.now();
  const exercises = selectExercises(await loadTrack(options.track, options.exercisesDir), options.selection);
  await mkdir(options.outDir, { recursive: true });
  await session.sandbox(); // no sandbox stops the run before anything is recorded
  const args = {
    benchmark: "exercism",
    track: options.track,
    exercises: exercises.map((e) => e.name),
    oracle: options.oracle,
    baseline: options.baseline,
  };
  return inRunRecord(session, args, options.signal, async (runId) => {
    emit(session.log, "bench_started", {
      runId,
      benchmark: "exercism",
      track: options.track,
      problems: exercises.length,
      concurrency: options.concurrency,
    });
    // One stop for every arm: when the endpoint looks down to one, the others stop too.
    const stop = new AbortController();
    const common = {
      stop,
      problems: exercises,
      key: (exercise: Exercise) => exercise.name,
      outDir: options.outDir,
      resume: options.resume,
      concurrency: options.concurrency,
      progress: options.progress,
      log: session.log,
      stopAfterUnreachable: session.config.humaneval.stopAfterUnreachable,
      signal: options.signal,
    };
    const runs: ProblemRunResult<{ status: string; solved: boolean }>[] = [];
    let oracle: OracleLine[] = [];
    let tasks: TaskLine[] = [];
    const baselines: BaselineLine[] = [];
    if (options.oracle) {
      const run = await oracleArm(common, options, session, (exercise) => commandsFor(exercise, session));
      oracle = run.lines;
      runs.push(run);
    } else {
      // The arms run side by side, so a run cut short still holds paired results; the tiers' permits bound the calls.
      const [smolRun, ...tierRuns] = await Promise.all([
        smolCoderArm(common, options, session, runId),
        ...options.baseline.map((tier) => baselineArm(common, options, session, tier)),
      ]);
      tasks = smolRun!.lines;
      runs.push(smolRun!, ...tierRuns);
      for (const tierRun of tierRuns) baselines.push(...tierRun.lines);
    }
    const stoppedUnreachable = runs.find((r) => r.stoppedUnreachable !== undefined)?.stoppedUnreachable;
    const interrupted = wasInterrupted(runs, { stoppedUnreachable }, options.signal);
    const summary = summariseExercism({
      track: options.track,
      exercises: exercises.map((e) => e.name),
      tasks,
      baselines,
      oracle,
      wallSeconds: (performance.now() - started) / 1000,
    });
    // Written for a run cut short too, marked partial: a benchmark longer than a session is read between its parts.
    const partial = interrupted || stoppedUnreachable !== undefined;
    const title = `Exercism ${options.track} benchmark ${runId}${partial ? " (partial: --resume continues it)" : ""}`;
    await writeFile(
      path.join(options.outDir, "summary.json"),
      `${JSON.stringify({ runId, partial, ...summary }, null, 2)}\n`,
    );
    await writeFile(
      path.join(options.outDir, "report.md"),
      renderExercismReport(summary, { tasks, baselines, oracle }, title),
    );
    emit(session.log, "bench_completed", { runId, benchmark: "exercism", interrupted, stoppedUnreachable });
    return { runId, summary, interrupted, stoppedUnreachable, outDir: options.outDir };
  });
}
