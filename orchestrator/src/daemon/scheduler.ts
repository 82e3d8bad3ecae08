// The daemon's scheduler: takes tasks from the queue in order and runs them in this process, so every client's
// model calls share one router and its tier limits. Tasks owning a file in common on one workspace take turns; a task is
// recorded as a run, its events go to the queue line by line, and a drain or a cancel stops it cleanly.
import { ExitCode, exitCodeFor } from "../errors.ts";
import { defaultLockDir } from "../config/paths.ts";
import { lockWorkspace, type WorkspaceLock } from "../task/lock.ts";
import { abortable } from "../models/abortable.ts";
import { claims, prepareQueued, type Datasets } from "./submission.ts";
import { normaliseOwnedPath } from "../patch/paths.ts";
import type { FileChange } from "../patch/types.ts";
import { committedWith, taskTrailer, type Snapshot } from "../task/workspace.ts";
import { runRecordedTask, type Session } from "../run/session.ts";
import { outcomeLines, STATUS_EXIT } from "../run/exit.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { saveSnapshot } from "./snapshot.ts";
import { undoCutLanding } from "./recovery.ts";
import type { Owner, QueueEntry, TaskQueue } from "../queue/queue.ts";
import { emit } from "../log/events.ts";

export type Scheduler = {
  /** Looks for tasks to start (after a submission; also every pollMs). */
  wake(): void;
  /** Stops a running task of this daemon: its unlanded edit is dropped and it ends cancelled. False when it is not running here. */
  cancel(id: string): boolean;
  /** The queue gave a running task to another daemon (this one's lease lapsed): it stops here, its end left to that one. */
  lost(id: string): void;
  running(): number;
  /** No new task starts; running ones get `timeoutMs` to finish, then are interrupted and go back to the queue. */
  drain(timeoutMs: number): Promise<void>;
};
export type SchedulerOptions = {
  session: Session;
  queue: TaskQueue;
  owner: Owner;
  maxTasks: number;
  pollMs?: number;
  onChange?: (id: string) => void;
  /** A task finished here: its status, or "cancelled" / "error" when it ended without one. */
  onFinish?: (outcome: string) => void;
  datasets: Datasets;
};

/**
 * `landing`: its change has started landing in the workspace; from then on it is never requeued, only finished.
 * `lost`: the queue gave it to another daemon (this one's lease on it lapsed): stopped, and left to that one.
 */
type Running = {
  entry: QueueEntry;
  controller: AbortController;
  why: "cancel" | "drain" | "lost" | null;
  done: Promise<void>;
  landing: boolean;
};

/** Pure: the owned paths as the workspace knows them ("./a.ts" and "a.ts" are one file). */
function ownedPaths(entry: QueueEntry): Set<string> {
  return new Set(
    claims(entry.task).map((raw) => {
      const normal = normaliseOwnedPath(raw);
      return "path" in normal ? normal.path : raw;
    }),
  );
}

/** Pure: two tasks that own a file in common on one workspace must run one after the other. */
export function overlaps(a: QueueEntry, b: QueueEntry): boolean {
  if (a.workspace !== b.workspace) return false;
  const mine = ownedPaths(a);
  return [...ownedPaths(b)].some((rel) => mine.has(rel));
}

/**
 * The workspace locks this daemon holds: one per workspace, however many of its tasks run there. The lock is taken
 * on nobody's signal: a task cancelled while it waits gives up its own wait, not the others'.
 */
function workspaceLocks() {
  const held = new Map<string, { users: number; stop: AbortController; lock: Promise<WorkspaceLock> }>();
  return {
    async hold(root: string, signal: AbortSignal): Promise<AsyncDisposable> {
      let entry = held.get(root);
      if (!entry) {
        const stop = new AbortController();
        entry = {
          users: 0,
          stop,
          lock: lockWorkspace({
            lockDir: defaultLockDir(process.env),
            workspace: root,
            wait: true,
            signal: stop.signal,
          }),
        };
        held.set(root, entry);
      }
      entry.users += 1;
      const mine = entry;
      const release = async () => {
        mine.users -= 1;
        if (mine.users > 0) return;
        held.delete(root);
        mine.stop.abort(); // still waiting for it: nobody wants it any more
        await (await mine.lock.catch(() => null))?.release();
      };
      try {
        await abortable(mine.lock, signal);
      } catch (error) {
        release().catch(() => undefined);
        throw error;
      }
      return { [Symbol.asyncDispose]: release };
    },
  };
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { session, queue, owner } = options;
  const running = new Map<string, Running>();
  const locks = workspaceLocks();
  const overlapsRunning = (candidate: QueueEntry) =>
    [...running.values()].some((run) => overlaps(run.entry, candidate));
  let stopping = false;
  let pumping: Promise<void> = Promise.resolve();

  async function execute(entry: QueueEntry, run: Running): Promise<void> {
    const log = session.log.child({ daemonTask: entry.id });
    const signal = run.controller.signal;
    let runId: string | null = null;
    try {
      if (entry.starts > 1) {
        // Started before by a daemon that died (a Redis queue hands such tasks on by itself): its landing, if one
        // was cut short, is undone before this start.
        const undone = await undoCutLanding(queue, entry, session, signal);
        if (undone > 0)
          emit(
            log,
            "task_recovered",
            { starts: entry.starts, undoneFiles: undone },
            { message: "a landing cut short was undone" },
          );
      }
      const prepared = await prepareQueued(entry, session.config, options.datasets);
      const root = prepared.root;
      // The same lock a `run` in another process takes, held while any of this daemon's tasks uses the workspace
      // (a HumanEval problem's workspace is its own, fresh). Taken before looking for an earlier start's commit: a
      // daemon that had the task may be landing it now, on this machine.
      await using _lock = prepared.kind === "workspace" ? await locks.hold(root, signal) : null;
      const trailer = taskTrailer(entry.id, entry.submittedAt);
      const committed = entry.commit && entry.starts > 1 ? await committedWith(root, trailer) : null;
      if (committed) {
        // Killed between its commit and the queue's record of it: done already, never applied twice.
        emit(log, "task_already_landed", { commit: committed }, { message: "an earlier start committed this task" });
        const summary = `smol-coder: task ${entry.id} complete: an earlier start committed its change (${committed.slice(0, 12)}); not applied again`;
        await queue.finish(entry.id, { status: "complete", exitCode: 0, summary, runId: null });
        options.onFinish?.("complete");
        return;
      }
      runId = session.store.startRun({
        kind: "run",
        args: { task: entry.task, workspace: root, daemonTask: entry.id },
      });
      emit(log, "task_started", { runId, workspace: root, starts: entry.starts }, { message: "daemon task started" });
      const landing = {
        started: (before: Snapshot, writing: FileChange[]) => {
          run.landing = true;
          return queue.saveSnapshot(entry.id, saveSnapshot(before, writing));
        },
        ended: () => queue.clearSnapshot(entry.id),
      };
      const outcome = await runRecordedTask(session, prepared, {
        runId,
        commit: entry.commit,
        commitTrailer: trailer,
        signal,
        log,
        landing,
      });
      session.store.finishRun(runId, outcome.status);
      if (run.why === "lost") return;
      if (run.why === "drain" && outcome.status === "interrupted") return await queue.requeue(entry.id);
      const summary = scrubSecrets(outcomeLines(outcome, runId).join("\n"));
      await queue.finish(
        entry.id,
        { status: outcome.status, exitCode: STATUS_EXIT[outcome.status], summary, runId, outcome },
        run.why === "cancel" ? "cancelled" : "done",
      );
      options.onFinish?.(run.why === "cancel" ? "cancelled" : outcome.status);
    } catch (error) {
      if (runId) session.store.finishRun(runId, signal.aborted ? "interrupted" : "crashed");
      if (run.why === "lost") return;
      if (run.why === "drain" && signal.aborted && !run.landing) return await queue.requeue(entry.id);
      const reported = session.crashed(error);
      const exitCode = signal.aborted ? ExitCode.interrupted : exitCodeFor(reported);
      const summary = scrubSecrets(`smol-coder: ${reported instanceof Error ? reported.message : String(reported)}`);
      emit(log, "task_failed", { exitCode, reason: summary }, { message: "daemon task ended with an error" });
      await queue.finish(
        entry.id,
        { status: null, exitCode, summary, runId },
        run.why === "cancel" ? "cancelled" : "done",
      );
      options.onFinish?.(run.why === "cancel" ? "cancelled" : "error");
    }
  }

  async function pump(): Promise<void> {
    while (!stopping && running.size < options.maxTasks) {
      const machine = session.config.daemon.machine;
      const entry = await queue.claim(
        owner,
        (candidate) => (candidate.home === null || candidate.home === machine) && !overlapsRunning(candidate),
      );
      if (!entry) return;
      const run: Running = {
        entry,
        controller: new AbortController(),
        why: null,
        done: Promise.resolve(),
        landing: false,
      };
      running.set(entry.id, run);
      options.onChange?.(entry.id);
      run.done = execute(entry, run)
        .catch(async (error: unknown) => {
          emit(
            session.log,
            "internal_error",
            { err: error, daemonTask: entry.id },
            { message: "the scheduler could not record a task's end; it goes back to the queue" },
          );
          // Never left 'running' under a live daemon, where no recovery would find it; never run again once it landed.
          const ended = {
            status: null,
            exitCode: 70,
            summary: "smol-coder: the daemon could not record this task's end; see its log",
            runId: null,
          };
          await (run.landing ? queue.finish(entry.id, ended) : queue.requeue(entry.id)).catch(() => undefined);
        })
        .finally(() => {
          running.delete(entry.id);
          options.onChange?.(entry.id);
          wake();
        });
    }
  }

  function wake(): void {
    pumping = pumping.then(pump).catch((error: unknown) => {
      emit(
        session.log,
        "internal_error",
        { err: error },
        { message: "the scheduler could not take a task from the queue" },
      );
    });
  }
  const timer = setInterval(wake, options.pollMs ?? 1_000);

  return {
    wake,
    cancel(id) {
      const run = running.get(id);
      if (!run) return false;
      run.why ??= "cancel";
      run.controller.abort();
      return true;
    },
    lost(id) {
      const run = running.get(id);
      if (!run) return;
      run.why = "lost";
      emit(
        session.log.child({ daemonTask: id }),
        "task_lost",
        {},
        { level: "warn", message: "this daemon's lease on the task lapsed: another daemon runs it now" },
      );
      run.controller.abort();
    },
    running: () => running.size,
    async drain(timeoutMs) {
      stopping = true;
      clearInterval(timer);
      await pumping;
      const all = () => Promise.all([...running.values()].map((run) => run.done));
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => (timeout = setTimeout(() => resolve("late"), timeoutMs)));
      if ((await Promise.race([all(), late])) === "late") {
        for (const run of running.values()) {
          run.why ??= "drain";
          run.controller.abort();
        }
      }
      clearTimeout(timeout);
      await all();
    },
  };
}
