// `bench humaneval` end to end: the real CLI over all 164 problems, the fake model server answering by problem.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadDataset, type Problem } from "../src/humaneval/dataset.ts";
import { startFakeModel, type RecordedRequest, type ScriptStep } from "./fakeModel.ts";
import { diffReply, perTestResources, runCli, SHARED_DATASET, tempDir } from "./helpers.ts";

const PROBLEMS = await loadDataset(SHARED_DATASET);
const resources = perTestResources();

/** The problem a prompt is about: its solution.py text is in the prompt. */
function problemOf(request: RecordedRequest): Problem {
  const text = request.body.messages.map((m) => m.content).join("\n");
  const found = PROBLEMS.filter((p) => text.includes(p.prompt.trim()));
  // The longest match: one problem's prompt can be a prefix of another's.
  return found.sort((a, b) => b.prompt.length - a.prompt.length)[0]!;
}
const canonical = (request: RecordedRequest): ScriptStep => {
  const p = problemOf(request);
  return diffReply("solution.py", p.prompt, p.prompt + p.canonicalSolution);
};
const wrong = (request: RecordedRequest): ScriptStep => {
  const p = problemOf(request);
  return diffReply("solution.py", p.prompt, `${p.prompt}    return None\n`);
};

type Summary = {
  total: number;
  solved: number;
  passAt1: number;
  solveRateWithFeedback: number;
  solvedByFinalTier: Record<string, number>;
  escalations: number;
  checkpoints: number;
};
type Line = {
  taskId: string;
  solved: boolean;
  status: string;
  attempts: number;
  finalTier: string;
  passedFirstAttempt: boolean;
};

async function bench(args: string[]) {
  const out = path.join(resources.track(tempDir("smol-bench-")), "out");
  const result = await runCli(
    ["bench", "humaneval", "--dataset", SHARED_DATASET, "--out", out, "--db", path.join(out, "..", "runs.db"), ...args],
    {
      env: { LITELLM_URL: resources.fake!.url },
    },
  );
  const read = <T>(name: string) => JSON.parse(readFileSync(path.join(out, name), "utf8")) as T;
  const lines = () =>
    readFileSync(path.join(out, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
  return { result, out, summary: () => read<Summary>("summary.json"), lines };
}

describe("the direct baseline and the plots", () => {
  test("--baseline fast,deep: each model asked the makers' way in the same run, graded alike, beside pass@1 and the cascade", async () => {
    // The fast model answers the direct question with the canonical function, the deep one with a wrong body;
    // in the cascade fast is wrong and deep right, so every problem is solved at deep.
    const direct =
      (right: boolean) =>
      (request: RecordedRequest): ScriptStep => {
        const p = problemOf(request);
        return `\`\`\`python\n${p.prompt}${right ? p.canonicalSolution : "    return None\n"}\`\`\``;
      };
    const asked = (request: RecordedRequest) =>
      request.body.messages.at(-1)!.content.startsWith("Can you complete the following Python function?");
    resources.fake = startFakeModel({
      fallback: {
        "fast-coder": (request) => (asked(request) ? direct(true)(request) : wrong(request)),
        "deep-coder": (request) => (asked(request) ? direct(false)(request) : canonical(request)),
      },
    });
    const run = await bench(["--problems", "0-3", "--baseline", "fast,deep", "--no-spec", "--no-checkpoints"]);
    expect(run.result.exitCode, run.result.stderr).toBe(0);
    const summary = run.summary() as Summary & { baselines: { tier: string; solved: number; total: number }[] };
    expect(summary).toMatchObject({
      total: 4,
      solved: 4,
      passAt1: 0,
      solvedByFinalTier: { fast: 0, deep: 4, reviewer: 0 },
    });
    expect(summary.baselines.map((b) => [b.tier, b.solved, b.total])).toEqual([
      ["fast", 4, 4],
      ["deep", 0, 4],
    ]);
    const report = readFileSync(path.join(run.out, "report.md"), "utf8");
    expect(report).toContain("| fast model (fast-coder) asked directly: pass@1, zero-shot, greedy | 4/4 | 100.0% |");
    expect(report).toContain("| smol-coder pass@1: first attempt at the start tier, no feedback | 0/4 | 0.0% |");
    expect(report).toContain("Published: Qwen2.5-Coder technical report");
    for (const chart of ["solved-by-tier.svg", "solved-by-attempts.svg", "wall-time.svg", "baselines.svg"]) {
      expect(readFileSync(path.join(run.out, chart), "utf8").startsWith("<svg")).toBe(true);
      expect(report).toContain(`](${chart})`);
    }
    expect(readFileSync(path.join(run.out, "baseline.jsonl"), "utf8").trim().split("\n")).toHaveLength(8);
    expect(run.result.stdout).toContain("fast model (fast-coder) asked directly: 4/4 (100.0%)");
  }, 120_000);
});

describe("bench humaneval over all 164 problems", () => {
  test("every tier answers the canonical solution: 164 solved at fast, pass@1 100%", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": canonical, "deep-coder": canonical, reviewer: canonical },
    });
    const run = await bench([]);
    expect(run.result.exitCode).toBe(0);
    const summary = run.summary();
    expect(summary).toMatchObject({
      total: 164,
      solved: 164,
      passAt1: 1,
      solveRateWithFeedback: 1,
      solvedByFinalTier: { fast: 164, deep: 0, reviewer: 0 },
    });
    expect(run.lines()).toHaveLength(164);
    expect(readFileSync(path.join(run.out, "report.md"), "utf8")).toContain(
      "| HumanEval/163 | yes | pass | 1 | fast |",
    );
    expect(run.result.stdout).toContain("solved: 164");
  }, 300_000);

  test("every tier answers a wrong body: 0 solved, every problem aborted after its 5 attempts, exit 0", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": wrong, "deep-coder": wrong, reviewer: wrong } });
    const run = await bench([]);
    expect(run.result.exitCode).toBe(0);
    expect(run.summary()).toMatchObject({
      total: 164,
      solved: 0,
      passAt1: 0,
      solveRateWithFeedback: 0,
      escalations: 328,
      checkpoints: 328,
    });
    const lines = run.lines();
    expect(lines).toHaveLength(164);
    expect(lines.every((l) => l.status === "abort" && l.attempts === 5 && l.finalTier === "reviewer")).toBe(true);
  }, 300_000);

  test("fast wrong, deep right: 164 solved at deep; pass@1 0% and solve rate with feedback 100% kept apart", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": wrong, "deep-coder": canonical } });
    const run = await bench(["--concurrency", "16"]);
    expect(run.result.exitCode).toBe(0);
    expect(run.summary()).toMatchObject({
      total: 164,
      solved: 164,
      passAt1: 0,
      solveRateWithFeedback: 1,
      solvedByFinalTier: { fast: 0, deep: 164, reviewer: 0 },
    });
    expect(resources.fake.maxInFlight["deep-coder"]).toBe(1);
    expect(resources.fake.maxInFlight["fast-coder"]).toBeLessThanOrEqual(4);
  }, 300_000);
});

describe("bench humaneval: resume, records, bad input", () => {
  test("a killed run resumes without redoing finished problems", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": (r) => ({ reply: (canonical as (r: RecordedRequest) => string)(r), delayMs: 150 }) },
    });
    const out = path.join(resources.track(tempDir("smol-bench-")), "out");
    const args = [
      "bun",
      "run",
      path.join(import.meta.dir, "..", "src", "index.ts"),
      "--no-log-file",
      "bench",
      "humaneval",
      "--dataset",
      SHARED_DATASET,
      "--problems",
      "0-11",
      "--concurrency",
      "2",
      "--out",
      out,
      "--db",
      path.join(out, "..", "runs.db"),
    ];
    const child = Bun.spawn(args, {
      env: { ...process.env, LITELLM_URL: resources.fake.url },
      stdout: "ignore",
      stderr: "ignore",
    });
    const results = path.join(out, "results.jsonl");
    while (!existsSync(results) || readFileSync(results, "utf8").trim().split("\n").length < 3) await Bun.sleep(50);
    child.kill("SIGKILL");
    await child.exited;
    // A torn half-line, as a kill mid-write would leave.
    writeFileSync(results, `${readFileSync(results, "utf8")}{"taskId":"HumanEval/`);
    const finished = readFileSync(results, "utf8").trim().split("\n").length - 1;
    const before = resources.fake.requestsFor("fast-coder").length;
    const resumed = await runCli(
      [
        "bench",
        "humaneval",
        "--dataset",
        SHARED_DATASET,
        "--problems",
        "0-11",
        "--out",
        out,
        "--resume",
        "--db",
        path.join(out, "..", "runs.db"),
      ],
      { env: { LITELLM_URL: resources.fake.url } },
    );
    expect(resumed.exitCode).toBe(0);
    const lines = readFileSync(results, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => l.taskId).sort()).toEqual(
      PROBLEMS.slice(0, 12)
        .map((p) => p.taskId)
        .sort(),
    );
    expect(resources.fake.requestsFor("fast-coder").length - before).toBe(12 - finished);
    expect(JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"))).toMatchObject({ total: 12, solved: 12 });
    // The killed run's record was closed by the next process to open the store: never left 'running'.
    const runs = new Database(path.join(out, "..", "runs.db"), { readonly: true })
      .query<{ status: string }, []>("SELECT status FROM runs ORDER BY started_at")
      .all();
    expect(runs.map((r) => r.status)).toEqual(["interrupted", "complete"]);
  }, 120_000);

  test("an endpoint that dies halfway: the run stops after 5 unreachable problems in a row (exit 3), its record closed; --resume once it is back grades every problem", async () => {
    let answered = 0;
    let down = false;
    resources.fake = startFakeModel({
      fallback: {
        "fast-coder": (r) => {
          if (down) return { status: 503, message: "proxy going down" };
          if (++answered === 3) down = true;
          return (canonical as (r: RecordedRequest) => string)(r);
        },
      },
    });
    const out = path.join(resources.track(tempDir("smol-bench-")), "out");
    const config = path.join(out, "..", "config.json");
    writeFileSync(config, JSON.stringify({ endpoint: { maxRetries: 1, retryBaseMs: 1, retryMaxMs: 2 } }));
    const db = path.join(out, "..", "runs.db");
    const args = [
      "bench",
      "humaneval",
      "--config",
      config,
      "--dataset",
      SHARED_DATASET,
      "--problems",
      "0-9",
      "--concurrency",
      "1",
      "--no-spec",
      "--out",
      out,
      "--db",
      db,
    ];
    const first = await runCli(args, { env: { LITELLM_URL: resources.fake.url } });
    expect({ exit: first.exitCode, stderr: first.stderr.slice(-400) }).toEqual({
      exit: 3,
      stderr: expect.stringContaining("5 problems in a row ended unreachable"),
    });
    const stopped = readFileSync(path.join(out, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
    expect(stopped.map((l) => l.status)).toEqual([
      "complete",
      "complete",
      "complete",
      "unreachable",
      "unreachable",
      "unreachable",
      "unreachable",
      "unreachable",
    ]);
    const runStatus = () =>
      new Database(db, { readonly: true })
        .query<{ status: string }, []>("SELECT status FROM runs ORDER BY started_at")
        .all()
        .map((r) => r.status);
    expect(runStatus()).toEqual(["unreachable"]);
    down = false;
    const resumed = await runCli([...args, "--resume"], { env: { LITELLM_URL: resources.fake.url } });
    expect(resumed.exitCode).toBe(0);
    const lines = readFileSync(path.join(out, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
    // The unreachable lines were dropped and those problems done again: one verdict per problem.
    expect(lines.map((l) => l.taskId).sort()).toEqual(
      PROBLEMS.slice(0, 10)
        .map((p) => p.taskId)
        .sort(),
    );
    expect(new Set(lines.map((l) => l.status))).toEqual(new Set(["complete"]));
    expect(JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"))).toMatchObject({ total: 10, solved: 10 });
    expect(runStatus()).toEqual(["unreachable", "complete"]);
  }, 120_000);

  test("results already in --out without --resume: exit 2, nothing overwritten", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": canonical } });
    const first = await bench(["--problems", "0-1"]);
    const before = readFileSync(path.join(first.out, "results.jsonl"), "utf8");
    const again = await runCli(
      ["bench", "humaneval", "--dataset", SHARED_DATASET, "--problems", "0-1", "--out", first.out],
      { env: { LITELLM_URL: resources.fake.url } },
    );
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("--resume");
    expect(readFileSync(path.join(first.out, "results.jsonl"), "utf8")).toBe(before);
  }, 60_000);

  test("runs lists the bench; analyze prints per-task rows, pass@1 and the solve rate apart, cost by role", async () => {
    resources.fake = startFakeModel({
      replies: { "fast-coder": [canonical] },
      fallback: { "fast-coder": wrong, "deep-coder": canonical, mentor: { reply: "## Root cause\nx", costUsd: 0.01 } },
    });
    const run = await bench(["--problems", "0-3", "--concurrency", "1"]);
    expect(run.result.exitCode).toBe(0);
    const db = path.join(run.out, "..", "runs.db");
    const runs = await runCli(["runs", "--db", db]);
    expect(runs.exitCode).toBe(0);
    const runId = /run (r-\S+)/.exec(run.result.stdout)![1]!;
    expect(runs.stdout).toContain(runId);
    const analysis = await runCli(["analyze", runId, "--db", db]);
    expect(analysis.exitCode).toBe(0);
    for (const id of ["HumanEval/0", "HumanEval/3"]) expect(analysis.stdout).toContain(id);
    expect(analysis.stdout).toContain("pass@1");
    expect(analysis.stdout).toContain("25.0%");
    expect(analysis.stdout).toContain("100.0%");
    expect(analysis.stdout).toContain("mentor");
    const missing = await runCli(["analyze", "r-nope", "--db", db]);
    expect(missing.exitCode).toBe(2);
  }, 120_000);

  test("--problems past the end: exit 2 naming the valid range", async () => {
    resources.fake = startFakeModel({});
    const run = await bench(["--problems", "160-170"]);
    expect(run.result.exitCode).toBe(2);
    expect(run.result.stderr).toContain("0-163");
  });
});
