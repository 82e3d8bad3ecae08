// Benchmark: the routing rule (routing.deepWhenDescriptionOver) decided from recorded runs, asking no model. Given
// per-exercise results of the fast tier's model and of the deep tier's (bench exercism's results.jsonl of a run that
// kept one tier, or its baseline-TIER.jsonl), it replays the cascade's first step for each threshold on the
// exercises both have: a description at or under the threshold starts at fast and goes on to deep only when fast
// failed (the fast tier's model time spent either way); a longer one starts at deep. It prints, per threshold, the
// exercises solved and the model time spent, and each model's solve rate by description length, the description
// built as bench exercism builds it.
// Run: bun run bench/routingRule.ts --exercises ../../shared/datasets/exercism-python --fast FILE --deep FILE
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadTrack } from "../src/benchmark/exercism/exercise.ts";
import { BaselineLine, TaskLine } from "../src/benchmark/exercism/lines.ts";
import { exerciseInstructions, fileList } from "../src/benchmark/exercism/protocol.ts";
import type { Track } from "../src/benchmark/exercism/track.ts";

const { values } = parseArgs({
  options: {
    exercises: { type: "string" },
    track: { type: "string", default: "python" },
    fast: { type: "string" },
    deep: { type: "string" },
    thresholds: { type: "string", default: "0,500,1000,1500,2000,3000,4000,100000" },
  },
});
if (!values.exercises || !values.fast || !values.deep)
  throw new Error("--exercises DIR, --fast FILE and --deep FILE (results.jsonl or baseline-TIER.jsonl) are required");

type Outcome = { solved: boolean; modelMs: number };

/** One line of either file: a smol-coder task line or a baseline line, reduced to solved and model time. */
function outcome(line: unknown): [string, Outcome] {
  const task = TaskLine.safeParse(line);
  if (task.success) return [task.data.exercise, { solved: task.data.solved, modelMs: task.data.modelMs }];
  const baseline = BaselineLine.parse(line);
  const modelMs = baseline.tries.reduce((sum, attempt) => sum + attempt.modelMs, 0);
  return [baseline.exercise, { solved: baseline.solved, modelMs }];
}

const outcomes = (file: string) =>
  new Map(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => outcome(JSON.parse(line))),
  );
const fast = outcomes(values.fast);
const deep = outcomes(values.deep);

const lengths = new Map<string, number>();
for (const exercise of await loadTrack(values.track as Track, values.exercises)) {
  const docs = await Promise.all(exercise.docs.map((file) => readFile(file, "utf8")));
  lengths.set(exercise.name, exerciseInstructions(docs, fileList(exercise)).length);
}

const both = [...fast.keys()].filter((name) => deep.has(name) && lengths.has(name)).sort();
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
console.log(`${both.length} exercises with both models' results (fast: ${values.fast}; deep: ${values.deep})`);
console.log("\n| threshold (characters) | start at fast | solved | model time |\n| --- | --- | --- | --- |");
for (const threshold of values.thresholds.split(",").map(Number)) {
  let solved = 0;
  let modelMs = 0;
  let startFast = 0;
  for (const name of both) {
    const [f, d] = [fast.get(name)!, deep.get(name)!];
    if (lengths.get(name)! <= threshold) {
      startFast++;
      modelMs += f.modelMs + (f.solved ? 0 : d.modelMs);
      solved += f.solved || d.solved ? 1 : 0;
    } else {
      modelMs += d.modelMs;
      solved += d.solved ? 1 : 0;
    }
  }
  console.log(`| ${threshold} | ${startFast}/${both.length} | ${solved} | ${minutes(modelMs)} |`);
}

console.log("\n| description length | fast: solved | fast: model time | deep: solved | deep: model time |");
console.log("| --- | --- | --- | --- | --- |");
const bands = [0, 1000, 2000, 4000, Number.POSITIVE_INFINITY];
for (let band = 0; band + 1 < bands.length; band++) {
  const inBand = (name: string) => lengths.get(name)! > bands[band]! && lengths.get(name)! <= bands[band + 1]!;
  const cell = (results: Map<string, Outcome>) => {
    const names = [...results.keys()].filter((name) => lengths.has(name) && inBand(name));
    const solved = names.filter((name) => results.get(name)!.solved).length;
    const ms = names.reduce((sum, name) => sum + results.get(name)!.modelMs, 0);
    return `${solved}/${names.length} | ${names.length ? minutes(ms / names.length) : "-"} each`;
  };
  console.log(`| ${bands[band]}-${bands[band + 1]} | ${cell(fast)} | ${cell(deep)} |`);
}
