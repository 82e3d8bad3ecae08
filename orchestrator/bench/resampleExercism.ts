// Benchmark: one recorded attempt asked again with sampling. Each exercise's recorded prompt of --attempt N (a bench
// exercism --debug directory; by default smol-coder's second attempt, which is exactly what a retry after that first
// reply sends) goes to the model at --temperature with a fixed --seed, and the reply is judged by this checkout's
// patch engine and the exercise's tests, beside the verdict recorded for the greedy reply. It measures what sampling
// a retry is worth on real prompts without running whole benchmarks again. Resumable: --out keeps a line per
// exercise, and exercises already in it are skipped. With --retry chat the prompt is not the one recorded but the
// chat layout's retry as this checkout builds it (guidance/chat.ts): the recorded first prompt, the first reply as
// the assistant's turn, then what this engine and the tests say of that reply; the verdict beside it is the recorded
// second attempt's (the retry as it was asked then). Use --temperature 0 to compare greedy with greedy.
// Run: LITELLM_URL=… LITELLM_API_KEY=… bun run bench/resampleExercism.ts --debug DIR [--debug DIR2] --track python
//   --exercises ../../shared/datasets/exercism-python --out FILE [--attempt 2] [--temperature 0.8] [--seed 1]
//   [--model fast-coder] [--max-tokens 2048] [--concurrency 2] [--retry chat]
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Track } from "../src/benchmark/exercism/track.ts";
import { createModelClient } from "../src/models/client.ts";
import { buildMessages, shortenedHistory, type AttemptFeedback } from "../src/guidance/prompt.ts";
import { PromptTooLong } from "../src/errors.ts";
import { unchangedNote } from "../src/run/checking.ts";
import type { ChatMessage } from "../src/types.ts";
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
    retry: { type: "string" },
  },
});
if (values.retry !== undefined && values.retry !== "chat") throw new Error("--retry takes chat");
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
const todo: { name: string; files: string; first: string }[] = [];
for (const [name, dir] of recordedExercises(track, values.debug)) {
  const attemptDir = readdirSync(dir).find((entry) => entry.startsWith(`attempt-${values.attempt}-`));
  const firstDir = readdirSync(dir).find((entry) => entry.startsWith("attempt-1-"));
  if (attemptDir && firstDir && exercises.has(name) && !done.has(name))
    todo.push({ name, files: path.join(dir, attemptDir), first: path.join(dir, firstDir) });
}

/**
 * The chat layout's retry after the recorded first reply, built by this checkout's prompt code from what this
 * engine and the tests say of that reply now; `shortened` is the history cut to fit, as the loop asks it then.
 */
async function chatRetry(name: string, first: string, shortened: boolean): Promise<ChatMessage[]> {
  const exercise = exercises.get(name)!;
  const reply = readFileSync(path.join(first, "reply.md"), "utf8");
  const judged = await judge(reply, exercise, "smol");
  const owned = exercise.solution.join(", ");
  const notes =
    judged.verdict === "patch_rejected"
      ? [`patch rejected: ${judged.reason}`]
      : judged.reason.startsWith("unchanged")
        ? [unchangedNote(owned)]
        : [];
  const errors = judged.output === "" ? [] : ["the tests failed"];
  const feedback: AttemptFeedback = {
    attempt: 1,
    tier: "fast",
    kind: judged.verdict === "patch_rejected" ? "patch_rejected" : "verification_failed",
    diff: null,
    errors: [...notes, ...errors],
    exchange: { reply, notes, output: judged.output, errors, files: judged.written },
  };
  const recorded = readPrompt(path.join(first, "prompt.md"));
  const files = new Map(
    exercise.solution.map((file) => [file, readFileSync(path.join(exercise.dir, file), "utf8")] as const),
  );
  return buildMessages({
    description: recorded[3]!.content, // the chat layout's request: the task alone on a first attempt with no spec
    files,
    verify: [],
    feedback: shortened ? shortenedHistory([feedback]) : [feedback],
    format: "whole",
    layout: "chat",
  });
}

async function resample({ name, files, first }: { name: string; files: string; first: string }): Promise<void> {
  const ask = async (shortened: boolean) =>
    model.complete({
      model: values.model!,
      messages:
        values.retry === "chat" ? await chatRetry(name, first, shortened) : readPrompt(path.join(files, "prompt.md")),
      maxTokens: Number(values["max-tokens"]),
      temperature,
      seed,
    });
  const completion = await ask(false).catch((error: unknown) => {
    if (!(error instanceof PromptTooLong) || values.retry !== "chat") throw error;
    return ask(true);
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
