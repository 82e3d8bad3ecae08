import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { QueueFull } from "../errors.ts";
import { type Owner, type QueueEntry, type Submission, type TaskQueue } from "./queue.ts";
import { openSqliteQueue } from "./sqlite.ts";

const dirs: string[] = [];
const queues: TaskQueue[] = [];
afterEach(() => {
  for (const queue of queues.splice(0)) queue.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function storeFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "smol-queue-"));
  dirs.push(dir);
  return path.join(dir, "runs.db");
}
function open(file = storeFile(), maxQueued = 1000): TaskQueue {
  const queue = openSqliteQueue(file, { maxQueued });
  queues.push(queue);
  return queue;
}
const submission = (description: string, priority = 0, workspace = "/work/a"): Submission => ({
  task: { description, filesOwned: ["a.ts"] },
  workspace,
  commit: false,
  priority,
});
const owner: Owner = { id: "daemon-1", pid: process.pid, bootId: null };
const takeAll = () => true;
const describe_ = (entry: QueueEntry) =>
  entry.task.kind === "humaneval" ? entry.task.problemId : entry.task.description;

describe("the SQLite queue", () => {
  test("tasks start by priority, then in submission order", async () => {
    const queue = open();
    for (const [name, priority] of [
      ["a", 0],
      ["b", 5],
      ["c", 0],
      ["d", 5],
      ["e", -1],
    ] as const)
      await queue.submit(submission(name, priority));
    const started: string[] = [];
    for (let claimed = await queue.claim(owner, takeAll); claimed; claimed = await queue.claim(owner, takeAll))
      started.push(describe_(claimed));
    expect(started).toEqual(["b", "d", "a", "c", "e"]);
  });

  test("claim skips what the caller cannot start yet, and takes it later", async () => {
    const queue = open();
    await queue.submit(submission("first on a", 0, "/work/a"));
    await queue.submit(submission("second on a", 0, "/work/a"));
    await queue.submit(submission("on b", 0, "/work/b"));
    const busy = new Set<string>();
    const free = (entry: { workspace: string }) => !busy.has(entry.workspace);
    const first = (await queue.claim(owner, free))!;
    busy.add(first.workspace);
    expect(describe_((await queue.claim(owner, free))!)).toBe("on b");
    expect(await queue.claim(owner, free)).toBeNull();
    busy.clear();
    expect(describe_((await queue.claim(owner, free))!)).toBe("second on a");
  });

  test("a full queue refuses at once with QueueFull; running tasks do not count", async () => {
    const queue = open(storeFile(), 2);
    await queue.submit(submission("a"));
    await queue.submit(submission("b"));
    expect(await queue.submit(submission("c")).catch((error: unknown) => error)).toBeInstanceOf(QueueFull);
    await queue.claim(owner, takeAll);
    expect((await queue.submit(submission("c"))).state).toBe("queued");
  });

  test("position counts the waiting tasks that start first", async () => {
    const queue = open();
    const a = await queue.submit(submission("a"));
    const b = await queue.submit(submission("b"));
    const urgent = await queue.submit(submission("urgent", 9));
    expect([await queue.position(urgent.id), await queue.position(a.id), await queue.position(b.id)]).toEqual([
      0, 1, 2,
    ]);
    await queue.claim(owner, takeAll);
    expect(await queue.position(urgent.id)).toBeNull();
  });

  test("cancel: a waiting task is cancelled at once, a running one is left to its owner", async () => {
    const queue = open();
    const running = await queue.submit(submission("running"));
    const waiting = await queue.submit(submission("waiting"));
    await queue.claim(owner, (entry) => entry.id === running.id);
    expect(await queue.cancelWaiting(waiting.id)).toBe(true);
    expect(await queue.cancelWaiting(running.id)).toBe(false);
    expect(await queue.get(waiting.id)).toMatchObject({ state: "cancelled", exitCode: 130 });
    expect((await queue.get(running.id))!.state).toBe("running");
    expect(await queue.claim(owner, takeAll)).toBeNull();
  });

  test("everything survives a reopen: the queue, the running task's snapshot, its events", async () => {
    const file = storeFile();
    const queue = open(file);
    const task = await queue.submit(submission("a"));
    await queue.submit(submission("b"));
    await queue.claim(owner, takeAll);
    const snapshot = {
      files: { "a.ts": { content: Buffer.from("old\n").toString("base64"), mode: 0o644 }, "new.ts": null },
      createdDirs: [],
      writing: { "a.ts": Buffer.from("new\n").toString("base64"), "new.ts": "" },
    };
    await queue.saveSnapshot(task.id, snapshot);
    await queue.appendEvent(task.id, '{"event":"task_created"}');
    await queue.appendEvent(task.id, '{"event":"model_call_queued"}');
    queue.close();
    queues.length = 0;
    const again = open(file);
    expect(await again.counts()).toEqual({ queued: 1, running: 1, done: 0, cancelled: 0 });
    expect(await again.snapshot(task.id)).toEqual(snapshot);
    expect((await again.events(task.id, 1)).map((event) => event.line)).toEqual(['{"event":"model_call_queued"}']);
  });

  test("orphans are running tasks whose owner is gone; requeued, they start again with starts counted", async () => {
    const queue = open();
    const task = await queue.submit(submission("a"));
    await queue.claim({ id: "dead-daemon", pid: 999_999_999, bootId: null }, takeAll);
    const alive = (pid: number) => pid === process.pid;
    expect((await queue.orphans(alive)).map((entry) => entry.id)).toEqual([task.id]);
    expect(await queue.orphans(() => true)).toEqual([]);
    await queue.requeue(task.id);
    const again = (await queue.claim(owner, takeAll))!;
    expect(again).toMatchObject({ id: task.id, starts: 2, state: "running" });
    expect(await queue.orphans(alive)).toEqual([]);
  });

  test("finish records the outcome once; a finished task is never finished or requeued again", async () => {
    const queue = open();
    const task = await queue.submit(submission("a"));
    await queue.claim(owner, takeAll);
    await queue.finish(task.id, {
      status: "complete",
      exitCode: 0,
      summary: "complete after 1 attempt(s)",
      runId: "r-1",
    });
    await queue.finish(task.id, { status: "abort", exitCode: 1, summary: "again", runId: "r-2" });
    await queue.requeue(task.id);
    expect(await queue.get(task.id)).toMatchObject({ state: "done", status: "complete", exitCode: 0, runId: "r-1" });
  });
});
