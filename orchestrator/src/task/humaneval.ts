// HumanEval problems on disk: a git workspace holding solution.py (the prompt, for the model to complete),
// and beside it, out of the model's reach, the pytest file that grades it.
import { appendFile, mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Problem } from "../humaneval/dataset.ts";
import { TaskInvalid } from "../errors.ts";
import { git } from "./git.ts";

export type HumanEvalProblem = Problem;
export type HumanEvalWorkspace = { root: string; testFile: string };

/** Each HumanEval test file holds one test, test_check. */
export const HUMANEVAL_EXPECTED_TESTS = 1;
export const SOLUTION_FILE = "solution.py";
const LOCAL_CONFIG = "[user]\n\tname = smol-coder\n\temail = smol-coder@localhost\n[core]\n\thooksPath = /dev/null\n";
/** Global and system config (templates, signing, hooks) must not change what the workspace holds. */
const ISOLATED = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

/**
 * Pure: the pytest file for a problem. The solution's public names are made global because some tests call
 * helpers defined in the prompt (HumanEval/32 `poly`, /38 `encode_cyclic`). Names pytest would collect
 * (test*, Test*) stay out: a helper called test_x must not add a test, which strict grading would fail.
 */
export function testFileText(problem: HumanEvalProblem): string {
  return [
    "import solution as _solution",
    'globals().update({k: v for k, v in vars(_solution).items() if not k.startswith(("__", "test", "Test"))})',
    "",
    problem.test.trimEnd(),
    "",
    "",
    "def test_check():",
    `    check(_solution.${problem.entryPoint})`,
    "",
  ].join("\n");
}

/** Pure: a directory name for a task id ("HumanEval/0" → "HumanEval_0"). */
export function problemDirName(taskId: string): string {
  return taskId.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * Creates `<parentDir>/<id>/workspace/` (a git repository whose one commit is solution.py = the prompt) and
 * `<parentDir>/<id>/grader/test_humaneval.py`, outside the workspace so the model's edits cannot reach it.
 */
export async function createHumanEvalWorkspace(
  problem: HumanEvalProblem,
  parentDir: string,
): Promise<HumanEvalWorkspace> {
  const dir = path.resolve(parentDir, problemDirName(problem.taskId));
  const existing = await readdir(dir).catch(() => []);
  if (existing.length > 0) {
    throw new TaskInvalid(
      "workspace",
      `${dir} already exists and is not empty`,
      "use a fresh parent directory, or remove the old one",
    );
  }
  const root = path.join(dir, "workspace");
  const testFile = path.join(dir, "grader", "test_humaneval.py");
  await mkdir(root, { recursive: true });
  await mkdir(path.dirname(testFile), { recursive: true });
  await writeFile(path.join(root, SOLUTION_FILE), problem.prompt);
  await writeFile(testFile, testFileText(problem));
  await git(root, ["init", "-q", "-b", "main"], ISOLATED);
  // Appended rather than three `git config` runs: a benchmark creates 164 of these. No hooks of the user's run.
  await appendFile(path.join(root, ".git", "config"), LOCAL_CONFIG);
  await git(root, ["add", SOLUTION_FILE], ISOLATED);
  await git(root, ["commit", "-q", "--no-gpg-sign", "-m", `${problem.taskId}: prompt`], ISOLATED);
  return { root, testFile };
}
