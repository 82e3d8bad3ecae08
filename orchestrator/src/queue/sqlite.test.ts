import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Owner, type Submission, type TaskQueue } from "./queue.ts";
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
describe("the SQLite queue", () => {
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
});
