// Benchmark: one recorded attempt asked again with sampling. Each exercise's recorded prompt of --attempt N (a bench
// exercism --debug directory; by default smol-coder's second attempt, which is exactly what a retry after that first
// reply sends) goes to the model at --temperature with a fixed --seed, and the reply is judged by this checkout's
// patch engine and the exercise's tests, beside the verdict recorded for the greedy reply. It measures what sampling
// a retry is worth on real prompts without running whole benchmarks again. Resumable: --out keeps a line per
// exercise, and exercises already in it are skipped.
// Run: LITELLM_URL=… LITELLM_API_KEY=… bun run bench/resampleExercism.ts --debug DIR [--debug DIR2] --track python
//   --exercises ../../shared/datasets/exercism-python --out FILE [--attempt 2] [--temperature 0.8] [--seed 1]
//   [--model fast-coder] [--max-tokens 2048] [--concurrency 2]
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Track } from "../src/benchmark/exercism/track.ts";
import { createModelClient } from "../src/models/client.ts";
import { openJudge, readPrompt, recordedExercises, recordedVerdict, type Verdict } from "./exercismJudge.ts";

const { values } = parseArgs({
  options: {
    debug: { type: "string", multiple: true },
    track: { type: "string", default: "python" },
    exercises: { type: "string" },
    out: { type: "string" },
    attempt: { type: "string", default: "2" },
    temperature: { type: "string", default: "0.8" },
    seed: { type: "string", default: "1" },
    model: { type: "string", default: "fast-coder" },
    "max-tokens": { type: "string", default: "2048" },
    concurrency: { type: "string", default: "2" },
  },
});
if (!values.debug?.length || !values.exercises || !values.out)
  throw new Error("--debug DIR (bench exercism --debug; again for more), --exercises DIR and --out FILE are required");
if (!process.env.LITELLM_URL) throw new Error("LITELLM_URL must name the proxy (and LITELLM_API_KEY its key)");
const track = values.track as Track;
const temperature = Number(values.temperature);
const seed = Number(values.seed);
const { exercises, judge } = await openJudge(track, values.exercises);
const model = createModelClient({
  url: process.env.LITELLM_URL,
  apiKey: process.env.LITELLM_API_KEY,
  timeoutMs: 600_000,
  maxRetries: 0,
  retryBaseMs: 1_000,
  retryMaxMs: 1_000,
});

type Line = { exercise: string; recorded: Verdict; sampled: Verdict; tokensOut: number; ms: number; reason: string };
const done = new Map<string, Line>();
if (existsSync(values.out))
  for (const text of readFileSync(values.out, "utf8").split("\n").filter(Boolean)) {
    const line = JSON.parse(text) as Line;
    done.set(line.exercise, line);
  }
const todo: { name: string; files: string }[] = [];
for (const [name, dir] of recordedExercises(track, values.debug)) {
  const attemptDir = readdirSync(dir).find((entry) => entry.startsWith(`attempt-${values.attempt}-`));
  if (attemptDir && exercises.has(name) && !done.has(name)) todo.push({ name, files: path.join(dir, attemptDir) });
}

async function resample({ name, files }: { name: string; files: string }): Promise<void> {
  const completion = await model.complete({
    model: values.model!,
    messages: readPrompt(path.join(files, "prompt.md")),
    maxTokens: Number(values["max-tokens"]),
    temperature,
    seed,
  });
  const { verdict, reason } = await judge(completion.text, exercises.get(name)!, "smol");
  const line: Line = {
    exercise: name,
    recorded: recordedVerdict(files),
    sampled: verdict,
    tokensOut: completion.tokensOut,
    ms: completion.durationMs,
    reason,
  };
  appendFileSync(values.out!, `${JSON.stringify(line)}\n`);
  done.set(name, line);
  console.error(`${name}: recorded ${line.recorded}, sampled ${verdict} (${completion.tokensOut} tokens)`);
}

const queue = [...todo];
await Promise.all(
  Array.from({ length: Number(values.concurrency) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await resample(next);
  }),
);
const lines = [...done.values()];
const passed = (pick: (line: Line) => Verdict) => lines.filter((line) => pick(line) === "passed").length;
console.log(
  `attempt ${values.attempt} of ${lines.length} exercises, ${values.model}: recorded (greedy) ${passed((l) => l.recorded)} passed; ` +
    `sampled (temperature ${temperature}, seed ${seed}) ${passed((l) => l.sampled)} passed; refused ` +
    `${lines.filter((l) => l.recorded === "patch_rejected").length} → ${lines.filter((l) => l.sampled === "patch_rejected").length}`,
);
for (const line of lines.filter((l) => l.sampled === "passed" || l.recorded === "passed"))
  console.log(`${line.exercise}: recorded ${line.recorded}, sampled ${line.sampled}`);
