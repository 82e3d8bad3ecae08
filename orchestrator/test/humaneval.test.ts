// HumanEval tasks end to end through the real CLI: a fresh git workspace, the warm pytest grader, the spec
// writer and the mentor, with the fake model server answering every alias.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadDataset, type Problem } from "../src/humaneval/dataset.ts";
import { startFakeModel, type RecordedRequest } from "./fakeModel.ts";
import { diffReply, eventNames, perTestResources, runCli, SHARED_DATASET, tempDir } from "./helpers.ts";

const PROBLEMS = await loadDataset(SHARED_DATASET);
const P0 = PROBLEMS[0]!;
const RIGHT = (p: Problem) => diffReply("solution.py", p.prompt, p.prompt + p.canonicalSolution);
const WRONG = (p: Problem) => diffReply("solution.py", p.prompt, `${p.prompt}    return None\n`);
const TASK = JSON.stringify({ kind: "humaneval", problemId: P0.taskId, dataset: SHARED_DATASET });

const resources = perTestResources();
const userText = (request: RecordedRequest) => request.body.messages.map((m) => m.content).join("\n");

function run(args: string[] = [], stdin = TASK) {
  return runCli(args, { stdin, env: { LITELLM_URL: resources.fake?.url ?? "http://127.0.0.1:9/v1" } });
}

describe("a HumanEval task", () => {
  test("solution.py starts as exactly the prompt; the canonical body passes pytest on the first attempt", async () => {
    resources.fake = startFakeModel({ replies: { "fast-coder": [RIGHT(P0)] } });
    const result = await run();
    expect(result.exitCode).toBe(0);
    const prompt = userText(resources.fake.requestsFor("fast-coder")[0]!);
    expect(prompt).toContain(P0.prompt.trim());
    expect(prompt).toContain("has_close_elements");
    expect(result.events.at(-1)).toMatchObject({
      event: "task_completed",
      totalAttempts: 1,
      finalTier: "fast",
      passedFirstAttempt: true,
    });
    const workspace = /workspace (\S+)/.exec(result.stderr)![1]!;
    expect(readFileSync(path.join(workspace, "solution.py"), "utf8")).toBe(P0.prompt + P0.canonicalSolution);
  }, 30_000);

  test("a wrong body fails with pytest's assertion values fed back to the next attempt", async () => {
    resources.fake = startFakeModel({ replies: { "fast-coder": [WRONG(P0), RIGHT(P0)] } });
    const result = await run();
    expect(result.exitCode).toBe(0);
    const fail = result.events.find((e) => e.event === "verification_failed")!;
    const errors = (fail.errors as string[]).join("\n");
    expect(errors).toContain("assert None == True");
    const second = userText(resources.fake.requestsFor("fast-coder")[1]!);
    expect(second).toContain("assert None == True");
    expect(result.events.at(-1)).toMatchObject({
      event: "task_completed",
      totalAttempts: 2,
      passedFirstAttempt: false,
    });
  }, 30_000);

  test("spec in every attempt's prompt, checkpoint 1's strategy from deep on, checkpoints 1 and 2 both for the reviewer", async () => {
    const mentor = (marker: string, extra: string) =>
      `## Failing-test analysis\nANALYSIS-${marker}\n## Root cause\nCAUSE-${marker}\n## Proposed fix\nFIX-${marker}\n## Edge cases to verify\nEDGES-${marker}\n${extra}`;
    resources.fake = startFakeModel({
      replies: {
        "spec-writer": [
          "## Problem analysis\nSPEC-MARKER: compare every pair.\n## Contract\nhas_close_elements(numbers, threshold) -> bool",
        ],
        mentor: [
          mentor("ONE", "## Strategy\nSTRATEGY-MARKER\n## Test criteria\nLEAKED-CRITERIA"),
          mentor("TWO", "## Strategy\nLEAKED-STRATEGY\n## Test criteria\nCRITERIA-MARKER"),
        ],
        "fast-coder": [WRONG(P0), WRONG(P0)],
        "deep-coder": [WRONG(P0), WRONG(P0)],
        reviewer: [RIGHT(P0)],
      },
    });
    const result = await run();
    expect(result.exitCode).toBe(0);
    const fake = resources.fake;
    const coders = ["fast-coder", "deep-coder", "reviewer"].flatMap((alias) => fake.requestsFor(alias));
    expect(coders).toHaveLength(5);
    for (const request of coders) expect(userText(request)).toContain("SPEC-MARKER");
    for (const request of fake.requestsFor("fast-coder")) expect(userText(request)).not.toContain("STRATEGY-MARKER");
    for (const request of fake.requestsFor("deep-coder")) {
      expect(userText(request)).toContain("STRATEGY-MARKER");
      expect(userText(request)).not.toContain("CRITERIA-MARKER");
    }
    const reviewer = userText(fake.requestsFor("reviewer")[0]!);
    expect(reviewer).toContain("STRATEGY-MARKER");
    expect(reviewer).toContain("CRITERIA-MARKER");
    expect(reviewer).toContain("CAUSE-ONE");
    expect(reviewer).toContain("CAUSE-TWO");
    // A checkpoint adds only what its stage allows.
    expect(reviewer).not.toContain("LEAKED-CRITERIA");
    expect(reviewer).not.toContain("LEAKED-STRATEGY");
    // The mentor reviewed every attempt so far: 2 at the first checkpoint, 4 at the second.
    const [first, second] = fake.requestsFor("mentor").map(userText);
    expect(first!.match(/## Attempt \d/g)).toHaveLength(2);
    expect(second!.match(/## Attempt \d/g)).toHaveLength(4);
    expect(result.events.filter((e) => e.event === "checkpoint_written").map((e) => e.stage)).toEqual([
      "strategy",
      "test-criteria",
    ]);
    expect(result.events.at(-1)).toMatchObject({ event: "task_completed", totalAttempts: 5, finalTier: "reviewer" });
  }, 60_000);

  test("--no-spec and --no-checkpoints: no advisor calls at all", async () => {
    resources.fake = startFakeModel({ replies: { "fast-coder": [WRONG(P0), WRONG(P0)], "deep-coder": [RIGHT(P0)] } });
    const result = await run(["--no-spec", "--no-checkpoints"]);
    expect(result.exitCode).toBe(0);
    expect(resources.fake.requestsFor("spec-writer")).toHaveLength(0);
    expect(resources.fake.requestsFor("mentor")).toHaveLength(0);
    expect(eventNames(result)).toContain("task_escalated");
    expect(userText(resources.fake.requestsFor("deep-coder")[0]!)).not.toContain("# Guidance");
  }, 30_000);

  test("--checkpoint-interval 2 with a long fast tier: a checkpoint after every 2 failures there", async () => {
    resources.fake = startFakeModel({
      replies: { "fast-coder": [WRONG(P0), WRONG(P0), WRONG(P0), WRONG(P0), RIGHT(P0)] },
    });
    const result = await run(["--checkpoint-interval", "2", "--escalate-after", "10", "--max-attempts", "6"]);
    expect(result.exitCode).toBe(0);
    const checkpoints = result.events.filter((e) => e.event === "checkpoint_written");
    expect(checkpoints.map((e) => e.afterAttempt)).toEqual([2, 4]);
    expect(checkpoints.every((e) => e.fromTier === "fast" && e.toTier === "fast")).toBe(true);
  }, 60_000);

  test("--reuse-spec: the second run of the same problem reuses the stored spec", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": RIGHT(P0) } });
    const db = path.join(resources.track(tempDir()), "runs.db");
    const first = await run(["--reuse-spec", "--db", db]);
    const second = await run(["--reuse-spec", "--db", db]);
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    expect(resources.fake.requestsFor("spec-writer")).toHaveLength(1);
    expect(eventNames(second)).toContain("spec_reused");
    // Without the flag a new spec is paid for.
    await run(["--db", db]);
    expect(resources.fake.requestsFor("spec-writer")).toHaveLength(2);
  }, 60_000);

  test("--debug writes each attempt's prompt, raw reply, patch and verification output", async () => {
    resources.fake = startFakeModel({ replies: { "fast-coder": [WRONG(P0), RIGHT(P0)] } });
    const debug = resources.track(tempDir());
    const result = await run(["--debug", debug]);
    expect(result.exitCode).toBe(0);
    const dir = path.join(debug, "HumanEval_0");
    expect(readdirSync(dir).sort()).toEqual(["attempt-1-fast", "attempt-2-fast", "spec.md"]);
    expect(readFileSync(path.join(dir, "attempt-1-fast", "reply.md"), "utf8")).toBe(WRONG(P0));
    expect(readFileSync(path.join(dir, "attempt-1-fast", "applied.diff"), "utf8")).toContain("+    return None");
    expect(readFileSync(path.join(dir, "attempt-1-fast", "verification.txt"), "utf8")).toContain(
      "outcome: verification_failed",
    );
    expect(existsSync(path.join(dir, "attempt-2-fast", "prompt.md"))).toBe(true);
  }, 30_000);
});

describe("list-problems", () => {
  test("one line per problem: index, task id, entry point", async () => {
    const result = await runCli(["list-problems", "--dataset", SHARED_DATASET]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(164);
    expect(lines[0]!.split(/\s+/).filter(Boolean)).toEqual(["0", "HumanEval/0", "has_close_elements"]);
    expect(lines[163]).toContain("HumanEval/163");
  });

  test("a missing dataset: exit 2 with the download command as the fix", async () => {
    const result = await runCli(["list-problems", "--dataset", "/nonexistent/HumanEval.jsonl.gz"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("smol-coder dataset download");
  });
});

describe("bad HumanEval input", () => {
  test("an unknown problem id: exit 2, one line naming it", async () => {
    const result = await run(
      [],
      JSON.stringify({ kind: "humaneval", problemId: "HumanEval/999", dataset: SHARED_DATASET }),
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("HumanEval/999 is not in");
  });

  test("a dataset that is not JSONL: exit 2 naming the line", async () => {
    const file = path.join(resources.track(tempDir()), "bad.jsonl");
    writeFileSync(file, "not json\n");
    const result = await run([], JSON.stringify({ kind: "humaneval", problemId: "HumanEval/0", dataset: file }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("line 1");
  });

  test("no python with pytest: exit 4, one line saying what to install, no run left behind", async () => {
    const db = path.join(resources.track(tempDir()), "runs.db");
    const result = await runCli(["--db", db], { stdin: TASK, env: { SMOL_CODER_PYTHON: "/nonexistent/python3" } });
    expect(result.exitCode).toBe(4);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("pytest grader unavailable");
    expect(result.stderr).toContain("SMOL_CODER_PYTHON");
    const runs = await runCli(["runs", "--db", db]);
    expect(runs.stdout).not.toContain("r-");
  });

  test("a malformed problem id is a task error", async () => {
    const result = await run([], JSON.stringify({ kind: "humaneval", problemId: "zero" }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("problemId");
  });
});
