// The queue on Redis, for a swarm on several machines. BullMQ dispatches: tasks wait by priority, then in submission
// order; a running task is locked by its worker, which renews the lock while it runs; a worker that dies stops
// renewing, and BullMQ's stalled check hands its tasks back to the queue. Beside each job, a record in Redis keeps
// what TaskQueue tells (the task, its outcome, the landing's snapshot, its events), as sqlite.ts keeps it in tables.
// BullMQ (taskforcesh, maintained, the TypeScript field's queue on Redis) rather than hand-written Lua: locks,
// stall detection and priorities are its own, tested code. It runs in process on Bun (manual job fetching: no
// sandboxed processors, which BullMQ does not support on Bun).
import { randomUUID } from "node:crypto";
import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import { redactRedisUrl } from "../config/sections.ts";
import { QueueFull } from "../errors.ts";
import { connectQueueRedis, persistenceOf } from "./redisConnection.ts";
import { OutcomeRecord, QueueEntry, SavedSnapshot, type QueueState, type TaskQueue } from "./queue.ts";

export type RedisQueueOptions = {
  maxQueued: number;
  /** Key prefix: one per swarm on a Redis. */
  prefix?: string;
  /** A running task's lock, renewed every third of it: a worker that stops renewing loses its tasks after it. */
  lockMs?: number;
  /** How often a stalled task is looked for: a dead worker's tasks go back after lockMs plus up to two of these. */
  stalledCheckMs?: number;
  /** Called when this process lost a running task's lock (another worker may run it now): stop running it. */
  onLost?: (id: string) => void;
  /** False: this process only submits and reads (serve --no-work): it takes no task and is counted as no worker. */
  works?: boolean;
  /** A task is waiting: submitted by any process, or handed back (so a daemon need not wait for its next look). */
  onWaiting?: () => void;
  /** The connection went away (calls wait meanwhile) or came back: once each way. */
  onConnection?: (change: { state: "lost"; reason: string } | { state: "back" }) => void;
  /** The Redis keeps nothing on disk (no append-only file, no snapshots): said once, with what is at risk. */
  onNotPersistent?: (detail: string) => void;
  /** How long the first connection may take: a Redis that does not answer is an unreachable endpoint (exit 3). */
  connectTimeoutMs?: number;
  now?: () => Date;
};

/** BullMQ's queue and its keys' prefix, for whoever reads the queue without running it (doctor). */
export const QUEUE_NAME = "tasks";
export const bullPrefix = (prefix: string) => `${prefix}:bull`;

/** BullMQ runs lower numbers first, from 1; the queue's priorities run -1000..1000, higher first. */
export const bullPriority = (priority: number) => 1001 - priority;
/** Ids sort as they were submitted: tasks put back at the front of their priority keep their order. */
export const taskId = (seq: number) => `t-${seq.toString(36).padStart(8, "0")}`;

const STATIC = ["id", "seq", "priority", "workspace", "task", "commit", "submittedAt"] as const;
type Final = Pick<QueueEntry, "status" | "exitCode" | "summary" | "runId" | "outcome" | "finishedAt"> & {
  state: "done" | "cancelled";
};
type Claim = { job: Job; token: string; timer: ReturnType<typeof setInterval> };

export async function openRedisQueue(url: string, options: RedisQueueOptions): Promise<TaskQueue> {
  const prefix = options.prefix ?? "smol-coder";
  const lockMs = options.lockMs ?? 30_000;
  const now = () => (options.now?.() ?? new Date()).toISOString();
  const key = {
    seq: `${prefix}:q:seq`,
    all: `${prefix}:q:all`,
    record: (id: string) => `${prefix}:q:task:${id}`,
    events: (id: string) => `${prefix}:q:events:${id}`,
    ended: (state: Final["state"]) => `${prefix}:q:${state}`,
  };
  const redis = await connectQueueRedis(url, options.connectTimeoutMs ?? 5_000);
  let away = false;
  redis.on("error", (error: Error) => {
    if (away) return;
    away = true;
    options.onConnection?.({ state: "lost", reason: error.message.replaceAll(url, redactRedisUrl(url)) });
  });
  redis.on("ready", () => {
    if (!away) return;
    away = false;
    options.onConnection?.({ state: "back" });
  });
  const persistence = await persistenceOf(redis);
  if (persistence) options.onNotPersistent?.(persistence);
  const bull = { connection: redis, prefix: bullPrefix(prefix) };
  const queue = new Queue(QUEUE_NAME, bull);
  const worker =
    options.works === false
      ? null
      : new Worker(QUEUE_NAME, null, {
          ...bull,
          autorun: false,
          lockDuration: lockMs,
          stalledInterval: options.stalledCheckMs ?? lockMs,
          // A task whose workers died this often while running it is set aside, not handed on for ever.
          maxStalledCount: 3,
        });
  worker?.on("error", () => undefined); // the connection's errors: ioredis reconnects, and the calls wait
  queue.on("error", () => undefined);
  // BullMQ's event stream (a blocking read on a connection of its own): every process hears of a waiting task at once.
  const events = options.onWaiting ? new QueueEvents(QUEUE_NAME, { ...bull, connection: redis.duplicate() }) : null;
  events?.on("error", () => undefined);
  // Not a task put back by a claim that passed it over (prev: active): that would wake the claimer again at once.
  events?.on("waiting", ({ prev }) => {
    if (prev !== "active") options.onWaiting?.();
  });
  await worker?.startStalledCheckTimer();
  const claimed = new Map<string, Claim>();

  async function entryOf(id: string): Promise<QueueEntry | null> {
    const record = await redis.hgetall(key.record(id));
    if (!record.static) return null;
    const fixed = JSON.parse(record.static) as Record<(typeof STATIC)[number], unknown>;
    const final = record.final ? (JSON.parse(record.final) as Final) : null;
    const job = final ? null : await queue.getJob(id);
    const state: QueueState = final?.state ?? ((await job?.getState()) === "active" ? "running" : "queued");
    const parsed = QueueEntry.safeParse({
      ...fixed,
      state,
      starts: Number(record.starts ?? 0),
      status: final?.status ?? null,
      exitCode: final?.exitCode ?? null,
      summary: final?.summary ?? null,
      runId: final?.runId ?? null,
      outcome: final?.outcome ?? null,
      startedAt: record.startedAt ?? null,
      finishedAt: final?.finishedAt ?? null,
    });
    return parsed.success ? parsed.data : null;
  }

  /** Records the end once: a task already ended keeps its first end. True when this call ended it. */
  async function end(id: string, final: Final): Promise<boolean> {
    const set = await redis.hsetnx(key.record(id), "final", JSON.stringify(final));
    if (set === 0) return false;
    await redis.multi().hdel(key.record(id), "snapshot").sadd(key.ended(final.state), id).exec();
    return true;
  }

  function release(id: string): Claim | undefined {
    const claim = claimed.get(id);
    if (claim) clearInterval(claim.timer);
    claimed.delete(id);
    return claim;
  }

  function hold(job: Job, token: string): void {
    const id = job.id!;
    const timer = setInterval(
      () => {
        job.extendLock(token, lockMs).then(
          (kept) => {
            if (kept !== 0 || !claimed.has(id)) return;
            release(id);
            options.onLost?.(id);
          },
          () => undefined, // Redis away: the next renewal tries again; the lock lapses only after lockMs
        );
      },
      Math.max(100, Math.floor(lockMs / 3)),
    );
    timer.unref();
    claimed.set(id, { job, token, timer });
  }

  return {
    async submit(submission) {
      const waiting = await queue.getJobCounts("wait", "prioritized", "delayed");
      if (Object.values(waiting).reduce((a, b) => a + b, 0) >= options.maxQueued)
        throw new QueueFull(options.maxQueued);
      const seq = await redis.incr(key.seq);
      const id = taskId(seq);
      const fixed = { id, seq, ...submission, submittedAt: now() };
      await redis.multi().hset(key.record(id), "static", JSON.stringify(fixed)).zadd(key.all, seq, id).exec();
      await queue.add(
        "task",
        { id },
        { jobId: id, priority: bullPriority(submission.priority), removeOnComplete: true },
      );
      return (await entryOf(id))!;
    },

    async claim(owner, accept) {
      const passed: { job: Job; token: string }[] = [];
      try {
        for (let scanned = 0; scanned < 1_000; scanned++) {
          const token = `${owner.id}.${randomUUID()}`;
          const job = await worker?.getNextJob(token, { block: false });
          if (!job?.id) return null;
          const id = job.id;
          const entry = await entryOf(id);
          const setAside = (summary: string) =>
            end(id, {
              state: "cancelled",
              status: null,
              exitCode: 2,
              summary,
              runId: null,
              outcome: null,
              finishedAt: now(),
            }).then(() => job.moveToCompleted(null, token, false));
          if (!entry || entry.state === "done" || entry.state === "cancelled") {
            // Written by another version of smol-coder, or damaged, or ended already: never a blocked queue.
            if (!entry)
              await setAside(
                "smol-coder: this queued task cannot be read by this version of smol-coder; submit it again",
              );
            else await job.moveToCompleted(null, token, false);
            continue;
          }
          if (job.deferredFailure) {
            await end(id, {
              state: "done",
              status: null,
              exitCode: 70,
              summary: `smol-coder: the workers running this task stopped ${job.attemptsStarted} times before it ended; see their logs`,
              runId: null,
              outcome: null,
              finishedAt: now(),
            });
            await job.moveToCompleted(null, token, false);
            continue;
          }
          if (!accept(entry)) {
            passed.push({ job, token });
            continue;
          }
          await redis.multi().hset(key.record(id), "startedAt", now()).hincrby(key.record(id), "starts", 1).exec();
          hold(job, token);
          return (await entryOf(id))!;
        }
        return null;
      } finally {
        // Back at the front of their priority, in submission order (their ids sort so). One whose lock lapsed
        // meanwhile is the stalled check's to hand back: never a reason to lose the task this claim took.
        for (const { job, token } of passed) await job.moveToWait(token).catch(() => undefined);
      }
    },

    async saveSnapshot(id, snapshot) {
      await redis.hset(key.record(id), "snapshot", JSON.stringify(SavedSnapshot.parse(snapshot)));
    },
    async clearSnapshot(id) {
      await redis.hdel(key.record(id), "snapshot");
    },
    async snapshot(id) {
      const text = await redis.hget(key.record(id), "snapshot");
      return text ? SavedSnapshot.parse(JSON.parse(text)) : null;
    },

    async finish(id, finish, state = "done") {
      const ended = await end(id, {
        state,
        status: finish.status,
        exitCode: finish.exitCode,
        summary: finish.summary,
        runId: finish.runId,
        outcome: finish.outcome ? OutcomeRecord.parse(finish.outcome) : null,
        finishedAt: now(),
      });
      const claim = release(id);
      if (claim) await claim.job.moveToCompleted(null, claim.token, false).catch(() => undefined);
      else if (ended) await queue.remove(id);
    },
    async requeue(id) {
      const claim = release(id);
      if (!claim || (await redis.hexists(key.record(id), "final"))) return;
      await redis.hdel(key.record(id), "snapshot");
      await claim.job.moveToWait(claim.token);
    },
    async cancelWaiting(id) {
      if (await redis.hexists(key.record(id), "final")) return false;
      if ((await queue.remove(id)) !== 1) return false; // running: locked by its worker
      const summary = "cancelled before it started";
      const final = { state: "cancelled", status: null, exitCode: 130, summary, runId: null, outcome: null } as const;
      return end(id, { ...final, finishedAt: now() });
    },

    get: entryOf,
    async list(limit) {
      const ids = await redis.zrevrange(key.all, 0, limit - 1);
      return (await Promise.all(ids.map(entryOf))).filter((entry): entry is QueueEntry => entry !== null);
    },
    async position(id) {
      const entry = await entryOf(id);
      if (entry?.state !== "queued") return null;
      const waiting = await queue.getJobs(["prioritized", "wait"], 0, -1, true);
      const index = waiting.findIndex((job) => job.id === id);
      return index < 0 ? null : index;
    },
    async counts() {
      const jobs = await queue.getJobCounts("active", "wait", "prioritized", "delayed");
      return {
        queued: (jobs.wait ?? 0) + (jobs.prioritized ?? 0) + (jobs.delayed ?? 0),
        running: jobs.active ?? 0,
        done: await redis.scard(key.ended("done")),
        cancelled: await redis.scard(key.ended("cancelled")),
      };
    },

    async appendEvent(id, line) {
      await redis.rpush(key.events(id), line);
    },
    async events(id, after) {
      const lines = await redis.lrange(key.events(id), after, -1);
      return lines.map((line, index) => ({ n: after + index + 1, line }));
    },

    // A dead worker's tasks come back by themselves (BullMQ's stalled check), their snapshots kept for whoever
    // claims them next: there is nothing for a caller to look for.
    orphans: async () => [],

    async close() {
      for (const id of [...claimed.keys()]) release(id);
      const closing = Promise.all([worker?.close(), queue.close(), events?.close()]);
      // worker.close() can wait for ever on a Redis that never answered (BullMQ issue 4656): not past a second.
      await Promise.race([closing, Bun.sleep(1_000)]);
      redis.disconnect();
    },
  };
}
