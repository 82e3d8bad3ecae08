// An exercise on disk as a workspace: a fresh copy holding the stub and the tests only. Never .meta/, .docs/,
// .approaches/ or .articles/: they hold the maintainers' solutions. The instructions reach the model as the task.
import { cp, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { TaskInvalid } from "../../errors.ts";
import { BENCH_TSCONFIG, benchTsconfig, unskipTests } from "./checks.ts";
import type { Exercise } from "./track.ts";

export type ExerciseWorkspace = { root: string };

/**
 * Creates `<parentDir>/<name>/` from the exercise: every top-level entry whose name does not start with a dot (the
 * stub, the tests, the track's config files). TypeScript tests run whole (unskipTests) and see the shared tools
 * through a node_modules link. `oracle`: the example solution is written over the stub.
 */
export async function createExerciseWorkspace(
  exercise: Exercise,
  parentDir: string,
  options: { oracle?: boolean; nodeModules?: string } = {},
): Promise<ExerciseWorkspace> {
  const root = path.resolve(parentDir, exercise.name);
  const existing = await readdir(root).catch(() => []);
  if (existing.length > 0)
    throw new TaskInvalid(
      "workspace",
      `${root} already exists and is not empty`,
      "use a fresh --out, or remove the old one",
    );
  await mkdir(root, { recursive: true });
  const entries = await readdir(exercise.dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    await cp(path.join(exercise.dir, entry.name), path.join(root, entry.name), { recursive: true, dereference: false });
  }
  if (exercise.track === "typescript") {
    for (const test of exercise.test) {
      const file = path.join(root, test);
      await writeFile(file, unskipTests(await readFile(file, "utf8")));
    }
    await writeFile(path.join(root, BENCH_TSCONFIG), benchTsconfig(exercise.solution));
    if (options.nodeModules) await symlink(options.nodeModules, path.join(root, "node_modules"), "dir");
  }
  if (options.oracle) await writeExample(exercise, root);
  return { root };
}

/** The example solution in place of the stub: one example file for each solution file, in order. */
async function writeExample(exercise: Exercise, root: string): Promise<void> {
  if (exercise.example.length !== exercise.solution.length) {
    throw new TaskInvalid(
      "--oracle",
      `${exercise.name} has ${exercise.example.length} example files for ${exercise.solution.length} solution files`,
      "leave this exercise out with --only",
    );
  }
  for (const [index, example] of exercise.example.entries()) {
    await writeFile(path.join(root, exercise.solution[index]!), await readFile(path.join(exercise.dir, example)));
  }
}
