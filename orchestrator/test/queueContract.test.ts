// One contract for both queues: the embedded SQLite one (one machine) and the Redis one (a swarm, on BullMQ and a
// real redis-server). What a queue must do for the daemon is asserted once and run against each; what differs (how
// a dead owner's task comes back) is tested beside each below.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EndpointUnreachable, QueueFull } from "../src/errors.ts";
import type { Owner, QueueEntry, Submission, TaskQueue } from "../src/queue/queue.ts";
import { openRedisQueue } from "../src/queue/redis.ts";
import { openSqliteQueue } from "../src/queue/sqlite.ts";
import { REDIS_SERVER, redisForFile, startRedis } from "./redisServer.ts";

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

const server = redisForFile();
let prefixes = 0;
const dirs: string[] = [];
const queues: TaskQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function storeFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "smol-queue-"));
  dirs.push(dir);
  return path.join(dir, "runs.db");
}
function sqliteAt(file = storeFile(), maxQueued = 1000): TaskQueue {
  const queue = openSqliteQueue(file, { maxQueued });
  queues.push(queue);
  return queue;
}

const kinds: { name: string; skip: boolean; open: (maxQueued?: number) => Promise<TaskQueue> }[] = [
  { name: "the SQLite queue", skip: false, open: async (maxQueued) => sqliteAt(storeFile(), maxQueued) },
  {
    name: "the Redis queue",
    skip: !REDIS_SERVER,
    async open(maxQueued = 1000) {
      // A prefix per test: each is a swarm of its own on the one server.
      const queue = await openRedisQueue(server().url, { maxQueued, prefix: `test-${++prefixes}` });
      queues.push(queue);
      return queue;
    },
  },
];

for (const { name, skip, open } of kinds)
  describe.skipIf(skip)(name, () => {
    test("tasks start by priority, then in submission order", async () => {
      const queue = await open();
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
      const queue = await open();
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
      const queue = await open(2);
      await queue.submit(submission("a"));
      await queue.submit(submission("b"));
      expect(await queue.submit(submission("c")).catch((error: unknown) => error)).toBeInstanceOf(QueueFull);
      await queue.claim(owner, takeAll);
      expect((await queue.submit(submission("c"))).state).toBe("queued");
    });

    test("position counts the waiting tasks that start first", async () => {
      const queue = await open();
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
      const queue = await open();
      const running = await queue.submit(submission("running"));
      const waiting = await queue.submit(submission("waiting"));
      await queue.claim(owner, (entry) => entry.id === running.id);
      expect(await queue.cancelWaiting(waiting.id)).toBe(true);
      expect(await queue.cancelWaiting(running.id)).toBe(false);
      expect(await queue.get(waiting.id)).toMatchObject({ state: "cancelled", exitCode: 130 });
      expect((await queue.get(running.id))!.state).toBe("running");
      expect(await queue.claim(owner, takeAll)).toBeNull();
    });

    test("finish records the outcome once; a finished task is never finished or requeued again", async () => {
      const queue = await open();
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

    test("a task's events are numbered in order and read from any point", async () => {
      const queue = await open();
      const task = await queue.submit(submission("a"));
      for (const line of ["one", "two", "three"]) await queue.appendEvent(task.id, line);
      expect(await queue.events(task.id, 0)).toEqual([
        { n: 1, line: "one" },
        { n: 2, line: "two" },
        { n: 3, line: "three" },
      ]);
      expect(await queue.events(task.id, 2)).toEqual([{ n: 3, line: "three" }]);
    });

    test("a landing's snapshot is kept until cleared; list is newest first; counts by state", async () => {
      const queue = await open();
      const first = await queue.submit(submission("first"));
      const second = await queue.submit(submission("second"));
      await queue.claim(owner, takeAll);
      const snapshot = {
        files: { "a.ts": { content: "b2xkCg==", mode: 0o644 } },
        createdDirs: [],
        writing: { "a.ts": "bmV3Cg==" },
      };
      await queue.saveSnapshot(first.id, snapshot);
      expect(await queue.snapshot(first.id)).toEqual(snapshot);
      await queue.clearSnapshot(first.id);
      expect(await queue.snapshot(first.id)).toBeNull();
      expect((await queue.list(10)).map((entry) => entry.id)).toEqual([second.id, first.id]);
      expect(await queue.counts()).toEqual({ queued: 1, running: 1, done: 0, cancelled: 0 });
      await queue.finish(first.id, { status: "complete", exitCode: 0, summary: "ok", runId: "r" });
      expect(await queue.counts()).toEqual({ queued: 1, running: 0, done: 1, cancelled: 0 });
    });

    test("a requeued task starts again, its starts counted, and its snapshot gone", async () => {
      const queue = await open();
      const task = await queue.submit(submission("a"));
      await queue.claim(owner, takeAll);
      await queue.saveSnapshot(task.id, { files: {}, createdDirs: [], writing: {} });
      await queue.requeue(task.id);
      expect(await queue.get(task.id)).toMatchObject({ state: "queued", starts: 1 });
      expect(await queue.snapshot(task.id)).toBeNull();
      expect(await queue.claim(owner, takeAll)).toMatchObject({ id: task.id, state: "running", starts: 2 });
    });
  });

describe.skipIf(!REDIS_SERVER)("the Redis queue: workers and the server dying", () => {
  test("a worker killed with SIGKILL mid-landing: its task comes back to another worker, snapshot and all, starts counted", async () => {
    const prefix = `test-${++prefixes}`;
    const queue = await openRedisQueue(server().url, { maxQueued: 100, prefix, lockMs: 1_000, stalledCheckMs: 300 });
    queues.push(queue);
    const task = await queue.submit(submission("a"));
    const worker = Bun.spawn(
      ["bun", "run", path.join(import.meta.dir, "fixtures", "queueClaimer.ts"), server().url, prefix, "1000"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const { value } = await worker.stdout.getReader().read();
    expect(new TextDecoder().decode(value)).toContain(`claimed ${task.id}`);
    expect(await queue.get(task.id)).toMatchObject({ state: "running", starts: 1 });
    expect(await queue.claim(owner, takeAll)).toBeNull();
    worker.kill("SIGKILL");
    await worker.exited;
    // Nobody renews its lock now: once it lapses, the stalled check gives the task back, to whoever claims next.
    let again: QueueEntry | null = null;
    for (let tries = 0; tries < 400 && !again; tries++) {
      again = await queue.claim(owner, takeAll);
      if (!again) await Bun.sleep(25);
    }
    expect(again).toMatchObject({ id: task.id, state: "running", starts: 2 });
    expect((await queue.snapshot(task.id))?.writing).toEqual({ "a.ts": "bmV3Cg==" });
  }, 30_000);

  test("the server killed with SIGKILL and started again: every task, record and event is still there", async () => {
    const prefix = `test-${++prefixes}`;
    let queue = await openRedisQueue(server().url, { maxQueued: 100, prefix });
    const running = await queue.submit(submission("running"));
    const waiting = await queue.submit(submission("waiting", 3));
    expect((await queue.claim(owner, (entry) => entry.id === running.id))!.id).toBe(running.id);
    await queue.appendEvent(running.id, "an event");
    await queue.close();
    await server().kill();
    await server().restart();
    queue = await openRedisQueue(server().url, { maxQueued: 100, prefix });
    queues.push(queue);
    expect(await queue.counts()).toEqual({ queued: 1, running: 1, done: 0, cancelled: 0 });
    expect(await queue.events(running.id, 0)).toEqual([{ n: 1, line: "an event" }]);
    expect(await queue.claim(owner, takeAll)).toMatchObject({ id: waiting.id, starts: 1 });
  }, 30_000);
});

describe.skipIf(!REDIS_SERVER)("the Redis queue: what it is opened on", () => {
  test("a Redis that keeps nothing on disk is said, with what is at risk; one with the append-only file is not", async () => {
    const warnings: string[] = [];
    const open = async () => {
      const queue = await openRedisQueue(server().url, {
        maxQueued: 10,
        prefix: `test-${++prefixes}`,
        onNotPersistent: (detail) => warnings.push(detail),
      });
      await queue.close();
    };
    await open();
    expect(warnings).toEqual([]);
    const admin = server().client();
    await admin.config("SET", "appendonly", "no");
    await admin.config("SET", "save", "");
    try {
      await open();
    } finally {
      await admin.config("SET", "appendonly", "yes");
    }
    expect(warnings).toEqual([expect.stringContaining("a restart of that Redis loses every queued and running task")]);
  });

  test("a wrong password: refused at once, saying so, the password hidden; the right one opens it", async () => {
    const guarded = await startRedis({ password: "right-password-123" });
    try {
      const error = await openRedisQueue(`redis://:wrong-password-456@127.0.0.1:${guarded.port}`, {
        maxQueued: 1,
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EndpointUnreachable);
      expect((error as Error).message).toContain("WRONGPASS");
      expect((error as Error).message).not.toContain("wrong-password-456");
      const queue = await openRedisQueue(guarded.url, { maxQueued: 1 });
      expect(await queue.counts()).toEqual({ queued: 0, running: 0, done: 0, cancelled: 0 });
      await queue.close();
    } finally {
      await guarded.stop();
    }
  });

  test("a Redis that does not answer: an unreachable endpoint, named with its password hidden", async () => {
    const error = await openRedisQueue("redis://:hunter2-pw@127.0.0.1:9", {
      maxQueued: 1,
      connectTimeoutMs: 2_000,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EndpointUnreachable);
    expect((error as Error).message).toStartWith("the queue's Redis redis://:***@127.0.0.1:9 unusable after 1 tries");
    expect((error as Error).message).not.toContain("hunter2-pw");
  });
});

describe("the SQLite queue: its file and its owners' pids", () => {
  test("everything survives a reopen: the queue, the running task's snapshot, its events", async () => {
    const file = storeFile();
    const queue = sqliteAt(file);
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
    await queue.close();
    queues.splice(queues.indexOf(queue), 1);
    const again = sqliteAt(file);
    expect(await again.counts()).toEqual({ queued: 1, running: 1, done: 0, cancelled: 0 });
    expect(await again.snapshot(task.id)).toEqual(snapshot);
    expect((await again.events(task.id, 1)).map((event) => event.line)).toEqual(['{"event":"model_call_queued"}']);
  });

  test("orphans are running tasks whose owner is gone; requeued, they start again with starts counted", async () => {
    const queue = sqliteAt();
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
