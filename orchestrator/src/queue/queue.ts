// The daemon's queue, behind a small interface: what every client submits, in the order tasks start, and who
// runs each. The SQLite queue (sqlite.ts) serves one machine; the Redis one (redis.ts, on BullMQ) a swarm on
// several. Nothing outside this folder may assume one process owns the queue: a task is claimed by an owner, and a
// task whose owner is gone comes back (found by `orphans` on SQLite; by the lease's end on Redis).
import { z } from "zod";
import { HumanEvalTask, WorkspaceTask } from "../task/task.ts";
import { AttemptOutcome, Role, TaskStatus, Tier, Usage } from "../types.ts";
import type { Liveness } from "../store/store.ts";

export const QueueState = z.enum(["queued", "running", "done", "cancelled"]);
export type QueueState = z.infer<typeof QueueState>;

/** A task as the daemon takes it: a workspace task, or a HumanEval problem (its dataset an absolute path). */
export const QueuedTask = z.union([WorkspaceTask, HumanEvalTask]);
export type QueuedTask = z.infer<typeof QueuedTask>;

/**
 * What a client hands the daemon: the task, where, and how it lands. `workspace` is the workspace a workspace task
 * edits, or the directory a HumanEval task's fresh workspace is made in.
 */
export const Submission = z
  .object({
    task: QueuedTask,
    workspace: z
      .string()
      .min(1)
      .refine((dir) => dir.startsWith("/"), "must be an absolute path"),
    commit: z.boolean().default(false),
    /** Higher starts first; within a priority, submission order. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /**
     * The machine whose daemons alone may run it (daemon.machine): a workspace task on a queue several machines
     * share names its workspace by a path on the machine it was submitted on. Absent: any machine.
     */
    home: z.string().min(1).max(200).optional(),
  })
  .strict();
export type Submission = z.infer<typeof Submission>;

/** What a finished task's outcome tells a client such as `bench humaneval`: the fields its result line needs. */
export const OutcomeRecord = z.object({
  status: TaskStatus,
  totalAttempts: z.number().int(),
  finalTier: Tier,
  passedFirstAttempt: z.boolean(),
  /** Each attempt's tier and outcome (absent in records written before it was kept). */
  history: z.array(z.object({ tier: Tier, outcome: AttemptOutcome, ignored: z.number().int().optional() })).default([]),
  escalations: z.number().int(),
  checkpoints: z.number().int(),
  usage: z.partialRecord(Role, Usage),
  wallMs: z.number(),
  /** Complete with the owned files as they were (patch.acceptUnchanged): nothing landed or committed. */
  unchanged: z.literal(true).optional(),
});
export type OutcomeRecord = z.infer<typeof OutcomeRecord>;

export const QueueEntry = z.object({
  id: z.string(),
  seq: z.number().int(),
  priority: z.number().int(),
  /** The machine whose daemons alone may run it; null: any. */
  home: z.string().nullable().default(null),
  state: QueueState,
  workspace: z.string(),
  task: QueuedTask,
  commit: z.boolean(),
  /** How often a daemon started it: more than 1 after a crash or a drain gave it back. */
  starts: z.number().int(),
  /** The task's outcome, once done; exitCode is what `run` would have exited with. */
  status: TaskStatus.nullable(),
  exitCode: z.number().int().nullable(),
  summary: z.string().nullable(),
  runId: z.string().nullable(),
  outcome: OutcomeRecord.nullable(),
  submittedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type QueueEntry = z.infer<typeof QueueEntry>;

/** A daemon process that runs tasks: its pid and boot id tell whether it is still alive. */
export type Owner = { id: string; pid: number; bootId: string | null };
export type { Liveness };
export type Finish = {
  status: TaskStatus | null;
  exitCode: number;
  summary: string;
  runId: string | null;
  outcome?: OutcomeRecord;
};
export type QueueEvent = { n: number; line: string };
/**
 * A landing under way: the owned files as they were before it (content base64; null: the file did not exist), and
 * what it writes (null: a deletion), so that recovery undoes only what is still as the landing left it.
 */
export const SavedSnapshot = z.object({
  files: z.record(z.string(), z.object({ content: z.string(), mode: z.number().int() }).nullable()),
  createdDirs: z.array(z.string()),
  /** Absent in a snapshot saved before this field was: then nothing is undone, as nothing can be told apart. */
  writing: z.record(z.string(), z.string().nullable()).default({}),
});
export type SavedSnapshot = z.infer<typeof SavedSnapshot>;

export interface TaskQueue {
  /** Adds a task at the end of its priority; QueueFull when `maxQueued` are waiting. */
  submit(submission: Submission): Promise<QueueEntry>;
  /** The first waiting task (priority, then submission order) that `accept` takes, now running for `owner`; null when none. */
  claim(owner: Owner, accept: (entry: QueueEntry) => boolean): Promise<QueueEntry | null>;
  /** The owned files as they were before the task's change started landing; cleared once it has landed. */
  saveSnapshot(id: string, snapshot: SavedSnapshot): Promise<void>;
  clearSnapshot(id: string): Promise<void>;
  snapshot(id: string): Promise<SavedSnapshot | null>;
  finish(id: string, finish: Finish, state?: "done" | "cancelled"): Promise<void>;
  /** A running task goes back to the queue (a drain stopped it, or its owner died): it starts again from scratch. */
  requeue(id: string): Promise<void>;
  /** A waiting task is cancelled at once (true); a running one is not touched here (false): its owner stops it. */
  cancelWaiting(id: string): Promise<boolean>;
  get(id: string): Promise<QueueEntry | null>;
  list(limit: number): Promise<QueueEntry[]>;
  /** How many waiting tasks start before this one (0: it is next); null when it is not waiting. */
  position(id: string): Promise<number | null>;
  counts(): Promise<Record<QueueState, number>>;
  appendEvent(id: string, line: string): Promise<void>;
  events(id: string, after: number): Promise<QueueEvent[]>;
  /**
   * Running tasks whose owner is no longer alive (killed, crashed, the machine rebooted), for the caller to give back.
   * A queue whose owners hold leases (Redis) gives them back by itself, with their snapshots: none to find here.
   */
  orphans(liveness: Liveness): Promise<QueueEntry[]>;
  close(): Promise<void>;
}
