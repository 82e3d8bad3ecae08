import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  openStore,
  type Attempt,
  type CheckpointRecord,
  type ModelCall,
  type RunStore,
  type TaskDetail,
} from "./store.ts";

const dirs: string[] = [];
const stores: RunStore[] = [];
const raws: Database[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const raw of raws.splice(0)) raw.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(name = "runs.db"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "smol-store-"));
  dirs.push(dir);
  return path.join(dir, name);
}

/** A clock that moves one second per reading, so every timestamp and run id is distinct and ordered. */
function steppingClock(start = "2026-11-22T14:30:12.000Z"): () => Date {
  let ms = Date.parse(start);
  return () => new Date((ms += 1000));
}

/** A plain connection, to look at the file from outside the store. */
function raw(file: string): Database {
  const db = new Database(file);
  raws.push(db);
  return db;
}

/** Every attempt of a task in order, read straight from the file: the store itself has no reader for them. */
function storedAttempts(file: string, taskId: number): Attempt[] {
  type Row = Omit<Attempt, "prompt" | "errors"> & { prompt: string; errors: string };
  const rows = raw(file)
    .query<Row, [number]>(
      "SELECT n, tier, prompt, reply, diff, outcome, errors, verification_output AS verificationOutput, duration_ms AS durationMs FROM attempts WHERE task_id = ? ORDER BY n",
    )
    .all(taskId);
  return rows.map((row) => ({ ...row, prompt: JSON.parse(row.prompt), errors: JSON.parse(row.errors) }));
}

function open(file = tempFile()): RunStore {
  const store = openStore(file, { now: steppingClock() });
  stores.push(store);
  return store;
}

function attempt(n: number, overrides: Partial<Attempt> = {}): Attempt {
  return {
    n,
    tier: "fast",
    prompt: [
      { role: "system", content: "You write unified diffs." },
      { role: "user", content: `attempt ${n}: make add() add` },
    ],
    reply: "```diff\n--- a/add.py\n+++ b/add.py\n```",
    diff: "--- a/add.py\n+++ b/add.py\n",
    outcome: "verification_failed",
    errors: ["test_add: assert 3 == 4"],
    verificationOutput: "1 failed",
    durationMs: 1200,
    ...overrides,
  };
}

function call(role: ModelCall["role"], overrides: Partial<ModelCall> = {}): ModelCall {
  return {
    attempt: null,
    role,
    alias: `${role}-model`,
    tokensIn: 1000,
    tokensOut: 100,
    tokensCached: 0,
    latencyMs: 900,
    costUsd: 0.01,
    costSource: "header",
    retries: 0,
    ...overrides,
  };
}

const checkpoint: CheckpointRecord = {
  n: 1,
  afterAttempt: 2,
  fromTier: "fast",
  toTier: "deep",
  stage: "debugging",
  sections: { analysis: "off by one", rootCause: "the loop bound", fix: "iterate to len(xs)", edgeCases: "empty xs" },
  text: "## Analysis\noff by one\n## Root cause\nthe loop bound\n## Fix\niterate to len(xs)\n## Edge cases\nempty xs",
};

// What the store sums up: runs, tasks, roles; specs; two writers at once.
describe("aggregates", () => {
  function benchWithThreeTasks(store: RunStore): { runId: string; ids: number[] } {
    const runId = store.startRun({ kind: "bench", args: {} });
    const ids = ["HumanEval/0", "HumanEval/1", "HumanEval/2"].map((taskKey) =>
      store.startTask(runId, { taskKey, kind: "humaneval" }),
    );
    const [first, second, third] = ids as [number, number, number];
    // Solved on attempt 1 after a spec.
    store.recordModelCall(first, call("spec-writer", { tokensIn: 500, tokensOut: 200, costUsd: 0.002 }));
    store.recordModelCall(
      first,
      call("fast", { attempt: 1, tokensIn: 1000, tokensOut: 100, costUsd: 0, costSource: "table" }),
    );
    store.finishTask(first, {
      status: "complete",
      attempts: 1,
      finalTier: "fast",
      passedFirstAttempt: true,
      wallMs: 2000,
    });
    // Solved after escalating to deep, with a mentor checkpoint; one fast call is unpriced.
    store.recordModelCall(
      second,
      call("fast", { attempt: 1, tokensIn: 1200, tokensOut: 150, costUsd: null, costSource: "unpriced" }),
    );
    store.recordModelCall(
      second,
      call("fast", { attempt: 2, tokensIn: 1300, tokensOut: 160, tokensCached: 1100, costUsd: 0.001, retries: 2 }),
    );
    store.recordModelCall(second, call("mentor", { tokensIn: 2000, tokensOut: 300, costUsd: 0.03 }));
    store.recordModelCall(second, call("deep", { attempt: 3, tokensIn: 3000, tokensOut: 400, costUsd: 0.02 }));
    store.recordCheckpoint(second, checkpoint);
    store.finishTask(second, {
      status: "complete",
      attempts: 3,
      finalTier: "deep",
      passedFirstAttempt: false,
      wallMs: 9000,
    });
    // Failed at every tier.
    store.recordModelCall(third, call("reviewer", { attempt: 5, tokensIn: 4000, tokensOut: 500, costUsd: 0.25 }));
    store.finishTask(third, {
      status: "abort",
      attempts: 5,
      finalTier: "reviewer",
      passedFirstAttempt: false,
      wallMs: 30000,
    });
    store.finishRun(runId, "complete");
    return { runId, ids };
  }

  test("listRuns counts tasks, solved tasks and cost, newest first", () => {
    const store = open();
    const older = store.startRun({ kind: "run", args: {} });
    const { runId } = benchWithThreeTasks(store);
    const runs = store.listRuns();
    expect(runs.map((run) => run.id)).toEqual([runId, older]);
    expect(runs[0]).toMatchObject({ kind: "bench", status: "complete", tasks: 3, solved: 2 });
    expect(runs[0]!.costUsd).toBeCloseTo(0.303, 10);
    expect(runs[1]).toMatchObject({ tasks: 0, solved: 0, costUsd: 0, status: "running" });
    expect(store.listRuns(1).map((run) => run.id)).toEqual([runId]);
  });

  test("runDetail sums tokens and cost per task and per role", () => {
    const store = open();
    const { runId } = benchWithThreeTasks(store);
    const [first, second, third] = store.runDetail(runId)!.tasks as [TaskDetail, TaskDetail, TaskDetail];
    expect(first).toMatchObject({
      taskKey: "HumanEval/0",
      status: "complete",
      attempts: 1,
      finalTier: "fast",
      passedFirstAttempt: true,
      wallMs: 2000,
      tokensIn: 1500,
      tokensOut: 300,
    });
    expect(first.costUsd).toBeCloseTo(0.002, 10);
    expect(first.byRole).toEqual({
      "spec-writer": { calls: 1, tokensIn: 500, tokensOut: 200, costUsd: 0.002, tokensCached: 0, unpricedCalls: 0 },
      fast: { calls: 1, tokensIn: 1000, tokensOut: 100, tokensCached: 0, costUsd: 0, unpricedCalls: 0 },
    });
    expect(second).toMatchObject({
      passedFirstAttempt: false,
      finalTier: "deep",
      tokensIn: 7500,
      tokensOut: 1010,
      checkpoints: [checkpoint],
    });
    expect(second.costUsd).toBeCloseTo(0.051, 10);
    expect(second.byRole.fast).toEqual({
      calls: 2,
      tokensIn: 2500,
      tokensOut: 310,
      tokensCached: 1100,
      costUsd: 0.001,
      unpricedCalls: 1,
    });
    expect(second.byRole.mentor).toEqual({
      calls: 1,
      tokensIn: 2000,
      tokensOut: 300,
      tokensCached: 0,
      costUsd: 0.03,
      unpricedCalls: 0,
    });
    expect(third).toMatchObject({
      status: "abort",
      passedFirstAttempt: false,
      tokensIn: 4000,
      tokensOut: 500,
      costUsd: 0.25,
      byRole: {
        reviewer: { calls: 1, tokensIn: 4000, tokensOut: 500, tokensCached: 0, costUsd: 0.25, unpricedCalls: 0 },
      },
    });
  });
});

describe("specs", () => {
  test("a spec is found by key, and the first one saved under a key is kept", () => {
    const store = open();
    const taskId = store.startTask(store.startRun({ kind: "bench", args: {} }), {
      taskKey: "HumanEval/3",
      kind: "humaneval",
    });
    expect(store.findSpec("k1")).toBeNull();
    const saved = store.saveSpec({
      key: "k1",
      model: "deep-coder",
      promptVersion: "spec-v1",
      text: "returns the sum",
      taskId,
    });
    expect(saved).toEqual({ text: "returns the sum", model: "deep-coder", promptVersion: "spec-v1" });
    const again = store.saveSpec({
      key: "k1",
      model: "deep-coder",
      promptVersion: "spec-v1",
      text: "a second opinion",
      taskId: null,
    });
    expect(again).toEqual(saved);
    expect(store.findSpec("k1")).toEqual(saved);
    expect(store.findSpec("k2")).toBeNull();
  });

  test("specs outlive the store connection", () => {
    const file = tempFile();
    const first = openStore(file);
    first.saveSpec({ key: "k", model: "m", promptVersion: "1", text: "spec", taskId: null });
    first.close();
    expect(open(file).findSpec("k")).toEqual({ text: "spec", model: "m", promptVersion: "1" });
  });
});

describe("two processes writing at once", () => {
  test("every row from both writers is present, and both use the same spec", async () => {
    const file = tempFile();
    const tasksPerWriter = 100;
    // Both open (racing to create and migrate the file), then wait for the same moment to start writing.
    const startAt = Date.now() + 1000;
    const script = (writer: string) => `
      import { openStore } from ${JSON.stringify(path.join(import.meta.dir, "store.ts"))};
      const store = openStore(${JSON.stringify(file)});
      await Bun.sleep(${startAt} - Date.now());
      const runId = store.startRun({ kind: "bench", args: { writer: "${writer}" } });
      let spec = "";
      for (let i = 0; i < ${tasksPerWriter}; i++) {
        const taskId = store.startTask(runId, { taskKey: "HumanEval/" + i, kind: "humaneval" });
        spec = store.saveSpec({ key: "shared-" + i, model: "m", promptVersion: "1", text: "${writer}", taskId }).text;
        store.recordModelCall(taskId, { attempt: 1, role: "fast", alias: "fast-coder", tokensIn: 10, tokensOut: 1, tokensCached: 0, latencyMs: 5, costUsd: 0.5, costSource: "table", retries: 0 });
        store.recordAttempt(taskId, { n: 1, tier: "fast", prompt: [{ role: "user", content: "p" }], reply: "r", diff: null, outcome: "passed", errors: [], verificationOutput: "ok", durationMs: 1 });
        store.finishTask(taskId, { status: "complete", attempts: 1, finalTier: "fast", passedFirstAttempt: true, wallMs: 1 });
        process.stdout.write(spec + "\\n");
      }
      store.finishRun(runId, "complete");
      store.close();
    `;
    const writers = ["a", "b"].map((writer) =>
      Bun.spawn([process.execPath, "-e", script(writer)], { stdout: "pipe", stderr: "pipe" }),
    );
    const results = await Promise.all(
      writers.map(async (child) => ({
        code: await child.exited,
        stdout: await new Response(child.stdout).text(),
        stderr: await new Response(child.stderr).text(),
      })),
    );
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: "" });

    const store = open(file);
    const runs = store.listRuns();
    expect(runs).toHaveLength(2);
    for (const run of runs)
      expect(run).toMatchObject({
        status: "complete",
        tasks: tasksPerWriter,
        solved: tasksPerWriter,
        costUsd: tasksPerWriter * 0.5,
      });
    // Whoever saved a key first, both writers got that one text back for it.
    const [specsOfA, specsOfB] = results.map((result) => result.stdout.trim().split("\n"));
    expect(specsOfA).toEqual(specsOfB!);
    const taskIds = runs.map((run) => store.runDetail(run.id)!.tasks.map((task) => task.id));
    for (const ids of taskIds) for (const id of ids) expect(storedAttempts(file, id)).toHaveLength(1);
    // The writers really overlapped: each started tasks while the other was still starting its own.
    const [idsOfOne, idsOfOther] = taskIds as [number[], number[]];
    expect(Math.min(...idsOfOne)).toBeLessThan(Math.max(...idsOfOther));
    expect(Math.min(...idsOfOther)).toBeLessThan(Math.max(...idsOfOne));
  });
});
