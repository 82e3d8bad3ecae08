// Benchmark: the baseline of bench exercism cross-checked against Aider itself (aider-chat, in a venv of its own)
// on a few exercises, the same model behind the same proxy. Aider gets what its benchmark gives: the instructions
// (protocol.ts), the stub, whole-file edits; after a failed try, the first 50 lines of the test output with the
// protocol's paragraph, its chat history restored. Per exercise: passed after try 1 and try 2, and wall time.
// Run: bun run bench/aiderCrossCheck.ts --aider /work/aider-venv/bin/aider --exercises DIR --only a,b,c \
//        --model openai/fast-coder --url http://127.0.0.1:4090/v1 [--out FILE]
// The proxy's key comes from LITELLM_API_KEY (the local stack: .stack/master.key); it reaches Aider as OPENAI_API_KEY.
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { exerciseCommands } from "../src/benchmark/exercism/checks.ts";
import { loadTrack } from "../src/benchmark/exercism/exercise.ts";
import { exerciseInstructions, fileList, testFailureMessage } from "../src/benchmark/exercism/protocol.ts";
import { selectExercises } from "../src/benchmark/exercism/selection.ts";
import { createExerciseWorkspace } from "../src/benchmark/exercism/workspace.ts";
import { buildConfig } from "../src/config/config.ts";
import { openSandbox } from "../src/sandbox/sandbox.ts";
import { runJailedCommand } from "../src/verify/commands.ts";

const { values } = parseArgs({
  options: {
    aider: { type: "string", default: "aider" },
    exercises: { type: "string" },
    only: { type: "string" },
    model: { type: "string", default: "openai/fast-coder" },
    url: { type: "string", default: "http://127.0.0.1:4090/v1" },
    python: { type: "string", default: "python3" },
    tries: { type: "string", default: "2" },
    out: { type: "string", default: path.join(tmpdir(), `smol-aider-${Date.now()}.jsonl`) },
  },
});
if (!values.exercises || !values.only) throw new Error("--exercises DIR and --only NAMES are required");
const key =
  process.env.LITELLM_API_KEY ??
  readFileSync(path.join(import.meta.dir, "..", "..", ".stack", "master.key"), "utf8").trim();
const scratch = mkdtempSync(path.join(tmpdir(), "smol-aider-"));
// The tests run the model's code: in the sandbox, as smol-coder's verification does.
const config = buildConfig([{}]);
const sandbox = await openSandbox(config.sandbox, { unsafe: false });

function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const result = Bun.spawnSync(argv, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

for (const exercise of selectExercises(await loadTrack("python", path.resolve(values.exercises)), {
  only: values.only,
  seed: 1,
})) {
  const started = performance.now();
  const { root } = await createExerciseWorkspace(exercise, scratch);
  const files = fileList(exercise);
  const docs = exercise.docs.map((file) => readFileSync(file, "utf8"));
  let message = exerciseInstructions(docs, files);
  const [test] = exerciseCommands("python", exercise, values.python);
  const tries: boolean[] = [];
  for (let n = 1; n <= Number(values.tries); n++) {
    writeFileSync(path.join(root, ".message.txt"), message);
    const aider = run(
      [
        values.aider,
        "--model",
        values.model,
        "--openai-api-base",
        values.url,
        "--edit-format",
        "whole",
        "--map-tokens",
        "0",
        "--no-git",
        "--yes-always",
        "--no-pretty",
        "--no-stream",
        "--no-show-model-warnings",
        "--no-check-update",
        "--analytics-disable",
        "--no-auto-lint",
        "--no-auto-test",
        ...(n > 1 ? ["--restore-chat-history"] : []),
        "--message-file",
        ".message.txt",
        ...exercise.solution,
      ],
      root,
      { OPENAI_API_KEY: key, LITELLM_LOCAL_MODEL_COST_MAP: "True" },
    );
    // The tests are restored before each run, as Aider's benchmark does: an edit of them must not count.
    for (const file of exercise.test) writeFileSync(path.join(root, file), readFileSync(path.join(exercise.dir, file)));
    const jailed = await runJailedCommand(test!, {
      cwd: root,
      timeoutMs: config.verify.timeoutMs,
      sandbox,
      owned: exercise.solution,
    });
    const tested = { code: jailed.exitCode, output: jailed.output };
    tries.push(tested.code === 0);
    if (aider.code !== 0)
      process.stderr.write(`aider exited ${aider.code} on ${exercise.name}: ${aider.output.slice(-300)}\n`);
    if (tested.code === 0) break;
    message = testFailureMessage(tested.output, files);
  }
  const line = {
    exercise: exercise.name,
    tries,
    solved: tries.at(-1) === true,
    wallMs: Math.round(performance.now() - started),
  };
  appendFileSync(values.out, `${JSON.stringify(line)}\n`);
  console.log(JSON.stringify(line));
}
console.error(`results in ${values.out}`);
