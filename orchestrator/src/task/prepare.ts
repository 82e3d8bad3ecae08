// Turns a parsed Task into a PreparedTask: checks it against the real workspace (or makes one) before anything runs.
import { randomUUID } from "node:crypto";
import type { Config } from "../config/config.ts";
import type { Problem } from "../humaneval/dataset.ts";
import { MAKERS_QUESTION } from "../humaneval/baseline.ts";
import { TaskInvalid } from "../errors.ts";
import type { PreparedTask } from "./prepared.ts";
import { createHumanEvalWorkspace } from "./humaneval.ts";
import { startTier } from "./route.ts";
import type { WorkspaceTask } from "./task.ts";
import { verificationCommands } from "../verify/plan.ts";
import { checkOwnedPaths, isGitRepository } from "./workspace.ts";
import type { Tier } from "../types.ts";

const newId = () => randomUUID().slice(0, 8);

export async function prepareTask(
  task: WorkspaceTask,
  root: string,
  config: Config,
  options: { commit: boolean },
): Promise<PreparedTask> {
  const filesOwned = await checkOwnedPaths(root, task.filesOwned);
  const commands = await verificationCommands(root, task.verify);
  if (options.commit && !(await isGitRepository(root))) {
    throw new TaskInvalid(
      "--commit",
      `${root} is not a git repository`,
      "run without --commit, or git init the workspace",
    );
  }
  return {
    taskId: newId(),
    kind: "workspace",
    key: task.description.replace(/\s+/g, " ").slice(0, 80),
    root,
    description: task.description,
    filesOwned,
    check: { kind: "commands", commands },
    startTier: startTier({ ...task, filesOwned }, config.routing),
    maxAttempts: task.maxAttempts ?? config.policy.maxAttempts,
  };
}

/**
 * What the model is told about a HumanEval problem: the question its makers evaluate it with (Qwen2.5-Coder's
 * report, EvalPlus); the file below it carries the signature and docstring. Measured on the 0.5B, HumanEval 0-79,
 * first attempts in the plain layout: with this question and no reply form 66/80, with "Complete the Python
 * function NAME in solution.py. Its signature and docstring are given: …" and the form 58/80.
 */
export const HUMANEVAL_DESCRIPTION = MAKERS_QUESTION;

/** A fresh git workspace whose solution.py is the problem's prompt, graded by pytest with the problem's check(). */
export async function prepareHumanEval(
  problem: Problem,
  parentDir: string,
  config: Config,
  options: { startTier?: Tier; maxAttempts?: number } = {},
): Promise<PreparedTask> {
  const { root, testFile } = await createHumanEvalWorkspace(problem, parentDir);
  const description = HUMANEVAL_DESCRIPTION;
  const filesOwned = ["solution.py"];
  return {
    taskId: newId(),
    kind: "humaneval",
    key: problem.taskId,
    root,
    description,
    filesOwned,
    check: {
      kind: "pytest",
      testFile,
      expectedTests: 1,
      label: `pytest: the problem's tests of ${problem.entryPoint}`,
    },
    startTier: startTier({ description, filesOwned, startTier: options.startTier }, config.routing),
    maxAttempts: options.maxAttempts ?? config.policy.maxAttempts,
  };
}
