import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MIGRATIONS } from "./schema.ts";
import {
  abandoned,
  openStore,
  runIdFor,
  SCHEMA_VERSION,
  StoreInvalid,
  type Attempt,
  type CheckpointRecord,
  type ModelCall,
  type RunStore,
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

describe("opening", () => {
  test("creates the parent directory and turns WAL on", () => {
    const file = path.join(tempFile(), "nested", "runs.db");
    open(file);
    expect(existsSync(file)).toBe(true);
    expect(raw(file).query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(raw(file).query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
  });

  test("reopening keeps the rows and does not migrate again", () => {
    const file = tempFile();
    const first = open(file);
    const runId = first.startRun({ kind: "run", args: { file: "task.json" } });
    first.close();
    stores.pop();
    const schema = () => raw(file).query("SELECT type, name, sql FROM sqlite_schema ORDER BY name").all();
    const schemaBefore = schema();
    const second = open(file);
    expect(second.listRuns().map((run) => run.id)).toEqual([runId]);
    expect(schema()).toEqual(schemaBefore);
    expect(raw(file).query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
  });

  test("a version-1 store migrates: its attempts stay, and prompt_too_long can be recorded", () => {
    const file = tempFile();
    const old = new Database(file, { create: true });
    old.run(MIGRATIONS[0]!);
    old.run("PRAGMA user_version = 1");
    old.run("INSERT INTO runs (id, kind, started_at) VALUES ('r-old', 'run', '2026-01-01T00:00:00Z')");
    old.run(
      "INSERT INTO tasks (id, run_id, task_key, kind, started_at) VALUES (1, 'r-old', 'k', 'workspace', '2026-01-01T00:00:00Z')",
    );
    old.run(
      `INSERT INTO attempts (task_id, n, tier, prompt, reply, outcome, duration_ms) VALUES (1, 1, 'fast', '[]', 'r', 'verification_failed', 5)`,
    );
    old.close();
    const store = open(file);
    expect(raw(file).query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    expect(raw(file).query("SELECT n, outcome FROM attempts").all()).toEqual([
      { n: 1, outcome: "verification_failed" },
    ]);
    store.recordAttempt(
      1,
      attempt(2, {
        outcome: "prompt_too_long",
        reply: "",
        diff: null,
        verificationOutput: "",
        errors: ["prompt too long for fast-coder"],
      }),
    );
    expect(storedAttempts(file, 1).map((a) => a.outcome)).toEqual(["verification_failed", "prompt_too_long"]);
    expect(raw(file).query("PRAGMA foreign_key_check").all()).toEqual([]);
  });

  test("a version-3 store migrates through 4 and 5: runs, tasks and their rows stay, uncommitted and crashed can be recorded, foreign keys hold", () => {
    const file = tempFile();
    const old = new Database(file, { create: true });
    for (const migration of MIGRATIONS.slice(0, 3)) old.run(migration);
    old.run("PRAGMA user_version = 3");
    old.run("INSERT INTO runs (id, kind, started_at, status) VALUES ('r-old', 'run', '2026-01-01T00:00:00Z', 'abort')");
    old.run(
      "INSERT INTO tasks (id, run_id, task_key, kind, status, started_at) VALUES (1, 'r-old', 'k', 'workspace', 'abort', '2026-01-01T00:00:00Z')",
    );
    old.run(
      `INSERT INTO attempts (task_id, n, tier, prompt, reply, outcome, duration_ms) VALUES (1, 1, 'fast', '[]', 'r', 'verification_failed', 5)`,
    );
    old.run(
      `INSERT INTO model_calls (task_id, role, alias, tokens_in, tokens_out, latency_ms, cost_usd, cost_source) VALUES (1, 'fast', 'fast-coder', 10, 5, 100, 0, 'table')`,
    );
    old.close();
    const store = open(file);
    expect(raw(file).query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    // Rebuilding runs and tasks cascaded nothing: the old task's attempt and call are still there.
    expect(raw(file).query("SELECT count(*) AS n FROM attempts").get()).toEqual({ n: 1 });
    expect(raw(file).query("SELECT count(*) AS n FROM model_calls").get()).toEqual({ n: 1 });
    expect(store.listRuns().map((run) => [run.id, run.status])).toEqual([["r-old", "abort"]]);
    const runId = store.startRun({ kind: "run", args: {} });
    const taskId = store.startTask(runId, { taskKey: "fix add", kind: "workspace" });
    store.finishTask(taskId, {
      status: "uncommitted",
      attempts: 1,
      finalTier: "fast",
      passedFirstAttempt: true,
      wallMs: 10,
    });
    store.finishRun(runId, "uncommitted");
    // A verified change counts as solved, committed or not.
    expect(store.listRuns().find((run) => run.id === runId)).toMatchObject({
      status: "uncommitted",
      tasks: 1,
      solved: 1,
    });
    // Migration 5: a crashed task can be recorded, and runs record their process.
    const crashed = store.startTask(runId, { taskKey: "fix sub", kind: "workspace" });
    store.finishTask(crashed, { status: "crashed", attempts: 0, finalTier: null, passedFirstAttempt: null, wallMs: 0 });
    expect(raw(file).query("SELECT pid FROM runs WHERE id = ?").get(runId)).toEqual({ pid: process.pid });
    expect(raw(file).query("PRAGMA foreign_key_check").all()).toEqual([]);
    expect(() => store.startTask("r-missing", { taskKey: "x", kind: "workspace" })).toThrow(/FOREIGN KEY/);
    expect(
      raw(file)
        .query(
          "SELECT name FROM sqlite_schema WHERE type = 'index' AND name IN ('runs_by_start', 'tasks_by_run') ORDER BY name",
        )
        .all(),
    ).toEqual([{ name: "runs_by_start" }, { name: "tasks_by_run" }]);
  });

  test("a run left 'running' by a process that died is closed as interrupted, with its tasks, by the next open; a live one stays", () => {
    const file = tempFile();
    const first = openStore(file, { liveness: () => true });
    const dead = first.startRun({ kind: "bench", args: {} });
    const task = first.startTask(dead, { taskKey: "HumanEval/0", kind: "humaneval" });
    first.close();
    const recorded = raw(file)
      .query<{ pid: number; bootId: string | null }, [string]>("SELECT pid, boot_id AS bootId FROM runs WHERE id = ?")
      .get(dead)!;
    expect(recorded.pid).toBe(process.pid);
    const asked: number[] = [];
    const alive = openStore(file, { liveness: (pid) => (asked.push(pid), true) });
    expect(alive.runDetail(dead)?.run.status).toBe("running");
    alive.close();
    expect(asked).toEqual([process.pid]);
    const second = openStore(file, { liveness: () => false });
    stores.push(second);
    const detail = second.runDetail(dead)!;
    expect(detail.run.status).toBe("interrupted");
    expect(detail.run.finishedAt).not.toBeNull();
    expect(detail.tasks.map((t) => [t.id, t.status])).toEqual([[task, "interrupted"]]);
  });

  test("whether a run is abandoned: its pid gone, or none recorded (an older store: left alone)", () => {
    expect(abandoned({ pid: 123, bootId: "b" }, () => false)).toBe(true);
    expect(abandoned({ pid: 123, bootId: "b" }, () => true)).toBe(false);
    expect(abandoned({ pid: null, bootId: null }, () => false)).toBe(false);
  });

  test("accepts :memory:", () => {
    const store = open(":memory:");
    expect(store.listRuns()).toEqual([]);
  });

  test("a file that is not SQLite is StoreInvalid, naming the file and the fix", () => {
    const file = tempFile("garbage.db");
    writeFileSync(file, "this is not a database, just some text that is long enough to have a header\n".repeat(20));
    let caught: unknown;
    try {
      openStore(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StoreInvalid);
    const error = caught as StoreInvalid;
    expect(error.name).toBe("StoreInvalid");
    expect(error.file).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toContain("pass --db with another path or delete the file");
  });

  test("another program's SQLite database is StoreInvalid, and is left untouched", () => {
    const file = tempFile();
    const other = new Database(file);
    other.run("CREATE TABLE notes (body TEXT)");
    other.close();
    expect(() => openStore(file)).toThrow(StoreInvalid);
    expect(raw(file).query("SELECT name FROM sqlite_schema").all()).toEqual([{ name: "notes" }]);
  });

  test("a store from a newer smol-coder is StoreInvalid", () => {
    const file = tempFile();
    const newer = new Database(file);
    newer.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => openStore(file)).toThrow(/newer than this smol-coder/);
  });
});

describe("ids and keys", () => {
  test("runIdFor is the UTC start time plus the suffix", () => {
    expect(runIdFor(new Date("2026-11-22T14:30:12.345Z"), "ab12")).toBe("r-20261122-143012-ab12");
  });

  test("startRun ids follow the clock and sort by start time", () => {
    const store = open();
    const ids = [store.startRun({ kind: "run", args: {} }), store.startRun({ kind: "bench", args: {} })];
    expect(ids[0]).toMatch(/^r-20261122-143013-[0-9a-f]{4}$/);
    expect(ids[1]).toMatch(/^r-20261122-143014-[0-9a-f]{4}$/);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("records", () => {
  test("runs and tasks round-trip through listRuns and runDetail", () => {
    const store = open();
    const runId = store.startRun({ kind: "bench", args: { dataset: "humaneval.jsonl", limit: 2 } });
    expect(store.listRuns()).toEqual([
      {
        id: runId,
        kind: "bench",
        startedAt: "2026-11-22T14:30:13.000Z",
        finishedAt: null,
        status: "running",
        tasks: 0,
        solved: 0,
        costUsd: 0,
      },
    ]);

    const taskId = store.startTask(runId, { taskKey: "HumanEval/0", kind: "humaneval" });
    const detailWhileRunning = store.runDetail(runId)!;
    expect(detailWhileRunning.tasks[0]).toMatchObject({
      id: taskId,
      status: "running",
      attempts: 0,
      finalTier: null,
      passedFirstAttempt: null,
      wallMs: null,
    });

    store.finishTask(taskId, {
      status: "complete",
      attempts: 3,
      finalTier: "deep",
      passedFirstAttempt: false,
      wallMs: 4250,
    });
    store.finishRun(runId, "complete");
    const detail = store.runDetail(runId)!;
    expect(detail.run).toEqual({
      id: runId,
      kind: "bench",
      startedAt: "2026-11-22T14:30:13.000Z",
      finishedAt: "2026-11-22T14:30:16.000Z",
      status: "complete",
      args: { dataset: "humaneval.jsonl", limit: 2 },
    });
    expect(detail.tasks).toEqual([
      {
        id: taskId,
        taskKey: "HumanEval/0",
        kind: "humaneval",
        status: "complete",
        attempts: 3,
        finalTier: "deep",
        passedFirstAttempt: false,
        wallMs: 4250,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        byRole: {},
        checkpoints: [],
      },
    ]);
  });

  test("attempts round-trip with their prompts, replies and errors", () => {
    const file = tempFile();
    const store = open(file);
    const taskId = store.startTask(store.startRun({ kind: "run", args: {} }), {
      taskKey: "fix add",
      kind: "workspace",
    });
    const rejected = attempt(1, {
      outcome: "patch_rejected",
      diff: null,
      verificationOutput: null,
      errors: ["hunk matched twice; add context"],
    });
    const passed = attempt(2, { tier: "deep", outcome: "passed", errors: [], verificationOutput: "4 passed" });
    store.recordAttempt(taskId, passed);
    store.recordAttempt(taskId, rejected);
    expect(storedAttempts(file, taskId)).toEqual([rejected, passed]);
    expect(() => store.recordAttempt(taskId, passed)).toThrow(/UNIQUE|PRIMARY KEY/);
  });

  test("writes for a task that does not exist are refused (foreign keys are on)", () => {
    const store = open();
    expect(() => store.recordAttempt(999, attempt(1))).toThrow(/FOREIGN KEY/);
    expect(() => store.startTask("r-missing", { taskKey: "x", kind: "workspace" })).toThrow(/FOREIGN KEY/);
  });

  test("a priced call needs a cost and an unpriced call must not have one", () => {
    const store = open();
    const taskId = store.startTask(store.startRun({ kind: "run", args: {} }), { taskKey: "x", kind: "workspace" });
    expect(() => store.recordModelCall(taskId, call("fast", { costSource: "unpriced" }))).toThrow(/CHECK/);
    expect(() => store.recordModelCall(taskId, call("fast", { costUsd: null }))).toThrow(/CHECK/);
  });

  test("checkpoints round-trip in runDetail", () => {
    const store = open();
    const runId = store.startRun({ kind: "run", args: {} });
    const taskId = store.startTask(runId, { taskKey: "x", kind: "workspace" });
    const second: CheckpointRecord = {
      ...checkpoint,
      n: 2,
      afterAttempt: 4,
      fromTier: "deep",
      toTier: "reviewer",
      stage: "strategy",
      sections: { ...checkpoint.sections, strategy: "rewrite" },
    };
    store.recordCheckpoint(taskId, second);
    store.recordCheckpoint(taskId, checkpoint);
    expect(store.runDetail(runId)!.tasks[0]!.checkpoints).toEqual([checkpoint, second]);
  });

  test("a malformed JSON column read back is StoreInvalid, not a wrongly typed value", () => {
    const file = tempFile();
    const store = open(file);
    const runId = store.startRun({ kind: "run", args: {} });
    const taskId = store.startTask(runId, { taskKey: "x", kind: "workspace" });
    store.recordCheckpoint(taskId, checkpoint);
    raw(file).run("UPDATE checkpoints SET sections = '{\"plan\": 3}'");
    expect(() => store.runDetail(runId)).toThrow(/malformed checkpoint sections/);
  });

  test("runDetail of an unknown run is null", () => {
    expect(open().runDetail("r-20990101-000000-0000")).toBeNull();
  });
});
