// Turns a parsed Task into a PreparedTask: checks it against the real workspace before anything runs.
import { randomUUID } from "node:crypto";
import type { Config } from "./config.ts";
import { TaskInvalid } from "./errors.ts";
import type { PreparedTask } from "./executor.ts";
import { startTier } from "./router.ts";
import type { Task } from "./task.ts";
import { verificationCommands } from "./verifyPlan.ts";
import { checkOwnedPaths, isGitRepository } from "./workspace.ts";

export async function prepareTask(task: Task, root: string, config: Config, options: { commit: boolean }): Promise<PreparedTask> {
  const filesOwned = await checkOwnedPaths(root, task.filesOwned);
  const verify = await verificationCommands(root, task.verify);
  if (options.commit && !(await isGitRepository(root))) {
    throw new TaskInvalid("--commit", `${root} is not a git repository`, "run without --commit, or git init the workspace");
  }
  return {
    taskId: randomUUID().slice(0, 8),
    root,
    description: task.description,
    filesOwned,
    verify,
    startTier: startTier({ ...task, filesOwned }, config.routing),
    maxAttempts: task.maxAttempts ?? config.policy.maxAttempts,
  };
}
