// Pure: what an Exercism track's exercise is to a benchmark, and how its .meta/config.json is read.
import { z } from "zod";
import { TaskInvalid } from "../../errors.ts";

export const Track = z.enum(["python", "typescript"]);
export type Track = z.infer<typeof Track>;

/** The part of .meta/config.json a benchmark reads. Lenient: the rest of the file is the track's business. */
const ExerciseFiles = z.object({
  solution: z.array(z.string().min(1)).min(1),
  test: z.array(z.string().min(1)).min(1),
  example: z.array(z.string().min(1)).default([]),
});

export type Exercise = {
  name: string;
  track: Track;
  /** The exercise's directory in the track (read-only: never a workspace). */
  dir: string;
  solution: string[];
  test: string[];
  /** The maintainers' solution (.meta/example.py, .meta/proof.ci.ts): what --oracle verifies. */
  example: string[];
  /** introduction.md, instructions.md and instructions.append.md, those that exist, in that order. */
  docs: string[];
};

/** Pure: the exercise's task key (its run record and --debug directory: exercism_python_NAME). */
export function taskKey(exercise: Pick<Exercise, "track" | "name">): string {
  return `exercism/${exercise.track}/${exercise.name}`;
}

/**
 * Pure: the `files` object of a config.json. Two of the TypeScript track's configs are not valid JSON (a comma
 * missing after `custom`): the `files` object alone is read then, as the track's own tooling does.
 */
export function parseExerciseFiles(text: string, where: string): z.infer<typeof ExerciseFiles> {
  let raw: unknown;
  try {
    raw = (JSON.parse(text) as { files?: unknown }).files;
  } catch {
    const match = /"files"\s*:\s*(\{[^{}]*\})/.exec(text);
    raw = match ? (JSON.parse(match[1]!) as unknown) : undefined;
  }
  const parsed = ExerciseFiles.safeParse(raw);
  if (!parsed.success)
    throw new TaskInvalid(
      "--exercises",
      `${where} has no files.solution and files.test lists`,
      "point --exercises at a clone of exercism/python or exercism/typescript",
    );
  return parsed.data;
}
