// A queued task made ready to run in the daemon: a workspace task edits a private view of its workspace; a
// HumanEval problem gets a fresh workspace of its own (in the submitted directory) and edits it in place.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Config } from "../config/config.ts";
import { defaultDatasetPath } from "../config/paths.ts";
import { loadDataset, problemIn, type Problem } from "../humaneval/dataset.ts";
import { problemDirName } from "../task/humaneval.ts";
import type { QueuedTask, QueueEntry, Submission } from "../queue/queue.ts";
import { prepareHumanEval, prepareTask } from "../task/prepare.ts";
import type { PreparedTask } from "../task/prepared.ts";
import type { HumanEvalTask } from "../task/task.ts";
import { resolveWorkspace } from "../task/workspace.ts";

/** Datasets read once per daemon, by path. */
export function datasetCache() {
  const loaded = new Map<string, Promise<Problem[]>>();
  return (file: string) => {
    let problems = loaded.get(file);
    if (!problems) {
      problems = loadDataset(file);
      loaded.set(file, problems);
      problems.catch(() => loaded.delete(file));
    }
    return problems;
  };
}
export type Datasets = ReturnType<typeof datasetCache>;

async function findProblem(task: HumanEvalTask, datasets: Datasets): Promise<Problem> {
  if (task.problem) return { taskId: task.problemId, canonicalSolution: "", ...task.problem };
  const file = task.dataset ? path.resolve(task.dataset) : defaultDatasetPath(process.env);
  return problemIn(await datasets(file), task.problemId, file);
}

/** Checks a submission against the machine as it is now (the workspace, its paths, the dataset), so that a bad one is refused at once. */
export async function checkSubmission(submission: Submission, config: Config, datasets: Datasets): Promise<Submission> {
  if (submission.task.kind === "humaneval") {
    // The problem comes from the dataset the task names, never from the client: a benchmark's tests stay its own.
    const { problem: _given, ...named } = submission.task;
    const { prompt, entryPoint, test } = await findProblem(named, datasets);
    // On a Redis queue any machine may run it: the task carries its problem (the solution stays behind).
    if (config.daemon.queue === "sqlite") return { ...submission, task: named };
    return { ...submission, task: { ...named, problem: { prompt, entryPoint, test } } };
  }
  const root = await resolveWorkspace(submission.workspace);
  await prepareTask(submission.task, root, config, { commit: submission.commit });
  // On a queue several machines share, its workspace is a path on this one: only this machine's daemons run it.
  const home = config.daemon.queue === "sqlite" ? {} : { home: config.daemon.machine };
  return { ...submission, workspace: root, ...home };
}

export async function prepareQueued(
  entry: Pick<QueueEntry, "id" | "task" | "workspace" | "commit" | "starts">,
  config: Config,
  datasets: Datasets,
): Promise<PreparedTask> {
  const { task, commit } = entry;
  if (task.kind === "humaneval") {
    const problem = await findProblem(task, datasets);
    // A task that carries its problem may come from another machine, whose directory is not here: a fresh one is.
    let workspace =
      task.problem && !existsSync(entry.workspace)
        ? path.join(tmpdir(), "smol-coder-humaneval", entry.id)
        : entry.workspace;
    // A start after the first gets a directory of its own: the daemon that had it before may still be at work in
    // the last one (cut off from a Redis queue past its lease, it stops only once it hears so).
    if (entry.starts > 1) workspace = path.join(workspace, `start-${entry.starts}`);
    mkdirSync(workspace, { recursive: true });
    rmSync(path.join(workspace, problemDirName(problem.taskId)), { recursive: true, force: true });
    return prepareHumanEval(problem, workspace, config, task);
  }
  return {
    ...(await prepareTask(task, await resolveWorkspace(entry.workspace), config, { commit })),
    edits: "private",
  };
}

/** Pure: what a task claims in its workspace: its owned paths, or a HumanEval problem's directory. */
export function claims(task: QueuedTask): string[] {
  return task.kind === "humaneval" ? [`humaneval:${task.problemId}`] : task.filesOwned;
}
