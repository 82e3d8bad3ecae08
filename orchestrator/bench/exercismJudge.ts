// What the Exercism measurement scripts share (rescoreExercism.ts, resampleExercism.ts): the recorded exchanges of a
// bench exercism --debug directory, and one reply judged in a fresh copy of its exercise (this checkout's patch
// engine, or Aider's whole-file reading) by the exercise's own tests in the sandbox, asking no model.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildConfig } from "../src/config/config.ts";
import { dataDir } from "../src/config/paths.ts";
import { PatchRejected } from "../src/errors.ts";
import { readListings } from "../src/benchmark/exercism/aiderProtocol.ts";
import { exerciseCommands } from "../src/benchmark/exercism/checks.ts";
import { typescriptDependencies } from "../src/benchmark/exercism/dependencies.ts";
import { loadTrack } from "../src/benchmark/exercism/exercise.ts";
import type { Exercise, Track } from "../src/benchmark/exercism/track.ts";
import { createExerciseWorkspace } from "../src/benchmark/exercism/workspace.ts";
import { planPatch } from "../src/patch/index.ts";
import { openSandbox, type Sandbox } from "../src/sandbox/sandbox.ts";
import { runJailedCommand } from "../src/verify/commands.ts";
import type { ChatMessage } from "../src/types.ts";

export type Verdict = "passed" | "verification_failed" | "patch_rejected" | "prompt_too_long";
export type Reader = "smol" | "aider";
export type Judge = {
  exercises: Map<string, Exercise>;
  /**
   * reason: the refusal (patch_rejected) or a remark; output: the failing command's output ("" when all pass);
   * written: the owned files as the reply left them (those it changed).
   */
  judge(
    reply: string,
    exercise: Exercise,
    reader: Reader,
  ): Promise<{ verdict: Verdict; reason: string; output: string; written: Record<string, string | null> }>;
};

export async function openJudge(track: Track, exercisesDir: string): Promise<Judge> {
  const config = buildConfig([{}]);
  const sandbox: Sandbox = await openSandbox(
    { ...config.sandbox, readOnly: track === "typescript" ? [path.join(dataDir(process.env), "exercism")] : [] },
    { unsafe: false },
  );
  const exercises = new Map(
    (await loadTrack(track, path.resolve(exercisesDir))).map((exercise) => [exercise.name, exercise]),
  );
  const scratch = mkdtempSync(path.join(tmpdir(), "smol-judge-"));
  const nodeModules =
    track === "typescript" ? await typescriptDependencies(path.join(dataDir(process.env), "exercism")) : undefined;
  let copies = 0;
  return {
    exercises,
    async judge(reply, exercise, reader) {
      const { root } = await createExerciseWorkspace(exercise, path.join(scratch, String(copies++)), { nodeModules });
      const owned = new Map(
        exercise.solution.map((file) => [
          file,
          existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), "utf8") : null,
        ]),
      );
      let reason = "";
      let changes: { path: string; content: string | null }[] = [];
      try {
        if (reader === "aider")
          changes = [...readListings(reply, exercise.solution)].map(([file, content]) => ({ path: file, content }));
        else
          try {
            changes = planPatch({
              reply,
              files: owned,
              maxChangedLines: config.patch.maxChangedLines,
              smallFileBytes: config.patch.smallFileBytes,
              asked: "whole",
            }).changes;
          } catch (error) {
            // The engine checks a reply that leaves the files as they are; bench exercism counts a pass (acceptUnchanged).
            if (!(error instanceof PatchRejected) || error.code !== "unchanged") throw error;
            reason = "unchanged, checked as it stands";
          }
      } catch (error) {
        if (!(error instanceof PatchRejected)) throw error;
        // Refused: the tests run on the files as they stand, as the chat layout's retry shows them.
        const output = await failingOutput(exercise, root);
        return { verdict: "patch_rejected", reason: error.message, output, written: {} };
      }
      for (const change of changes)
        if (change.content !== null) await Bun.write(path.join(root, change.path), change.content);
      const output = await failingOutput(exercise, root);
      const written = Object.fromEntries(changes.map((change) => [change.path, change.content]));
      return { verdict: output === "" ? "passed" : "verification_failed", reason, output, written };
    },
  };

  /** The first failing command's output; empty when every command passes. */
  async function failingOutput(exercise: Exercise, root: string): Promise<string> {
    for (const command of exerciseCommands(exercise.track, exercise)) {
      const result = await runJailedCommand(command, {
        cwd: root,
        timeoutMs: config.verify.timeoutMs,
        sandbox,
        owned: exercise.solution,
      });
      if (result.exitCode !== 0) return result.output.trim() === "" ? `${command} failed` : result.output;
    }
    return "";
  }
}

/** The exercises a --debug directory holds (an exercise in more than one directory: the first that holds it). */
export function recordedExercises(track: Track, debugDirs: readonly string[]): Map<string, string> {
  const recorded = new Map<string, string>();
  for (const debugDir of debugDirs)
    for (const dir of readdirSync(debugDir).sort()) {
      const name = dir.replace(`exercism_${track}_`, "");
      if (!recorded.has(name)) recorded.set(name, path.join(debugDir, dir));
    }
  return new Map([...recorded].sort(([a], [b]) => a.localeCompare(b)));
}

/** A recorded prompt.md back into its messages (each after a `<!-- role -->` line). */
export function readPrompt(file: string): ChatMessage[] {
  const text = readFileSync(file, "utf8");
  return [
    ...text.matchAll(/<!-- (system|user|assistant) -->\n([\s\S]*?)(?=\n\n<!-- (?:system|user|assistant) -->\n|$)/g),
  ].map((match) => ({ role: match[1] as ChatMessage["role"], content: match[2]! }));
}

/** The outcome a recorded exchange's verification.txt starts with. */
export function recordedVerdict(dir: string): Verdict {
  return /^outcome: (\w+)/.exec(readFileSync(path.join(dir, "verification.txt"), "utf8"))?.[1] as Verdict;
}
