// Benchmark: the replies an Exercism run recorded (bench exercism --debug DIR), judged again by this checkout's patch
// engine and the exercise's own tests, asking no model. It shows what a change to reading replies is worth on real
// replies before any run is repeated: per attempt, the verdict recorded and the verdict now. With --reader aider the
// same replies are read as the baseline reads them (Aider's whole-file coder: aiderProtocol.ts), so the two readings
// of one set of replies stand side by side, free of the sampling noise between two runs.
// Run: bun run bench/rescoreExercism.ts --debug DIR --track python --exercises ../../shared/datasets/exercism-python
//   [--attempt 1|2] [--reader smol|aider] [--arm smol|baseline-fast|baseline-deep] (whose recorded replies: the
//   baseline's tries are kept as baseline-TIER-try-N since --debug records them)
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Track } from "../src/benchmark/exercism/track.ts";
import { openJudge, recordedExercises, recordedVerdict, type Verdict } from "./exercismJudge.ts";

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
if (!values.debug?.length || !values.exercises)
  throw new Error("--debug DIR (a bench exercism --debug directory; again for more) and --exercises DIR are required");
if (values.reader !== "smol" && values.reader !== "aider") throw new Error("--reader is smol or aider");
if (!/^(smol|baseline-(fast|deep))$/.test(values.arm)) throw new Error("--arm is smol, baseline-fast or baseline-deep");
const reader = values.reader;
const prefix = values.arm === "smol" ? `attempt-${values.attempt}-` : `${values.arm}-try-${values.attempt}`;
const track = values.track as Track;
const { exercises, judge } = await openJudge(track, values.exercises);

const rows: { exercise: string; before: Verdict; after: Verdict; reason: string }[] = [];
for (const [name, dir] of recordedExercises(track, values.debug)) {
  const exercise = exercises.get(name);
  const attemptDir = readdirSync(dir).find((entry) =>
    values.arm === "smol" ? entry.startsWith(prefix) : entry === prefix,
  );
  if (!exercise || !attemptDir) continue;
  const files = path.join(dir, attemptDir);
  const { verdict, reason } = await judge(readFileSync(path.join(files, "reply.md"), "utf8"), exercise, reader);
  rows.push({ exercise: name, before: recordedVerdict(files), after: verdict, reason: reason.split("\n")[0]! });
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
