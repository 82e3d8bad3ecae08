// `bench exercism --oracle`: the maintainers' solution of each exercise written over the stub and verified by the
// same commands as the models' answers, no model asked; every exercise must pass, so a failure later is the model's.
import { rm } from "node:fs/promises";
import path from "node:path";
import { runProblems, type ProblemRun } from "../runProblems.ts";
import type { Session } from "../../run/session.ts";
import { runCheck } from "../../verify/check.ts";
import { OracleLine } from "./lines.ts";
import type { Exercise } from "./track.ts";
import { createExerciseWorkspace } from "./workspace.ts";

/** What every arm's run shares: the exercises, the output directory, the limits and the one stop. */
export type Common = Omit<
  ProblemRun<Exercise, never>,
  "schema" | "file" | "lineKey" | "isVerdict" | "solve" | "crashed"
>;

type Where = { outDir: string; nodeModules?: string };

async function oracleExercise(
  exercise: Exercise,
  options: Where,
  session: Session,
  commands: string[],
  signal: AbortSignal,
): Promise<OracleLine> {
  const started = performance.now();
  const parent = path.join(options.outDir, "workspaces", "oracle");
  await rm(path.join(parent, exercise.name), { recursive: true, force: true });
  const { root } = await createExerciseWorkspace(exercise, parent, { oracle: true, nodeModules: options.nodeModules });
  const check = await runCheck(
    { kind: "commands", commands },
    root,
    { verify: session.config.verify, humaneval: session.config.humaneval, sandbox: await session.sandbox(), signal },
    exercise.solution,
  );
  return {
    exercise: exercise.name,
    status: check.passed ? "complete" : "failed",
    solved: check.passed,
    decidedBy: check.decidedBy,
    errors: check.errors,
    wallMs: Math.round(performance.now() - started),
  };
}

export function oracleArm(
  common: Common,
  options: Where,
  session: Session,
  commandsFor: (exercise: Exercise) => string[],
) {
  return runProblems({
    ...common,
    file: path.join(options.outDir, "oracle.jsonl"),
    schema: OracleLine,
    lineKey: (line) => line.exercise,
    isVerdict: (line) => line.status !== "crashed",
    solve: (exercise, signal) => oracleExercise(exercise, options, session, commandsFor(exercise), signal),
    crashed: (exercise, error) => ({
      exercise: exercise.name,
      status: "crashed" as const,
      solved: false,
      decidedBy: "",
      errors: [error],
      wallMs: 0,
    }),
  });
}
