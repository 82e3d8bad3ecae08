// Benchmark: the replies an Exercism run recorded (bench exercism --debug DIR), judged again by this checkout's patch
// engine and the exercise's own tests, asking no model. It shows what a change to reading replies is worth on real
// replies before any run is repeated: per attempt, the verdict recorded and the verdict now. With --reader aider the
// same replies are read as the baseline reads them (Aider's whole-file coder: aiderProtocol.ts), so the two readings
// of one set of replies stand side by side, free of the sampling noise between two runs.
// Run: bun run bench/rescoreExercism.ts --debug DIR --track python --exercises ../../shared/datasets/exercism-python
//   [--attempt 1|2] [--reader smol|aider] [--arm smol|baseline-fast|baseline-deep] (whose recorded replies: the
//   baseline's tries are kept as baseline-TIER-try-N since --debug records them)
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildConfig } from "../src/config/config.ts";
import { PatchRejected } from "../src/errors.ts";
import { exerciseCommands } from "../src/benchmark/exercism/checks.ts";
import { dataDir } from "../src/config/paths.ts";
import { typescriptDependencies } from "../src/benchmark/exercism/dependencies.ts";
import { loadTrack } from "../src/benchmark/exercism/exercise.ts";
import type { Track } from "../src/benchmark/exercism/track.ts";
import { createExerciseWorkspace } from "../src/benchmark/exercism/workspace.ts";
import { planPatch } from "../src/patch/index.ts";
import { readListings } from "../src/benchmark/exercism/aiderProtocol.ts";
import { openSandbox } from "../src/sandbox/sandbox.ts";
import { runJailedCommand } from "../src/verify/commands.ts";

const { values } = parseArgs({
  options: {
    debug: { type: "string", multiple: true },
    track: { type: "string", default: "python" },
    exercises: { type: "string" },
    attempt: { type: "string", default: "1" },
    reader: { type: "string", default: "smol" },
    arm: { type: "string", default: "smol" },
  },
});
if (values.reader !== "smol" && values.reader !== "aider") throw new Error("--reader is smol or aider");
if (!/^(smol|baseline-(fast|deep))$/.test(values.arm)) throw new Error("--arm is smol, baseline-fast or baseline-deep");
const prefix = values.arm === "smol" ? `attempt-${values.attempt}-` : `${values.arm}-try-${values.attempt}`;
if (!values.debug?.length || !values.exercises)
  throw new Error("--debug DIR (a bench exercism --debug directory; again for more) and --exercises DIR are required");
const track = values.track as Track;
const config = buildConfig([{}]);
const sandbox = await openSandbox(
  { ...config.sandbox, readOnly: track === "typescript" ? [path.join(dataDir(process.env), "exercism")] : [] },
  { unsafe: false },
);
const exercises = new Map(
  (await loadTrack(track, path.resolve(values.exercises))).map((exercise) => [exercise.name, exercise]),
);
const scratch = mkdtempSync(path.join(tmpdir(), "smol-rescore-"));
const nodeModules =
  track === "typescript" ? await typescriptDependencies(path.join(dataDir(process.env), "exercism")) : undefined;

type Verdict = "passed" | "verification_failed" | "patch_rejected" | "prompt_too_long";
const rows: { exercise: string; before: Verdict; after: Verdict; reason: string }[] = [];
// An exercise recorded in more than one directory is read from the first that holds it.
const recorded = new Map<string, string>();
for (const debugDir of values.debug)
  for (const dir of readdirSync(debugDir).sort()) {
    const name = dir.replace(`exercism_${track}_`, "");
    if (!recorded.has(name)) recorded.set(name, path.join(debugDir, dir));
  }
for (const [name, dir] of [...recorded].sort(([a], [b]) => a.localeCompare(b))) {
  const exercise = exercises.get(name);
  const attemptDir = readdirSync(dir).find((entry) =>
    values.arm === "smol" ? entry.startsWith(prefix) : entry === prefix,
  );
  if (!exercise || !attemptDir) continue;
  const files = path.join(dir, attemptDir);
  const before = /^outcome: (\w+)/.exec(readFileSync(path.join(files, "verification.txt"), "utf8"))?.[1] as Verdict;
  const reply = readFileSync(path.join(files, "reply.md"), "utf8");
  const { root } = await createExerciseWorkspace(exercise, path.join(scratch, attemptDir), { nodeModules });
  const owned = new Map(
    exercise.solution.map((file) => [
      file,
      existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), "utf8") : null,
    ]),
  );
  let after: Verdict;
  let reason = "";
  try {
    let changes: { path: string; content: string | null }[] = [];
    if (values.reader === "aider")
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
        // The engine checks a reply that leaves the files as they are, and bench exercism counts a pass (patch.acceptUnchanged).
        if (!(error instanceof PatchRejected) || error.code !== "unchanged") throw error;
        reason = "unchanged, checked as it stands";
      }
    for (const change of changes)
      if (change.content !== null) await Bun.write(path.join(root, change.path), change.content);
    const commands = exerciseCommands(track, exercise);
    let passed = true;
    for (const command of commands) {
      const result = await runJailedCommand(command, {
        cwd: root,
        timeoutMs: config.verify.timeoutMs,
        sandbox,
        owned: exercise.solution,
      });
      if (result.exitCode !== 0) {
        passed = false;
        break;
      }
    }
    after = passed ? "passed" : "verification_failed";
  } catch (error) {
    if (!(error instanceof PatchRejected)) throw error;
    after = "patch_rejected";
    reason = error.message.split("\n")[0]!;
  }
  rows.push({ exercise: name, before, after, reason });
}
const count = (pick: (row: (typeof rows)[number]) => boolean) => rows.filter(pick).length;
const reading = values.reader === "aider" ? "read as Aider reads it" : "this engine";
console.log(`${values.arm}'s attempt ${values.attempt} of ${rows.length} exercises (${values.debug.join(", ")})`);
console.log(`| verdict | recorded | ${reading} |\n| --- | --- | --- |`);
for (const verdict of ["passed", "verification_failed", "patch_rejected"] as const)
  console.log(`| ${verdict} | ${count((r) => r.before === verdict)} | ${count((r) => r.after === verdict)} |`);
for (const row of rows.filter((r) => r.before !== r.after))
  console.log(`changed: ${row.exercise}: ${row.before} → ${row.after}${row.reason ? ` (${row.reason})` : ""}`);
for (const row of rows.filter((r) => r.after === "patch_rejected"))
  console.log(`refused: ${row.exercise}: ${row.reason}`);
