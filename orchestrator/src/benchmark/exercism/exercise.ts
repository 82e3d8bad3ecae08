// An Exercism track on disk, laid out as in its repository: exercises/practice/NAME/ with .docs/ (the instructions),
// .meta/config.json (which files are the solution, the tests and the example), the stub and the tests. What an
// exercise is, and how its config is read: track.ts.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseExerciseFiles, type Exercise, type Track } from "./track.ts";
import { TaskInvalid } from "../../errors.ts";

const DOCS = ["introduction.md", "instructions.md", "instructions.append.md"];

/** The practice exercises directory of a track clone (or of the shared copy). */
export function practiceDir(root: string): string {
  const dir = path.join(root, "exercises", "practice");
  if (!existsSync(dir))
    throw new TaskInvalid(
      "--exercises",
      `${root} has no exercises/practice directory`,
      "pass the root of a clone of exercism/python or exercism/typescript",
    );
  return dir;
}

export async function loadExercise(track: Track, dir: string): Promise<Exercise> {
  const configFile = path.join(dir, ".meta", "config.json");
  const files = parseExerciseFiles(await readFile(configFile, "utf8"), configFile);
  const docs = DOCS.map((name) => path.join(dir, ".docs", name)).filter((file) => existsSync(file));
  if (!docs.some((file) => file.endsWith("instructions.md")))
    throw new TaskInvalid("--exercises", `${dir} has no .docs/instructions.md`, "use an unmodified Exercism track");
  return { name: path.basename(dir), track, dir, ...files, docs };
}

/** Every practice exercise of the track, in name order. */
export async function loadTrack(track: Track, root: string): Promise<Exercise[]> {
  const practice = practiceDir(root);
  const names = (await readdir(practice, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const exercises = await Promise.all(names.map((name) => loadExercise(track, path.join(practice, name))));
  if (exercises.length === 0)
    throw new TaskInvalid(
      "--exercises",
      `${practice} holds no exercise`,
      "pass the root of a clone of exercism/python or exercism/typescript",
    );
  return exercises;
}
